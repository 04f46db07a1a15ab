"""The scan fast path ahead of FastAPI (:mod:`api.scan_fast_path`): a cached answer and its 304
leave it byte for byte as the resolver sends them (over a real uvicorn, and as ASGI messages),
every scan it answers is counted, ratings stay rate limited, and anything odd or hostile gets
exactly the full app's answer.

The resolver's side is a twin of the market's API with the fast path off, over the same
services: one scan cache, so both answer from the same cached answer."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from api.main import LedgerApi, create_app
from api.ratelimit import TokenBucketLimiter
from api.scan_fast_path import FastPathCounts
from api.services import Services
from ledger.chain.node import free_port
from tests.api.conftest import Market
from tests.api.test_scan_cache import path_of, sell, split_lot_at_the_stall
from tests.support.server import serve_in_thread

PAGE = {"Accept": "text/html", "Accept-Language": "en"}
JSON = {"Accept": "application/json"}


@pytest.fixture(scope="module")
def sale(api_market: Market, cast: dict) -> dict:
    _, part = split_lot_at_the_stall(api_market, cast)
    return sell(api_market, cast, part)


@pytest.fixture(scope="module")
def resolver_only(api_market: Market) -> LedgerApi:
    """The market's API with the fast path off, over the same services (and scan cache)."""
    services: Services = api_market.client.app.state.services
    return create_app(services.settings.model_copy(update={"scan_fast_path": False}), services)


def counts(m: Market) -> FastPathCounts:
    return m.client.app.state.scan_fast_path


def scope(path: str, headers: dict[str, str] | None = None, query: bytes = b"", **extra: Any) -> dict[str, Any]:
    raw = dict(
        type="http",
        asgi={"version": "3.0"},
        http_version="1.1",
        method="GET",
        scheme="http",
        path=path,
        raw_path=path.encode("latin-1"),
        query_string=query,
        root_path="",
        headers=[(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in (headers or {}).items()],
        client=("203.0.113.7", 50_000),
        server=("market.example", 443),
    )
    return raw | extra


def answer(app: Any, asked: dict[str, Any], body: bytes = b"") -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Status, headers (in order) and body of `app`'s answer to the request `asked`."""
    messages: list[dict[str, Any]] = []
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return pending.pop() if pending else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    asyncio.run(app(asked, receive, send))
    start, *rest = messages
    return start["status"], [tuple(h) for h in start["headers"]], b"".join(m.get("body", b"") for m in rest)


def raw_get(base: str, target: str, headers: dict[str, str]) -> bytes:
    """The bytes a plain HTTP/1.1 client receives for ``GET target``, the Date line left out."""
    host, port = base.removeprefix("http://").split(":")
    lines = [f"GET {target} HTTP/1.1", f"Host: {host}:{port}", *(f"{k}: {v}" for k, v in headers.items())]
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(("\r\n".join([*lines, "Connection: close", "", ""])).encode())
        received = b"".join(iter(lambda: conn.recv(65_536), b""))
    head, _, body = received.partition(b"\r\n\r\n")
    kept = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"date:")]
    assert len(kept) == head.count(b"\r\n")  # exactly one Date line went
    return b"\r\n".join(kept) + b"\r\n\r\n" + body


def asks_of(path: str, sale: dict, etag_of: dict[str, str]) -> list[tuple[str, dict[str, str], bytes]]:
    """Every kind of scan answer: the page in three languages and by cookie, the receipt's page,
    a wrong proof, the JSON, the linkset, and their 304s (tag, list, weak tag, any tag)."""
    asks = [
        ("page", PAGE, b""),
        ("page zh", {"Accept": "text/html", "Accept-Language": "zh-CN,zh;q=0.9"}, b""),
        ("page ?lang=ko", {"Accept": "text/html"}, b"lang=ko"),
        ("page by cookie", {"Accept": "text/html", "Cookie": "theme=dark; lang=zh"}, b""),
        ("receipt", PAGE, f"receipt={sale['receipt']}".encode()),
        ("wrong proof", PAGE, b"receipt=AAAAAAAAAAAAAAAA"),
        ("json", JSON, b""),
        ("linkset", {"Accept": "application/linkset+json"}, b"linkType=all"),
    ]
    revalidations = []
    for name, headers, query in asks:
        etag = etag_of.get(name)
        if etag is not None:
            for held in (etag, f'"other", {etag}', f"W/{etag}", "*"):
                revalidations.append((f"{name} 304 {held}", {**headers, "If-None-Match": held}, query))
            revalidations.append((f"{name} stale tag", {**headers, "If-None-Match": '"old"'}, query))
    return asks + revalidations


