"""SQL metacharacters in every parameter of every GET route, on SQLite and PostgreSQL: each
answers 2xx or a clear 4xx, never 5xx; searches are not widened by wildcards; the server
keeps answering scans. The routes and their parameters are read from the app's OpenAPI
schema, so a route added later is attacked too."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest

from tests.api.conftest import Market, cast, market_at  # noqa: F401 (module fixture)
from tests.security.live_sale import Scan, scan  # noqa: F401 (module fixture)
from tests.support.databases import KINDS

PAYLOADS = [
    "'",
    '"',
    ";",
    "--",
    "/*",
    "*/",
    "%",
    "_",
    "\\",
    "\x00",
    "a\x00b",
    "' OR '1'='1",
    "1; DROP TABLE batches; --",
    '" OR ""="',
    "%' --",
    "%%",
    "王丽'--",
    "\u202e%",
    "\uff07",  # a full-width apostrophe
    "x" * 5000,
]


@pytest.fixture(scope="module", params=KINDS)
def api_market(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Market]:
    with market_at(tmp_path_factory.mktemp(f"sql-{request.param}"), request.param) as market:
        yield market


def get_routes(m: Market) -> list[tuple[str, list[dict]]]:
    spec = m.client.get("/openapi.json").json()
    return [(path, ops["get"].get("parameters", [])) for path, ops in spec["paths"].items() if "get" in ops]


def test_sql_metacharacters_in_every_get_parameter_never_answer_5xx(
    api_market: Market,
    cast: dict,  # noqa: F811
    scan: Scan,  # noqa: F811
) -> None:
    m = api_market
    scan()
    valid = {
        "batch_id": scan.batch_id,
        "sale_id": scan.sale_id,
        "address": cast["vendor"][0],
        "rest": scan.path.removeprefix("/01/"),
        "cid": "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
        "webhook_id": "wh_0000000000000000",
        "capture_id": "0" * 32,
    }
    routes = get_routes(m)
    attacked = {path for path, params in routes if params}
    assert {"/batches", "/regulators/fsma204", "/epcis/events", "/documents/{cid}", "/01/{rest}"} <= attacked

    failures = []
    for path, params in routes:
        key = cast["vendor"][1] if path.startswith("/webhooks") else cast["regulator"][1]
        for param in params:
            for payload in PAYLOADS:
                url = path
                query = {}
                for other in params:
                    if other["in"] != "path":
                        continue
                    value = payload if other is param else valid.get(other["name"], "x")
                    url = url.replace("{" + other["name"] + "}", quote(value, safe=""))
                if param["in"] == "query":
                    query[param["name"]] = payload
                answer = m.client.get(url, params=query, headers=m.auth(key))
                if answer.status_code >= 500:
                    failures.append((path, param["name"], payload[:20], answer.status_code, answer.text[:200]))
    assert failures == []
    scan()


@pytest.mark.parametrize("field", ["lot", "origin"])
@pytest.mark.parametrize("wildcard", ["%", "_", "%%", "*", "' OR '1'='1", "\\"])
def test_wildcards_do_not_widen_a_batch_search(
    api_market: Market,
    cast: dict,  # noqa: F811
    scan: Scan,  # noqa: F811
    field: str,
    wildcard: str,
) -> None:
    m = api_market
    regulator = m.auth(cast["regulator"][1])  # the batch search needs a key; a regulator's sees every lot
    everything = m.client.get("/batches", params={"per_page": 100}, headers=regulator).json()["data"]
    assert everything  # the scan fixture recorded at least one batch

    answer = m.client.get("/batches", params={field: wildcard, "per_page": 100}, headers=regulator)

    assert answer.status_code in (200, 422), answer.text
    if answer.status_code == 200:
        assert answer.json()["data"] == []
    scan()


@pytest.mark.parametrize("where", ["path", "query"])
def test_a_nul_anywhere_in_the_url_is_a_400_naming_it(api_market: Market, scan: Scan, where: str) -> None:  # noqa: F811
    m = api_market
    answer = m.client.get("/batches/0x%00") if where == "path" else m.client.get("/batches", params={"origin": "a\x00"})
    assert answer.status_code == 400
    assert ("path" if where == "path" else "'origin'") in answer.json()["detail"]
    scan()
