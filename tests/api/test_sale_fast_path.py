"""``POST /sales`` answered inside the market's middlewares, without FastAPI's routing
(:mod:`api.sale_fast_path`): a plain sale gets the route's answer (the same status, headers
and body, its ids aside), a refusal raised during the write gets the app's error answer, and
everything else is passed on to the route untouched.

The route's side is a twin of the market's API with the fast path off, over the same services
(one database, one write queue)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.sale_fast_path import SaleFastPathCounts
from api.services import Services
from tests.api.conftest import Market
from tests.api.test_scan_cache import split_lot_at_the_stall

ASYNC = {"Prefer": "respond-async"}
#: What differs between two answers to two sales: the new intent's, sale's and receipt's own.
OWN = {"intent_id", "location", "created_at", "updated_at", "serial", "transaction_hash", "block_number"}
OWN |= {"sale_id", "saleId", "qr_url", "receipt", "tx_hash"}
#: A sale's place in its block hangs on which other queued sales were mined with it.
OWN |= {"log_index"}


@pytest.fixture(scope="module")
def route_only(api_market: Market) -> TestClient:
    """The market's API with the sale fast path off, over the same services."""
    services: Services = api_market.client.app.state.services
    return TestClient(create_app(services.settings.model_copy(update={"sale_fast_path": False}), services))


@pytest.fixture(scope="module")
def stock(api_market: Market, cast: dict) -> str:
    """A batch of 20 at the vendor's stall."""
    _, part = split_lot_at_the_stall(api_market, cast)
    return part


def counts(m: Market) -> SaleFastPathCounts:
    return m.client.app.state.sale_fast_path


def sale(batch: str, price: int = 700, **extra: Any) -> dict[str, Any]:
    return {"batch_id": batch, "quantity": 1, "price": price, "currency": "CNY", **extra}


def same_shape(fast: httpx.Response, route: httpx.Response) -> None:
    """The two answers are the same but for what each sale has of its own."""
    assert (fast.status_code, route.status_code) == (route.status_code, fast.status_code)
    varying = {"content-length", "location", "date"}
    assert [(k, v) for k, v in fast.headers.items() if k not in varying] == [
        (k, v) for k, v in route.headers.items() if k not in varying
    ]
    assert fast.headers.keys() == route.headers.keys()
    assert without_own(fast.json()) == without_own(route.json())


def without_own(answer: Any) -> Any:
    """`answer` with the values each sale has of its own left out (their keys kept)."""
    if isinstance(answer, dict):
        return {k: "..." if k in OWN else without_own(v) for k, v in answer.items()}
    if isinstance(answer, list):
        return [without_own(v) for v in answer]
    return answer


def test_a_plain_sale_gets_the_routes_answer(
    api_market: Market, cast: dict, stock: str, route_only: TestClient
) -> None:
    m, auth = api_market, api_market.auth(cast["vendor"][1])
    m.client.post("/sales", json=sale(stock), headers={**auth, **ASYNC})  # the key and roles now cached
    before = counts(m).answered

    for prefer in (ASYNC, {}):  # accepted (202), and recorded once mined (201)
        fast = m.client.post("/sales", json=sale(stock, 710), headers={**auth, **prefer})
        route = route_only.post("/sales", json=sale(stock, 710), headers={**auth, **prefer})
        same_shape(fast, route)
        assert fast.status_code == (202 if prefer else 201), fast.text
        assert fast.headers["x-content-type-options"] == "nosniff"  # the security headers' layer is outside

    assert counts(m).answered == before + 2
    recorded = m.client.get(f"/intents/{fast.json()['intent_id']}", headers=auth).json()
    assert recorded["status"] == "recorded"
    assert recorded["result"]["sale_id"] == fast.json()["sale_id"]


def test_refusals_during_the_write_get_the_apps_error_answers(
    api_market: Market, cast: dict, stock: str, route_only: TestClient
) -> None:
    m, auth = api_market, api_market.auth(cast["vendor"][1])
    m.client.post("/sales", json=sale(stock), headers={**auth, **ASYNC})
    before = counts(m).answered
    asks = [
        # More than the batch holds: the contract's refusal, foreseen before anything is queued.
        ({"batch_id": stock, "quantity": 10_000, "price": 1, "currency": "CNY"}, {}),
        # An Idempotency-Key no header may carry.
        (sale(stock), {"Idempotency-Key": "two words"}),
    ]
    for body, headers in asks:
        fast = m.client.post("/sales", json=body, headers={**auth, **headers})
        route = route_only.post("/sales", json=body, headers={**auth, **headers})
        assert fast.status_code in (409, 422), fast.text
        assert (fast.status_code, fast.content, fast.headers) == (route.status_code, route.content, route.headers)
    assert counts(m).answered == before + len(asks)