def test_the_fast_path_sends_the_resolvers_answers_as_asgi_messages(
    api_market: Market, sale: dict, resolver_only: LedgerApi
) -> None:
    m, path = api_market, path_of(sale)
    etag_of = {}
    for name, headers, query in asks_of(path, sale, {}):
        made = answer(resolver_only, scope(path, headers, query))  # a miss: made and kept
        assert made[0] == 200, name
        etag_of[name] = dict(made[1])[b"etag"].decode()
    for name, headers, query in asks_of(path, sale, etag_of):
        before = FastPathCounts(**vars(counts(m)))
        resolved = answer(resolver_only, scope(path, headers, query))
        fast = answer(m.client.app, scope(path, headers, query))
        assert fast == resolved, name
        assert counts(m).passed_on == before.passed_on, name  # from the cache, ahead of FastAPI
        status = resolved[0]
        assert (counts(m).revalidated - before.revalidated, counts(m).answered - before.answered) == (
            (1, 0) if status == 304 else (0, 1)
        ), name
    # What the table in api.headers promises, on the fast path's answers too.
    page = dict(answer(m.client.app, scope(path, PAGE))[1])
    assert page[b"content-security-policy"].startswith(b"default-src 'none'")
    assert (page[b"x-frame-options"], page[b"x-content-type-options"]) == (b"DENY", b"nosniff")
    kept = dict(answer(m.client.app, scope(path, {"Accept": "text/html"}, b"lang=ko"))[1])
    assert kept[b"set-cookie"].startswith(b"lang=ko;")
    receipt = dict(answer(m.client.app, scope(path, PAGE, f"receipt={sale['receipt']}".encode()))[1])
    assert receipt[b"cache-control"] == b"private, no-store"


def test_the_fast_path_sends_the_resolvers_bytes_over_http(
    api_market: Market, sale: dict, resolver_only: LedgerApi
) -> None:
    m, path = api_market, path_of(sale)
    with (
        serve_in_thread(m.client.app, free_port(), "fast path") as fast,
        serve_in_thread(resolver_only, free_port(), "resolver") as resolver,
    ):
        etags = {}
        for name, headers, target in (
            ("page", PAGE, path),
            ("json", JSON, path),
            ("lang", {"Accept": "text/html"}, f"{path}?lang=zh"),
            ("receipt", PAGE, f"{path}?receipt={sale['receipt']}"),
        ):
            raw_get(resolver, target, headers)  # made and kept
            before = counts(m).answered
            fast_bytes, resolver_bytes = raw_get(fast, target, headers), raw_get(resolver, target, headers)
            assert fast_bytes == resolver_bytes, name
            assert counts(m).answered == before + 1, name
            assert fast_bytes.startswith(b"HTTP/1.1 200 OK\r\n"), name
            etags[name] = next(
                line.split(b": ", 1)[1] for line in fast_bytes.split(b"\r\n") if line.startswith(b"etag:")
            ).decode()
        for name, headers, target in (("page", PAGE, path), ("json", JSON, path)):
            held = {**headers, "If-None-Match": etags[name]}
            before = counts(m).revalidated
            fast_bytes, resolver_bytes = raw_get(fast, target, held), raw_get(resolver, target, held)
            assert fast_bytes == resolver_bytes and fast_bytes.startswith(b"HTTP/1.1 304 Not Modified\r\n"), name
            assert counts(m).revalidated == before + 1, name


def test_scans_answered_by_the_fast_path_are_counted(api_market: Market, cast: dict) -> None:
    m = api_market
    _, part = split_lot_at_the_stall(m, cast)
    sale = sell(m, cast, part)
    path, services = path_of(sale), m.client.app.state.services
    first = m.client.get(path, headers=PAGE)  # made by the resolver, counted there
    before = FastPathCounts(**vars(counts(m)))
    assert m.client.get(path, headers=PAGE).status_code == 200
    assert m.client.get(path, headers={**PAGE, "If-None-Match": first.headers["etag"]}).status_code == 304
    assert m.client.get(path, headers=JSON).status_code == 200  # a miss: the resolver's
    assert m.client.get(path, headers=JSON).status_code == 200
    assert (counts(m).answered - before.answered, counts(m).revalidated - before.revalidated) == (2, 1)
    summary = services.scans.summary(sale["sale_id"])
    assert summary is not None and summary.scans == 5  # every scan, wherever it was answered
    services.scans.flush()
    stored = services.scans.summary(sale["sale_id"])
    assert stored is not None and stored.scans == 5


