"""The access table of api.policy against the real app on a real chain and database: every
route the app serves is in the table (and nothing else), and each route answers as the table
says: no key 401 where one is needed, a key of the wrong audience 403, the right audience
through the gate (2xx for every read). Then the read scope of EPCIS queries, exports and the
batch search (own lots, one step up and down; regulators everything), and the paged export."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI

from api.deps import CallerDep
from api.main import create_app
from api.policy import POLICY, Audience, app_routes, check_policy, policy_problems
from api.settings import ApiSettings
from ledger.epcis.identifiers import lot_uri
from ledger.epcis.pages import MAX_EXPORT_EVENTS
from ledger.epcis.validate import validate_document
from ledger.queries.stalls import stall_directory
from tests.api.conftest import Market, api_market, cast  # noqa: F401 - fixtures
from tests.api.test_epcis import _document, _harvest
from tests.api.test_ratings import harvest_at_stall

GTIN = "06901234000016"
OTHER_GTIN = "09506000134352"
NO_BATCH = "0x" + "ee" * 32


@dataclass(frozen=True)
class World:
    """What the calls name: a batch at the vendor, a sale of it, a document, a capture job,
    a participant to suspend and reinstate, and a suspended participant's key."""

    batch_id: str
    sale: dict[str, Any]
    cid: str
    capture_id: str
    spare: str
    suspended_key: str
    layout: dict[str, Any]


@pytest.fixture(scope="module")
def world(api_market: Market, cast: dict) -> World:  # noqa: F811 - fixtures
    m = api_market
    batch_id = harvest_at_stall(m, cast, "vendor")
    sold = m.client.post(
        "/sales", json={"batch_id": batch_id, "quantity": 1, "price": 900}, headers=m.auth(cast["vendor"][1])
    )
    assert sold.status_code == 201, sold.text
    stored = m.client.post(
        "/documents", content=b"lab report", headers={**m.auth(cast["lab"][1]), "Content-Type": "text/plain"}
    )
    assert stored.status_code == 201, stored.text
    captured = m.client.post(
        "/epcis/capture",
        json=_document(_harvest("ACCESS-CAPTURE-1")),
        headers=m.auth(cast["farm"][1]),
    )
    assert captured.status_code == 202, captured.text
    spare, _ = m.admit("VENDOR", "Stall Z98")
    suspended_address, suspended_key = m.admit("VENDOR", "Stall Z99")
    suspended = m.client.post(
        f"/participants/{suspended_address}/suspend",
        json={"reason": "licence expired"},
        headers=m.auth(m.authority_key),
    )
    assert suspended.status_code == 200, suspended.text
    m.sync()
    layout = _layout_of_every_stall(m)
    planned = m.client.put("/market/layout", json=layout, headers=m.auth(m.authority_key))
    assert planned.status_code == 200, planned.text  # GET /board/map needs a plan to draw
    m.sync()
    return World(
        batch_id, sold.json(), stored.json()["cid"], captured.json()["captureID"], spare, suspended_key, layout
    )


def _layout_of_every_stall(m: Market) -> dict[str, Any]:
    """A floor plan placing every registered stall in a row (a plan must place them all)."""
    stalls = [entry.address for entry in stall_directory(m.client.app.state.services.engine)]
    places = [{"stall": address, "x": 1 + 3 * i, "y": 1, "w": 2, "h": 2} for i, address in enumerate(stalls)]
    return {
        "width": 3 * len(stalls) + 10,
        "height": 10,
        "stalls": places,
        "entrances": [{"label": "Gate", "x": 0, "y": 5}],
        "lab": {"x": 1, "y": 5, "w": 3, "h": 3},
    }


@dataclass(frozen=True)
class Call:
    path: str
    params: dict[str, str] | None = None
    json: Any = None


