"""Hostile request bodies against a real ``freshledger serve`` process: oversized (declared and
streamed), slow, deeply nested JSON and invalid UTF-8. Each is a clear 4xx, nothing is
stored, and the process lives on and answers a scan after every one.

Python's JSON parser recurses per level and py_ecc raises the recursion limit to 100,000, so
without the bound ``[`` * 100,000 kills the server process with a segfault: hence a real
process, not TestClient in the test's own interpreter.
"""

from __future__ import annotations

import json
import select

import httpx
import pytest

from api.limits import MIB, BodyLimits
from tests.api.conftest import Market
from tests.factories.api_writes import GTIN, block_number
from tests.security.conftest import ServerProcess, read_response

#: The routes that take a JSON body, with a body of the right shape for each.
JSON_ROUTES = [
    ("POST", "/harvests"),
    ("POST", "/participants"),
    ("POST", "/epcis/capture"),
    ("PUT", f"/products/{GTIN}"),
    ("POST", "/recalls"),
    ("POST", "/transactions"),
]


def request_head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    return "\r\n".join(lines).encode()


def send(server: ServerProcess, method: str, path: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.request(method, server.base + path, content=body, headers=headers, timeout=30)


@pytest.fixture(scope="module")
def farm_key(cast: dict[str, tuple[str, str]]) -> str:
    return cast["farm"][1]


def test_the_limits_are_the_documented_ones() -> None:
    limits = BodyLimits(_env_file=None)
    assert limits.for_request("POST", "/documents").max_bytes == 50 * MIB
    assert limits.for_request("POST", "/epcis/capture").max_bytes == 5 * MIB
    assert limits.for_request("POST", "/sales/0xab/rating").max_bytes == 8 * 1024
    assert limits.for_request("POST", "/harvests").max_bytes == 1 * MIB
    # Only the exact route gets a larger limit: another spelling gets the small one.
    assert limits.for_request("POST", "/documents/").max_bytes == 1 * MIB
    assert limits.for_request("POST", "/sales/x/y/rating").max_bytes == 1 * MIB


@pytest.mark.parametrize(
    ("path", "declared"),
    [
        ("/documents", 3 * MIB),  # the served process allows 2 MiB
        ("/epcis/capture", 6 * MIB),
        ("/sales/0x" + "ab" * 32 + "/rating", 9000),
        ("/harvests", 2 * MIB),
    ],
)
def test_a_declared_length_over_the_limit_is_413_before_the_body_is_sent(
    server: ServerProcess, farm_key: str, path: str, declared: int
) -> None:
    with server.connect() as connection:
        head = {
            "Content-Type": "application/json",
            "Content-Length": str(declared),
            "Authorization": f"Bearer {farm_key}",
        }
        connection.sendall(request_head("POST", path, head))  # and not one byte of the body
        status, headers, body = read_response(connection)
    assert status == 413
    assert json.loads(body)["error"] == "BodyTooLarge"
    assert headers["connection"] == "close" and headers["x-content-type-options"] == "nosniff"
    server.assert_alive()


def stream_until_answered(server: ServerProcess, path: str, headers: dict[str, str], total: int) -> tuple[int, int]:
    """Send a chunked body of up to `total` bytes, stopping as soon as the server answers;
    (status, bytes sent by then)."""
    chunk = b"x" * 65536
    sent = 0
    with server.connect() as connection:
        connection.sendall(request_head("POST", path, {**headers, "Transfer-Encoding": "chunked"}))
        while sent < total:
            readable, _, _ = select.select([connection], [], [], 0)
            if readable:
                break
            try:
                connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        connection.settimeout(15)
        status, _, _ = read_response(connection)
    return status, sent


def test_a_streamed_body_is_cut_off_once_past_the_limit(
    server: ServerProcess, api_market: Market, farm_key: str
) -> None:
    store = api_market.client.app.state.services.documents
    before = sorted(store.root.rglob("*")) if store.root.exists() else []
    headers = {"Content-Type": "application/pdf", "Authorization": f"Bearer {farm_key}"}
    status, sent = stream_until_answered(server, "/documents", headers, total=64 * MIB)
    assert status == 413
    # Answered near the 2 MiB limit (plus what the sockets' buffers took meanwhile), long
    # before the 64 MiB the client would have sent.
    assert sent < 24 * MIB
    assert (sorted(store.root.rglob("*")) if store.root.exists() else []) == before  # nothing stored
    server.assert_alive()

    status, sent = stream_until_answered(
        server, "/epcis/capture", {**headers, "Content-Type": "application/json"}, 64 * MIB
    )
    assert status == 413 and sent < 32 * MIB
    server.assert_alive()


def test_a_body_that_does_not_arrive_in_time_is_408(server: ServerProcess, farm_key: str) -> None:
    # Declared, then stalled: the served process gives a JSON body 2 s.
    with server.connect() as connection:
        head = {"Content-Type": "application/json", "Content-Length": "100", "Authorization": f"Bearer {farm_key}"}
        connection.sendall(request_head("POST", "/harvests", head) + b'{"gtin": ')
        status, _, body = read_response(connection)
    assert status == 408 and json.loads(body)["error"] == "BodyTimeout"
    server.assert_alive()


def test_a_trickled_body_is_408_even_while_bytes_keep_coming(server: ServerProcess, farm_key: str) -> None:
    with server.connect() as connection:
        head = {
            "Content-Type": "application/pdf",
            "Transfer-Encoding": "chunked",
            "Authorization": f"Bearer {farm_key}",
        }
        connection.sendall(request_head("POST", "/documents", head))
        status = None
        for _ in range(200):  # one byte every 50 ms: a slowloris never idle for long
            readable, _, _ = select.select([connection], [], [], 0.05)
            if readable:
                status, _, _ = read_response(connection)
                break
            connection.sendall(b"1\r\nx\r\n")
    assert status == 408
    server.assert_alive()


@pytest.mark.parametrize("attack", [b"[" * 100_000, b'{"a":' * 100_000, b"[" * 65 + b"]" * 65])
@pytest.mark.parametrize(("method", "path"), JSON_ROUTES)
def test_deeply_nested_json_is_400_and_the_server_survives(
    server: ServerProcess, api_market: Market, farm_key: str, method: str, path: str, attack: bytes
) -> None:
    block = block_number(api_market)
    answer = send(
        server, method, path, attack, {"Content-Type": "application/json", "Authorization": f"Bearer {farm_key}"}
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "InvalidBody" and "deeper than 64" in answer.json()["message"]
    assert answer.json()["field"] == "body"
    assert block_number(api_market) == block  # nothing sent to the chain
    server.assert_alive()


def test_deeply_nested_json_to_the_rating_route_stores_no_rating(
    server: ServerProcess, api_market: Market, cast: dict[str, tuple[str, str]]
) -> None:
    path = "/sales/0x" + "ab" * 32 + "/rating"
    answer = send(server, "POST", path, b"[" * 8000, {"Content-Type": "application/json"})
    assert answer.status_code == 400 and "deeper than" in answer.json()["message"]
    ratings = api_market.client.get(f"/stalls/{cast['vendor'][0]}/ratings").json()
    assert ratings["count"] == 0
    server.assert_alive()


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/harvests", "application/json"),
        ("/epcis/capture", "application/ld+json"),
        ("/sales/0x" + "ab" * 32 + "/rating", "application/json"),
        ("/sales/0x" + "ab" * 32 + "/rating", "application/x-www-form-urlencoded"),
    ],
)
def test_a_body_that_is_not_utf8_is_400(server: ServerProcess, farm_key: str, path: str, content_type: str) -> None:
    body = b'{"stars": 5, "comment": "\xff\xfe\xc0\xaf"}' if "json" in content_type else b"stars=5&comment=\xff\xfe"
    answer = send(server, "POST", path, body, {"Content-Type": content_type, "Authorization": f"Bearer {farm_key}"})
    assert answer.status_code == 400, answer.text
    refusal = answer.json()
    assert (refusal["error"], refusal["field"]) == ("InvalidBody", "body") and "not UTF-8" in refusal["message"]
    server.assert_alive()


def test_a_json_body_within_the_limits_still_reaches_its_route(server: ServerProcess, farm_key: str) -> None:
    # Nested 64 deep, valid UTF-8 with non-ASCII text: the route's own validation answers.
    nested = json.dumps({"gtin": GTIN, "lot": "深" * 3, "extra": json.loads("[" * 62 + "]" * 62)})
    answer = send(
        server,
        "POST",
        "/harvests",
        nested.encode(),
        {"Content-Type": "application/json", "Authorization": f"Bearer {farm_key}"},
    )
    assert answer.status_code == 422  # refused by the schema, not by the body guard
    server.assert_alive()


def test_a_malformed_content_length_is_400(server: ServerProcess) -> None:
    with server.connect() as connection:
        connection.sendall(b"POST /harvests HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n12345")
        status, _, _ = read_response(connection)
    assert status == 400
    server.assert_alive()