def test_scans_spend_no_rating_tokens_and_ratings_stay_limited(api_market: Market, cast: dict) -> None:
    m = api_market
    _, part = split_lot_at_the_stall(m, cast)
    sales = [sell(m, cast, part) for _ in range(2)]
    now = [1000.0]
    m.client.app.state.rating_limiter = TokenBucketLimiter(capacity=1, period=60.0, clock=lambda: now[0])
    try:
        path = path_of(sales[0])
        before = counts(m).answered
        for _ in range(5):  # the same client scans its receipt again and again
            assert m.client.get(path, headers=PAGE, params={"receipt": sales[0]["receipt"]}).status_code == 200
        assert counts(m).answered == before + 4  # all but the first from the fast path
        rated = m.client.post(f"/sales/{sales[0]['sale_id']}/rating", json={"stars": 4, "receipt": sales[0]["receipt"]})
        assert rated.status_code == 201, rated.text
        again = m.client.post(f"/sales/{sales[1]['sale_id']}/rating", json={"stars": 4, "receipt": sales[1]["receipt"]})
        assert again.status_code == 429 and again.headers["retry-after"] == "60"
    finally:
        m.client.app.state.rating_limiter = None


def hostile_asks(path: str) -> list[tuple[str, dict[str, Any], bytes]]:
    """Requests the fast path must pass on (or answer exactly as the app would)."""
    gtin = path.split("/")[2]
    escaped = path.replace("/10/", "/%31%30/")
    return [
        ("long lot", scope(f"/01/{gtin}/10/{'A' * 300}/21/1"), b""),
        ("long query", scope(path, query=b"lang=" + b"k" * 400), b""),
        ("escaped path", scope(path, PAGE, raw_path=escaped.encode()), b""),
        ("escaped NUL in the query", scope(path, query=b"lang=%00"), b""),
        ("control byte in the query", scope(path, query=b"lang=\x01"), b""),
        ("control byte in the path", scope(path + "\x00", raw_path=path.encode() + b"\x00"), b""),
        ("bytes beyond ASCII in the path", scope("/01/\xff\xfe", raw_path=b"/01/\xff\xfe"), b""),
        ("a UTF-8 lot", scope(f"/01/{gtin}/10/é/21/1", raw_path=f"/01/{gtin}/10/é/21/1".encode()), b""),
        ("spaces in the path", scope(path + " x", raw_path=path.encode() + b" x"), b""),
        ("no lot", scope(f"/01/{gtin}"), b""),
        ("a serial with a leading zero", scope(path.rsplit("/", 1)[0] + "/01"), b""),
        ("a wrong check digit", scope(f"/01/{gtin[:-1]}{(int(gtin[-1]) + 1) % 10}/10/A/21/1"), b""),
        ("an unknown sale", scope(f"/01/{gtin}/10/NO-SUCH-LOT/21/1"), b""),
        ("just the prefix", scope("/01/"), b""),
        ("a POST", scope(path, method="POST"), b""),
        ("a HEAD", scope(path, PAGE, method="HEAD"), b""),
        ("a GET with a body", scope(path, headers={"Content-Length": "3", "Accept": "text/html"}), b"\xff\xfe\xfd"),
        ("a chunked GET", scope(path, headers={"Transfer-Encoding": "chunked", "Accept": "text/html"}), b"{}"),
        ("a root path", scope(path, root_path="/market"), b""),
        ("a huge Accept-Language", scope(path, {"Accept": "text/html", "Accept-Language": "x;q=0.1," * 2000}), b""),
        ("odd cookies", scope(path, {"Accept": "text/html", "Cookie": 'lang="; ;;=; lang=ko\\'}), b""),
        ("bytes beyond ASCII in headers", {**scope(path), "headers": [(b"accept-language", b"\xff\xfe")]}, b""),
        ("two langs", scope(path, {"Accept": "text/html"}, b"lang=ko&lang=zh&lang"), b""),
        ("a garbage If-None-Match", scope(path, {"Accept": "application/json", "If-None-Match": '",,W/W/"*'}), b""),
        ("a query without a value", scope(path, {"Accept": "text/html"}, b"receipt&linkType"), b""),
    ]


#: Of :func:`hostile_asks`, those plain enough for the fast path to answer from the cache.
ANSWERED_AHEAD = {
    "a huge Accept-Language",
    "odd cookies",
    "bytes beyond ASCII in headers",
    "two langs",
    "a garbage If-None-Match",
    "a query without a value",
}


def test_hostile_scans_get_exactly_the_full_apps_answer(
    api_market: Market, sale: dict, resolver_only: LedgerApi
) -> None:
    m, path = api_market, path_of(sale)
    for _, headers, query in asks_of(path, sale, {}):  # whatever is cached, for both
        answer(resolver_only, scope(path, headers, query))
    for name, asked, body in hostile_asks(path):
        answer(resolver_only, dict(asked), body)  # anything the resolver keeps is kept first
        before = FastPathCounts(**vars(counts(m)))
        fast = answer(m.client.app, dict(asked), body)
        resolved = answer(resolver_only, dict(asked), body)
        assert fast == resolved, name
        assert fast[0] < 500, name
        ahead = counts(m).answered + counts(m).revalidated - before.answered - before.revalidated
        assert ahead == (name in ANSWERED_AHEAD), name