def call_of(route: str, w: World, roles: dict) -> Call:
    """A request for `route` naming real things (a read by the right audience answers 2xx).
    A custody write names no batch, so that the contract's own custody check (403) stays out
    of a test of the API's gate."""
    method, template = route.split(" ", 1)
    values = {
        "{batch_id}": NO_BATCH if POLICY[route] is Audience.KEY else w.batch_id,
        "{sale_id}": w.sale["sale_id"],
        "{cid}": w.cid,
        "{capture_id}": w.capture_id,
        "{webhook_id}": "wh_nosuchhook00000000",
        "{key_id}": "0" * 16,
        "{intent_id}": str(w.sale["intent_id"]),
        "{gtin}": GTIN,
        "{rest:path}": urlsplit(w.sale["qr_url"]).path.removeprefix("/01/"),
        "{address}": w.spare if template.startswith("/participants/") else roles["vendor"][0],
    }
    path = template
    for name, value in values.items():
        path = path.replace(name, value)
    params = {"/regulators/fsma204": {"since": "2000-01-01T00:00:00Z"}, "/epcis/export": {"perPage": "5"}}.get(template)
    until = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    bodies = {
        "PUT /products/{gtin}": {"name": "Leafy greens"},
        "POST /notices": {"title": {"en": "Access check"}, "body": {"en": "A notice."}, "valid_until": until},
        "PUT /market/layout": w.layout,
    }
    params = params or {"/market/search": {"product": GTIN}}.get(template)
    return Call(path, params, bodies.get(route, {} if method in ("POST", "PUT") else None))


#: The key that is the audience, and one that is not (None: every key is the audience).
RIGHT_AND_WRONG: dict[Audience, tuple[str, str | None]] = {
    Audience.SUPPLIER: ("farm", "vendor"),
    Audience.CUSTOMS: ("customs", "farm"),
    Audience.LAB: ("lab", "farm"),
    Audience.VENDOR: ("vendor", "farm"),
    Audience.REGULATOR: ("regulator", "farm"),
    Audience.REGULATOR_OR_AUTHORITY: ("regulator", "farm"),
    Audience.AUTHORITY: ("authority", "regulator"),
    Audience.SALE_VENDOR: ("vendor", "vendor2"),
    Audience.PARTICIPANT: ("farm", "suspended"),
    Audience.KEY: ("farm", None),
}


def send(m: Market, method: str, call: Call, key: str | None) -> Any:
    headers = m.auth(key) if key else {}
    return m.client.request(method, call.path, params=call.params, json=call.json, headers=headers)


def test_every_served_route_is_in_the_access_table_and_nothing_else(api_market: Market) -> None:  # noqa: F811
    served = {str(key) for key in app_routes(api_market.client.app)}
    assert len(served) >= 55  # the enumeration sees the included routers, not just the docs
    assert served == set(POLICY)
    assert policy_problems(api_market.client.app) == []


def test_an_app_with_a_route_outside_the_table_does_not_start(tmp_path: Any) -> None:
    app = create_app(ApiSettings(data_dir=tmp_path, rpc_url="http://127.0.0.1:9"))

    @app.get("/batches/everything")
    def everything() -> dict[str, str]:
        return {}

    with pytest.raises(RuntimeError, match=r"GET /batches/everything: not in the access policy"):
        check_policy(app)


def test_a_keyed_route_without_the_key_check_or_a_public_route_asking_for_one_is_refused() -> None:
    app = FastAPI()

    @app.get("/epcis/events")
    def events() -> dict[str, str]:
        return {}

    @app.get("/health")
    def health(caller: CallerDep) -> dict[str, str]:
        return {}

    problems = policy_problems(app)
    assert any(p.startswith("GET /epcis/events: the policy says") and p.endswith("checks no key") for p in problems)
    assert "GET /health: the policy says 'anyone', but the route asks for a key" in problems


#: The workbench's routes answer sessions, not keys: tests/workbench/test_access.py calls them.
KEYED_OR_PUBLIC = sorted(r for r, a in POLICY.items() if not a.needs_session and a is not Audience.SIGN_IN)


