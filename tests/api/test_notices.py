"""Notices, the floor plan, the map, the touchscreen and the market search over the API, on a
real chain and a real index of each kind (SQLite and PostgreSQL): a notice published by the
regulator (and one by the authority) is on-chain, in ``GET /notices`` and on the board, the
stall's screen, the kiosk and the shopper page of its lot; outsiders and bad input are
refused with a clear 4xx; a plan is validated against the registered stalls and drawn with
each stall's state; the search answers by GTIN and by a name in any language."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import pytest

from ledger.chain.freshledger import batch_id_of
from ledger.hexes import to_hex
from ledger.queries.notices import current_notices
from tests.api.conftest import Market, market_at
from tests.support.databases import KINDS
from tests.support.html import parse_html

GREENS = "06901234000016"
DURIAN = "09506000134352"
_lots = itertools.count(1)
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module", params=KINDS)
def market(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Market]:
    with market_at(tmp_path_factory.mktemp(f"notices-{request.param}"), request.param) as market:
        yield market


def _harvest(m: Market, farm: str, gtin: str, to: tuple[str, str], lot: str) -> str:
    body = {
        "gtin": gtin,
        "lot": lot,
        "quantity": 50,
        "unit": "KGM",
        "harvested_at": (datetime.now(UTC) - timedelta(hours=3)).isoformat(),
        "origin": "geo:30.2336,119.7248",
    }
    answer = m.client.post("/harvests", json=body, headers=m.auth(farm))
    assert answer.status_code == 201, answer.text
    batch_id = answer.json()["batch_ids"][0]
    assert m.client.post(f"/batches/{batch_id}/handoff", json={"to": to[0]}, headers=m.auth(farm)).status_code == 200
    assert m.client.post(f"/batches/{batch_id}/accept", headers=m.auth(to[1])).status_code == 200
    return batch_id


@pytest.fixture(scope="module")
def world(market: Market) -> dict[str, Any]:
    """Stall A12 sells greens that passed a test; B03 holds durian that failed (quarantined);
    C07 is suspended; the catalog names both products in three languages."""
    m = market
    cast = {
        "farm": m.admit("SUPPLIER", "Green Valley Farm"),
        "lab": m.admit("LAB", "Market Lab", "CMA-2026-0417"),
        "a": m.admit("VENDOR", "Stall A12 Fresh Greens (Wang Li)", "JY1"),
        "b": m.admit("VENDOR", "Stall B03 Fruit Corner", "JY2"),
        "c": m.admit("VENDOR", "Stall C07 Seasonal", "JY3"),
        "regulator": m.admit("REGULATOR", "Market Supervision Bureau", "SAMR-HZ-01"),
    }
    authority = m.auth(m.authority_key)
    greens_lot, durian_lot = f"NT-G{next(_lots):03d}", f"NT-D{next(_lots):03d}"
    greens = _harvest(m, cast["farm"][1], GREENS, cast["a"], greens_lot)
    durian = _harvest(m, cast["farm"][1], DURIAN, cast["b"], durian_lot)
    for batch_id, passed, measured in ((greens, True, 3), (durian, False, 90)):
        tested = m.client.post(
            "/inspections",
            headers=m.auth(cast["lab"][1]),
            json={
                "batch_id": batch_id,
                "passed": passed,
                "residues": [{"substance": "Pb", "measured": measured, "limit": 20}],
            },
        )
        assert tested.status_code == 201, tested.text
    sold = m.client.post(
        "/sales", json={"batch_id": greens, "quantity": 2, "price": 1300}, headers=m.auth(cast["a"][1])
    )
    assert sold.status_code == 201, sold.text
    suspended = m.client.post(f"/participants/{cast['c'][0]}/suspend", json={"reason": "licence"}, headers=authority)
    assert suspended.status_code == 200, suspended.text
    for gtin, name, names in (
        (GREENS, "Leafy greens", {"zh": "青菜", "ko": "청경채"}),
        (DURIAN, "Monthong durian", {"zh": "金枕榴莲", "ko": "몬통 두리안"}),
    ):
        assert (
            m.client.put(f"/products/{gtin}", json={"name": name, "names": names}, headers=authority).status_code == 200
        )
    m.sync()
    return {"cast": cast, "greens": greens, "durian": durian, "greens_lot": greens_lot, "sale": sold.json()}


def _until(hours: float = 24) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


def _notice(title: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"en": title, "zh": f"{title} (中文)", "ko": f"{title} (한국어)"},
        "body": {"en": "Details follow.", "zh": "详情如下。", "ko": "자세한 내용."},
        "valid_until": _until(),
        **extra,
    }


@pytest.fixture(scope="module")
def published(market: Market, world: dict) -> dict[str, Any]:
    """The regulator's notice about the greens lot at A12, and the authority's general one."""
    m, cast = market, world["cast"]
    about = _notice("Greens lot warning", gtin=GREENS, lot=world["greens_lot"], stall=cast["a"][0])
    lot_notice = m.client.post("/notices", json=about, headers=m.auth(cast["regulator"][1]))
    assert lot_notice.status_code == 201, lot_notice.text
    general = m.client.post("/notices", json=_notice("Opening hours"), headers=m.auth(m.authority_key))
    assert general.status_code == 201, general.text
    m.sync()
    return {"lot": lot_notice.json(), "general": general.json()}


def test_post_notice_publishes_the_cid_of_its_text_on_chain(market: Market, world: dict, published: dict) -> None:
    (event,) = published["lot"]["events"]
    assert event["name"] == "NoticePublished"
    args = event["args"]
    assert args["author"] == world["cast"]["regulator"][0]
    assert args["batchId"] == to_hex(batch_id_of(GREENS, world["greens_lot"])) == world["greens"]
    assert args["stall"] == world["cast"]["a"][0]
    stored = market.client.get(f"/documents/{published['lot']['cid']}")
    assert stored.status_code == 200
    assert stored.json()["title"]["en"] == "Greens lot warning"


def test_get_notices_lists_current_notices_with_their_text(market: Market, world: dict, published: dict) -> None:
    answer = market.client.get("/notices")
    assert answer.status_code == 200
    titles = [n["title"]["en"] for n in answer.json()["data"]]
    assert titles[:2] == ["Opening hours", "Greens lot warning"]
    about_b = market.client.get("/notices", params={"stall": world["cast"]["b"][0]}).json()["data"]
    assert [n["title"]["en"] for n in about_b] == ["Opening hours"]  # the general one only
    about_lot = market.client.get("/notices", params={"batch_id": world["greens"]}).json()["data"]
    assert {n["title"]["en"] for n in about_lot} == {"Opening hours", "Greens lot warning"}


@pytest.mark.parametrize(
    ("who", "status"), [(None, 401), ("farm", 403), ("a", 403)], ids=["anonymous", "supplier", "vendor"]
)
def test_post_notice_refuses_other_than_regulator_or_authority(
    market: Market, world: dict, who: str | None, status: int
) -> None:
    headers = market.auth(world["cast"][who][1]) if who else {}
    assert market.client.post("/notices", json=_notice("Nope"), headers=headers).status_code == status


@pytest.mark.parametrize(
    ("change", "status", "says"),
    [
        ({"valid_until": "2001-01-01T00:00:00Z"}, 422, "valid_until"),
        ({"valid_from": _until(48), "valid_until": _until(24)}, 422, "valid_until"),
        ({"valid_until": _until(24 * 400)}, 422, "a year"),
        ({"title": {"fr": "Bonjour"}, "body": {"fr": "..."}}, 422, "fr"),
        ({"title": {"en": "Only a title"}, "body": {"zh": "只有正文"}}, 422, "same languages"),
        ({"title": {"en": "x" * 121}}, 422, "title"),
        ({"title": {"en": "bad\u202eline"}}, 422, "title"),
        ({"gtin": GREENS}, 422, "both gtin and lot"),
        ({"gtin": GREENS, "lot": "NO-SUCH-LOT"}, 404, "NO-SUCH-LOT"),
        ({"stall": "0x" + "12" * 20}, 422, "not a registered stall"),
        ({"unknown": 1}, 422, "unknown"),
    ],
    ids=[
        "over",
        "reversed",
        "too-long",
        "language",
        "mismatch",
        "long-title",
        "bidi",
        "half-lot",
        "no-lot",
        "stall",
        "extra",
    ],
)
def test_post_notice_refuses_bad_input_clearly(
    market: Market, world: dict, change: dict, status: int, says: str
) -> None:
    answer = market.client.post(
        "/notices", json={**_notice("Bad"), **change}, headers=market.auth(market.authority_key)
    )
    assert answer.status_code == status, answer.text
    assert says in answer.text


def test_post_notice_body_is_bounded(market: Market) -> None:
    answer = market.client.post(
        "/notices",
        content=b'{"title": {"en": "' + b"x" * 70_000 + b'"}}',
        headers={**market.auth(market.authority_key), "Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    assert answer.json()["error"] == "BodyTooLarge"


def test_notices_show_on_the_board_the_stall_screen_and_the_shopper_page(
    market: Market, world: dict, published: dict
) -> None:
    board = parse_html(market.client.get("/board", params={"lang": "en"}).text)
    titles = [h.text() for h in board.by_id("notices").find_all("h3")]
    assert titles == ["Opening hours", "Greens lot warning"]
    stall_b = parse_html(market.client.get(f"/board/stalls/{world['cast']['b'][0]}", params={"lang": "zh"}).text)
    assert [h.text() for h in stall_b.by_id("notices").find_all("h3")] == ["Opening hours (中文)"]
    stall_a = parse_html(market.client.get(f"/board/stalls/{world['cast']['a'][0]}", params={"lang": "ko"}).text)
    assert "Greens lot warning (한국어)" in stall_a.by_id("notices").text()
    shopper = market.client.get(f"/01/{GREENS}/10/{world['greens_lot']}/21/1", params={"lang": "en"})
    assert shopper.status_code == 200, shopper.text
    notices = parse_html(shopper.text).by_id("notices")
    assert "Greens lot warning" in notices.text() and "Lot " + world["greens_lot"] in notices.text()


# ------------------------------------------------------------------ the floor plan and the map


def _plan(world: dict, **changes: Any) -> dict[str, Any]:
    cast = world["cast"]
    plan = {
        "width": 40,
        "height": 20,
        "stalls": [
            {"stall": cast["a"][0], "x": 1, "y": 2, "w": 8, "h": 5},
            {"stall": cast["b"][0], "x": 11, "y": 2, "w": 8, "h": 5},
            {"stall": cast["c"][0], "x": 21, "y": 2, "w": 8, "h": 5},
        ],
        "empty": [{"label": "D01", "x": 1, "y": 12, "w": 8, "h": 5}],
        "entrances": [{"label": "Gate", "x": 20, "y": 20}],
        "lab": {"x": 31, "y": 2, "w": 6, "h": 6},
    }
    return {**plan, **changes}


def test_put_layout_refuses_a_plan_that_does_not_fit_with_every_problem(market: Market, world: dict) -> None:
    cast = world["cast"]
    bad = _plan(
        world,
        stalls=[
            {"stall": cast["a"][0], "x": 1, "y": 2, "w": 8, "h": 5},
            {"stall": cast["a"][0], "x": 35, "y": 15, "w": 8, "h": 5},
            {"stall": "0x" + "ab" * 20, "x": 5, "y": 4, "w": 4, "h": 4},
        ],
        entrances=[{"label": "Middle", "x": 10, "y": 10}],
    )
    answer = market.client.put("/market/layout", json=bad, headers=market.auth(market.authority_key))
    assert answer.status_code == 422, answer.text
    problems = "\n".join(answer.json()["problems"])
    for expected in (
        "reaches outside",
        "overlaps",
        "placed more than once",
        "is not a registered stall",
        f"stall {cast['b'][0]} is not placed",
        f"stall {cast['c'][0]} is not placed",
        "entrance Middle is not on the hall's edge",
    ):
        assert expected in problems
    for broken in ({"width": 0}, {"stalls": "all"}, {"lab": None}, {"entrances": []}, {"width": True}):
        refused = market.client.put(
            "/market/layout", json=_plan(world, **broken), headers=market.auth(market.authority_key)
        )
        assert refused.status_code == 422, (broken, refused.text)
    regulator = market.auth(world["cast"]["regulator"][1])
    assert market.client.put("/market/layout", json=_plan(world), headers=regulator).status_code == 403


def test_map_draws_the_plan_with_each_stall_by_state(market: Market, world: dict) -> None:
    answer = market.client.put("/market/layout", json=_plan(world), headers=market.auth(market.authority_key))
    assert answer.status_code == 200, answer.text
    assert answer.json()["events"][0]["name"] == "LayoutPublished"
    market.sync()
    drawn = market.client.get("/board/map", params={"lang": "en"})
    assert drawn.status_code == 200
    assert drawn.headers["content-type"].startswith("image/svg+xml")
    assert drawn.headers["content-security-policy"] == "default-src 'none'"
    svg = ElementTree.fromstring(drawn.content)
    states = {g.get("data-address"): g.get("data-state") for g in svg.iter(f"{SVG}g") if g.get("data-address")}
    cast = world["cast"]
    assert states == {cast["a"][0]: "open", cast["b"][0]: "quarantined", cast["c"][0]: "suspended"}
    labels = [t.text for t in svg.iter(f"{SVG}text")]
    assert {"A12", "B03", "C07", "D01", "Lab", "Gate"} <= set(labels)
    links = {a.get("href") for a in svg.iter(f"{SVG}a")}
    assert f"/board/stalls/{cast['a'][0]}" in links


# ------------------------------------------------------------------ the touchscreen and the search


def test_market_search_by_gtin_and_by_name_in_any_language(market: Market, world: dict) -> None:
    by_gtin = market.client.get("/market/search", params={"product": GREENS})
    assert by_gtin.status_code == 200
    (offer,) = by_gtin.json()["data"]
    assert offer["stall"] == world["cast"]["a"][0]
    assert offer["stall_name"] == "Stall A12 Fresh Greens (Wang Li)"
    assert (offer["unit_price"], offer["currency"], offer["remaining"]) == (650, "CNY", 48)
    assert offer["origins"] == [{"kind": "harvest", "origin": "Green Valley Farm"}]
    assert offer["latest_test"]["passed"] is True
    for q in ("청경채", "青菜", "leafy", "GREENS"):
        found = market.client.get("/market/search", params={"q": q}).json()
        assert [p["gtin"] for p in found["products"]] == [GREENS], q
        assert found["count"] == 1
    # the durian is quarantined at B03: in the catalog, in no stall's stock for sale
    durian = market.client.get("/market/search", params={"q": "榴莲"}).json()
    assert [p["gtin"] for p in durian["products"]] == [DURIAN] and durian["data"] == []
    assert market.client.get("/market/search", params={"q": "kiwi"}).json() == {"products": [], "data": [], "count": 0}
    for bad in ({}, {"product": GREENS, "q": "x"}, {"product": "123"}, {"q": ""}, {"q": "x" * 121}):
        assert market.client.get("/market/search", params=bad).status_code == 422, bad


def test_kiosk_start_screen_lists_the_catalog_in_three_languages(market: Market, world: dict, published: dict) -> None:
    # The plan of its own: under xdist this test may run without the map test before it.
    placed = market.client.put("/market/layout", json=_plan(world), headers=market.auth(market.authority_key))
    assert placed.status_code in (200, 201), placed.text
    market.sync()
    answer = market.client.get("/kiosk", params={"lang": "en"})
    assert answer.status_code == 200
    assert "script-src" in answer.headers["content-security-policy"]
    page = parse_html(answer.text)
    tiles = {t.attrs["data-gtin"]: t.text() for t in page.find_all("a", cls="tile")}
    assert "청경채" in tiles[GREENS] and "青菜" in tiles[GREENS] and "Leafy greens" in tiles[GREENS]
    assert not page.find_all("script")
    refresh = page.find("meta", http_equiv="refresh")
    assert refresh.attrs["content"] == "60;url=/kiosk"
    assert "Opening hours" in page.by_id("notices").text()
    assert page.by_id("map").find_all("svg")
    assert "Greens lot" not in page.by_id("tests").text()  # tests list lots, not notices
    assert world["greens_lot"] in page.by_id("tests").text()


def test_kiosk_product_shows_stalls_with_it_lit_on_the_map(market: Market, world: dict) -> None:
    # The plan of its own: under xdist this test may run without the map test before it.
    placed = market.client.put("/market/layout", json=_plan(world), headers=market.auth(market.authority_key))
    assert placed.status_code in (200, 201), placed.text
    market.sync()
    page = parse_html(market.client.get("/kiosk", params={"product": GREENS, "lang": "zh"}).text)
    offers = page.by_id("offers").find_all("a", cls="offer")
    assert len(offers) == 1
    assert "A12" in offers[0].text() and "合格" in offers[0].text() and "Green Valley Farm" in offers[0].text()
    lit = [g.attrs["data-address"] for g in page.by_id("map").find_all("g") if "lit" in g.classes]
    assert lit == [world["cast"]["a"][0]]


def test_kiosk_stall_shows_its_stock_and_notices(market: Market, world: dict, published: dict) -> None:
    a = world["cast"]["a"][0]
    page = parse_html(market.client.get("/kiosk", params={"stall": a, "lang": "en"}).text)
    assert world["greens_lot"] in page.by_id("stall").text()
    assert "Greens lot warning" in page.by_id("notices").text()
    assert market.client.get("/kiosk", params={"stall": world["cast"]["farm"][0]}).status_code == 404
    assert market.client.get("/kiosk", params={"stall": "nonsense"}).status_code == 422


def test_an_expired_notice_disappears_by_itself(market: Market, world: dict, published: dict) -> None:
    """Current means valid_from <= now < valid_until: asked at the end of a window, the query
    no longer lists the notice (no one has to take it down)."""
    engine = market.client.app.state.services.engine
    rows = {row.cid: row for row in current_notices(engine, int(time.time()))}
    notice = rows[published["general"]["cid"]]
    assert notice.cid in {r.cid for r in current_notices(engine, notice.valid_until - 1)}
    assert notice.cid not in {r.cid for r in current_notices(engine, notice.valid_until)}
    assert notice.cid not in {r.cid for r in current_notices(engine, notice.valid_from - 1)}