def test_an_idempotency_key_answers_a_retry_with_the_first_answer(
    api_market: Market, cast: dict, stock: str, route_only: TestClient
) -> None:
    m, auth = api_market, api_market.auth(cast["vendor"][1])
    keyed = {**auth, **ASYNC, "Idempotency-Key": "scale-7-receipt-0001"}
    first = m.client.post("/sales", json=sale(stock, 555), headers=keyed)
    assert first.status_code == 202, first.text
    again = m.client.post("/sales", json=sale(stock, 555), headers=keyed)
    by_route = route_only.post("/sales", json=sale(stock, 555), headers=keyed)
    assert again.json()["intent_id"] == by_route.json()["intent_id"] == first.json()["intent_id"]

    # The same key with another sale: refused (422) the app's way, and nothing stored.
    other = m.client.post("/sales", json=sale(stock, 556), headers=keyed)
    other_by_route = route_only.post("/sales", json=sale(stock, 556), headers=keyed)
    assert other.status_code == 422, other.text
    assert (other.content, other.headers) == (other_by_route.content, other_by_route.headers)


@pytest.mark.parametrize(
    ("name", "body", "headers", "status"),
    [
        ("no key", sale("0x" + "11" * 32), {}, 401),
        ("an unknown key", sale("0x" + "11" * 32), {"Authorization": "Bearer fl_not_a_key"}, 401),
        ("a missing price", {"batch_id": "0x" + "11" * 32, "quantity": 1}, None, 422),
        ("a field too many", sale("0x" + "11" * 32, plu="4011"), None, 422),
        ("not an object", [1, 2], None, 422),
        ("a price too large", sale("0x" + "11" * 32, 2**63), None, 422),
    ],
)
def test_what_is_not_a_plain_sale_gets_the_routes_own_answer(
    api_market: Market, cast: dict, route_only: TestClient, name: str, body: Any, headers: dict | None, status: int
) -> None:
    m, auth = api_market, api_market.auth(cast["vendor"][1])
    m.client.post("/sales", json=sale("0x" + "11" * 32), headers={**auth, **ASYNC})  # the vendor's key cached
    asked = auth if headers is None else headers
    before = counts(m).passed_on
    fast = m.client.post("/sales", json=body, headers=asked)
    route = route_only.post("/sales", json=body, headers=asked)
    assert fast.status_code == status, fast.text
    assert (fast.content, fast.headers) == (route.content, route.headers)
    assert counts(m).passed_on == before + 1


def test_other_callers_and_bodies_are_passed_on(api_market: Market, cast: dict, route_only: TestClient) -> None:
    m = api_market
    supplier = m.auth(cast["farm"][1])
    m.client.post("/sales", json=sale("0x" + "11" * 32), headers=supplier)  # the supplier's key cached
    vendor = m.auth(cast["vendor"][1])
    asks = [
        ("a supplier", {"json": sale("0x" + "11" * 32)}, supplier, 403),
        ("text, not JSON", {"content": b"batch_id=1", "headers": {"Content-Type": "text/plain"}}, vendor, 422),
        ("JSON that is not", {"content": b"{", "headers": {"Content-Type": "application/json"}}, vendor, 422),
        ("a query string", {"json": sale("0x" + "11" * 32), "params": {"x": "1"}}, vendor, None),
    ]
    for name, request, auth, status in asks:
        before = counts(m).passed_on
        extra_headers = request.pop("headers", {})
        fast = m.client.post("/sales", headers={**auth, **extra_headers}, **request)
        route = route_only.post("/sales", headers={**auth, **extra_headers}, **request)
        assert status is None or fast.status_code == status, (name, fast.text)
        assert (fast.content, fast.headers) == (route.content, route.headers), name
        assert counts(m).passed_on == before + 1, name