@pytest.mark.parametrize("route", KEYED_OR_PUBLIC)
def test_route_answers_its_audience_only(
    api_market: Market,  # noqa: F811
    cast: dict,  # noqa: F811
    world: World,
    route: str,
) -> None:
    m = api_market
    method, _ = route.split(" ", 1)
    audience = POLICY[route]
    call = call_of(route, world, cast)
    keys: dict[str, str] = {name: key for name, (_, key) in cast.items()}
    keys |= {"authority": m.authority_key, "suspended": world.suspended_key}
    anonymous = send(m, method, call, None)
    if audience is Audience.ANYONE:
        assert 200 <= anonymous.status_code < 300, (route, anonymous.status_code, anonymous.text[:300])
        return
    if audience is Audience.RECEIPT:
        assert anonymous.status_code == 403, anonymous.text
        assert anonymous.json()["error"] == "NoReceiptProof"
        return
    assert anonymous.status_code == 401, (route, anonymous.text)
    right, wrong = RIGHT_AND_WRONG[audience]
    if wrong is not None:
        refused = send(m, method, call, keys[wrong])
        assert refused.status_code == 403, (route, wrong, refused.text)
    answer = send(m, method, call, keys[right])
    assert answer.status_code not in (401, 403), (route, right, answer.text[:300])
    # A webhook id names nothing here, and an intent answers only its sender (404 to any other
    # key, as if it did not exist: tests/api/test_queue.py): past the gate is what counts.
    if method == "GET" and "{webhook_id}" not in route and "{intent_id}" not in route:
        assert 200 <= answer.status_code < 300, (route, right, answer.status_code, answer.text[:300])
    if audience is Audience.REGULATOR_OR_AUTHORITY:
        assert 200 <= send(m, method, call, m.authority_key).status_code < 300


# ------------------------------------------------------------------ read scope


@dataclass(frozen=True)
class Lots:
    """Farm harvests ``L1`` and ships it to the wholesaler, who splits it into ``L1A`` (to the
    vendor, sold) and ``L1B`` (to vendor2); the wholesaler also harvests ``L2`` for vendor2."""

    l1: str
    l1a: str
    l1b: str
    l2: str


def _harvest_lot(m: Market, key: str, lot: str) -> str:
    body = {
        "gtin": OTHER_GTIN,
        "lot": lot,
        "quantity": 100,
        "unit": "KGM",
        "harvested_at": (datetime.now(UTC) - timedelta(hours=5)).isoformat(),
        "origin": "geo:30.2336,119.7248",
    }
    answer = m.client.post("/harvests", json=body, headers=m.auth(key))
    assert answer.status_code == 201, answer.text
    return answer.json()["batch_ids"][0]


def _move(m: Market, batch_id: str, sender: str, to: tuple[str, str]) -> None:
    shipped = m.client.post(f"/batches/{batch_id}/handoff", json={"to": to[0]}, headers=m.auth(sender))
    assert shipped.status_code == 200, shipped.text
    assert m.client.post(f"/batches/{batch_id}/accept", headers=m.auth(to[1])).status_code == 200


@pytest.fixture(scope="module")
def lots(api_market: Market, cast: dict) -> Lots:  # noqa: F811
    m = api_market
    l1 = _harvest_lot(m, cast["farm"][1], "SCOPE-L1")
    _move(m, l1, cast["farm"][1], cast["wholesaler"])
    split = m.client.post(
        f"/batches/{l1}/split",
        json={"parts": [{"lot": "SCOPE-L1A", "quantity": 60}, {"lot": "SCOPE-L1B", "quantity": 40}]},
        headers=m.auth(cast["wholesaler"][1]),
    )
    assert split.status_code == 201, split.text
    l1a, l1b = split.json()["batch_ids"][-2:]
    _move(m, l1a, cast["wholesaler"][1], cast["vendor"])
    _move(m, l1b, cast["wholesaler"][1], cast["vendor2"])
    sale = {"batch_id": l1a, "quantity": 1, "price": 500}
    sold = m.client.post("/sales", json=sale, headers=m.auth(cast["vendor"][1]))
    assert sold.status_code == 201, sold.text
    l2 = _harvest_lot(m, cast["wholesaler"][1], "SCOPE-L2")
    _move(m, l2, cast["wholesaler"][1], cast["vendor2"])
    m.sync()
    return Lots(l1, l1a, l1b, l2)


def _lots_in(events: list[dict[str, Any]]) -> set[str]:
    """Lot codes each event is about (its quantity lists)."""
    found = set()
    for e in events:
        for field in ("quantityList", "inputQuantityList", "outputQuantityList"):
            found |= {q["epcClass"].rsplit("/", 1)[-1] for q in e.get(field) or []}
    return {lot for lot in found if lot.startswith("SCOPE-")}


def _scoped_events(m: Market, key: str) -> list[dict[str, Any]]:
    answer = m.client.get("/epcis/events", params={"perPage": "500"}, headers=m.auth(key))
    assert answer.status_code == 200, answer.text
    assert validate_document(answer.json()) == []
    return answer.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]


def _by_lot(events: list[dict[str, Any]], lot: str) -> list[str]:
    uri = lot_uri(OTHER_GTIN, lot)
    return [e.get("bizStep") for e in events if any(q["epcClass"] == uri for q in e.get("quantityList") or [])]


def test_a_participant_sees_its_lots_one_step_up_and_down_and_a_regulator_everything(
    api_market: Market,  # noqa: F811
    cast: dict,  # noqa: F811
    lots: Lots,
) -> None:
    m = api_market
    vendor = _scoped_events(m, cast["vendor"][1])
    # Its own lot L1A (received, sold) and the lot it came from (L1, one step up); L1B is only
    # named by L1's split, never followed to vendor2; L2 never.
    assert _by_lot(vendor, "SCOPE-L1A") == ["shipping", "receiving", "retail_selling"]
    assert _by_lot(vendor, "SCOPE-L1") == ["commissioning", "shipping", "receiving"]
    assert _by_lot(vendor, "SCOPE-L1B") == [] and _by_lot(vendor, "SCOPE-L2") == []
    farm = _scoped_events(m, cast["farm"][1])
    # Its harvest L1, and what was made of it (L1A and L1B, one step down), not L2.
    assert _by_lot(farm, "SCOPE-L1A")[:2] == ["shipping", "receiving"] and _by_lot(farm, "SCOPE-L1B")
    assert _by_lot(farm, "SCOPE-L2") == []
    lab = _scoped_events(m, cast["lab"][1])
    assert _lots_in(lab) == set()  # tested none of these lots
    everything = _scoped_events(m, cast["regulator"][1])
    assert _lots_in(everything) == {"SCOPE-L1", "SCOPE-L1A", "SCOPE-L1B", "SCOPE-L2"}
    assert len(_scoped_events(m, m.authority_key)) == len(everything)
    found = m.client.get("/batches", params={"gtin": OTHER_GTIN}, headers=m.auth(cast["vendor"][1])).json()
    assert {b["lot"] for b in found["data"]} == {"SCOPE-L1", "SCOPE-L1A"}
    everywhere = m.client.get("/batches", params={"gtin": OTHER_GTIN}, headers=m.auth(cast["regulator"][1])).json()
    assert {b["lot"] for b in everywhere["data"]} == {"SCOPE-L1", "SCOPE-L1A", "SCOPE-L1B", "SCOPE-L2"}


def test_export_answers_only_lots_the_reader_may_see(
    api_market: Market,  # noqa: F811
    cast: dict,  # noqa: F811
    lots: Lots,
) -> None:
    m = api_market
    params = {"lot": "SCOPE-L2", "gtin": OTHER_GTIN}
    assert m.client.get("/epcis/export", params=params).status_code == 401
    hidden = m.client.get("/epcis/export", params=params, headers=m.auth(cast["vendor"][1]))
    assert hidden.status_code == 404  # as if it did not exist
    assert hidden.json() == {"error": "NotFound", "message": f"no batch with GTIN {OTHER_GTIN} lot SCOPE-L2"}
    mine = m.client.get(
        "/epcis/export", params={"lot": "SCOPE-L1A", "gtin": OTHER_GTIN}, headers=m.auth(cast["vendor"][1])
    )
    assert mine.status_code == 200, mine.text
    assert validate_document(mine.json()) == []
    assert _lots_in(mine.json()["epcisBody"]["eventList"]) == {"SCOPE-L1", "SCOPE-L1A", "SCOPE-L1B"}
    assert _by_lot(mine.json()["epcisBody"]["eventList"], "SCOPE-L1B") == []
    whole = m.client.get(
        "/epcis/export", params={"lot": "SCOPE-L1", "gtin": OTHER_GTIN}, headers=m.auth(cast["regulator"][1])
    )
    assert _by_lot(whole.json()["epcisBody"]["eventList"], "SCOPE-L1B") == ["shipping", "receiving"]


def test_export_without_a_lot_is_paged_with_a_cap_and_links_every_page(
    api_market: Market,  # noqa: F811
    cast: dict,  # noqa: F811
    lots: Lots,
) -> None:
    m = api_market
    auth = m.auth(cast["regulator"][1])
    over = m.client.get("/epcis/export", params={"perPage": str(MAX_EXPORT_EVENTS + 1)}, headers=auth)
    assert over.status_code == 422 and "perPage" in over.text
    collected: list[str] = []
    url: str | None = "/epcis/export?perPage=4"
    pages = 0
    while url:
        answer = m.client.get(url, headers=auth)
        assert answer.status_code == 200, answer.text
        assert validate_document(answer.json()) == []
        events = answer.json()["epcisBody"]["eventList"]
        assert 1 <= len(events) <= 4
        collected += [e["eventID"] for e in events]
        link = answer.headers.get("Link")
        url = link[1 : link.index(">")] if link else None
        pages += 1
        assert pages <= 500
    assert pages > 1
    query = m.client.get("/epcis/events", params={"perPage": "500"}, headers=auth).json()
    assert collected == [e["eventID"] for e in query["epcisBody"]["queryResults"]["resultsBody"]["eventList"]]
    bad = m.client.get("/epcis/export", params={"nextPageToken": "forged"}, headers=auth)
    assert bad.status_code == 400 and bad.json()["parameter"] == "nextPageToken"


def test_export_that_fails_the_schema_is_logged_and_not_sent(
    api_market: Market,  # noqa: F811
    cast: dict,  # noqa: F811
    lots: Lots,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A mapping bug stands in here (the real mapping validates): a recall event with a
    business step no CBV has. The real schema check runs on it."""
    import api.routes.epcis as route
    from ledger.epcis.pages import export_page

    def broken(*args: Any, **kwargs: Any) -> Any:
        page = export_page(*args, **kwargs)
        page.document["epcisBody"]["eventList"][0]["bizStep"] = "shelving the problem"
        return page

    monkeypatch.setattr(route, "export_page", broken)
    with caplog.at_level(logging.ERROR, logger="api.routes.epcis"):
        answer = api_market.client.get(
            "/epcis/export", params={"lot": "SCOPE-L1"}, headers=api_market.auth(cast["regulator"][1])
        )
    assert answer.status_code == 500
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["type"] == "epcisException:ImplementationException"
    assert "eventList" not in answer.text and "SCOPE-L1" not in answer.text
    assert any("does not validate" in r.getMessage() and "/bizStep" in r.getMessage() for r in caplog.records)
