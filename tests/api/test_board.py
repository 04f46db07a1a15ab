"""The market board and the stall screen over the API, on a real chain and database: what the
wall screen lists (tests with residues against limits, alerts, stalls, prices, arrivals), its
refreshable fragment, languages, other days, the stall screen with its QR code, and the day's
prices and arrivals as JSON."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from tests.api.conftest import Market
from tests.support.html import Element, parse_html

GTIN = "06901234000016"
_lots = itertools.count(1)


def harvest_at(m: Market, cast: dict, stall: str, quantity: int) -> str:
    body = {
        "gtin": GTIN,
        "lot": f"BD-{next(_lots):04d}",
        "quantity": quantity,
        "unit": "KGM",
        "harvested_at": (datetime.now(UTC) - timedelta(hours=3)).isoformat(),
        "origin": "geo:30.2336,119.7248",
    }
    answer = m.client.post("/harvests", json=body, headers=m.auth(cast["farm"][1]))
    assert answer.status_code == 201, answer.text
    batch_id = answer.json()["batch_ids"][0]
    assert m.client.post(f"/batches/{batch_id}/handoff", json={"to": cast[stall][0]}, headers=m.auth(cast["farm"][1]))
    assert m.client.post(f"/batches/{batch_id}/accept", headers=m.auth(cast[stall][1])).status_code == 200
    return batch_id


def inspect(m: Market, cast: dict, batch_id: str, passed: bool, measured: int) -> None:
    answer = m.client.post(
        "/inspections",
        headers=m.auth(cast["lab"][1]),
        json={
            "batch_id": batch_id,
            "passed": passed,
            "residues": [{"substance": "carbofuran", "measured": measured, "limit": 20}],
        },
    )
    assert answer.status_code == 201, answer.text


@pytest.fixture(scope="module")
def board_market(api_market: Market, cast: dict) -> dict[str, str]:
    """A passed lot sold at A12 (unit prices 600 and 700), a lot failed at B03; indexed."""
    m = api_market
    good = harvest_at(m, cast, "vendor", 40)
    inspect(m, cast, good, True, 3)
    bad = harvest_at(m, cast, "vendor2", 25)
    inspect(m, cast, bad, False, 37)
    m.sync()
    for quantity, price in ((2, 1200), (1, 700)):
        sold = m.client.post(
            "/sales",
            json={"batch_id": good, "quantity": quantity, "price": price},
            headers=m.auth(cast["vendor"][1]),
        )
        assert sold.status_code == 201, sold.text
    m.sync()
    return {"good": good, "bad": bad}


def board(m: Market, **params: object) -> Element:
    m.client.cookies.clear()
    answer = m.client.get("/board", params={"lang": "en", **params})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    return parse_html(answer.text)


def test_board_lists_todays_tests_with_residues_and_the_failed_lot_in_alerts(
    api_market: Market, board_market: dict
) -> None:
    doc = board(api_market)
    tests = {t.attrs["data-lot"]: t for t in doc.by_id("inspections").find_all("tbody")}
    assert len(tests) == 2
    failed = next(t for t in tests.values() if "failed" in t.classes)
    passed = next(t for t in tests.values() if "passed" in t.classes)
    assert failed.find("td", cls="verdict").text() == "Failed"
    assert [td.text() for td in failed.find_all("td")][:4] == ["Stall B03", "carbofuran", "37 μg/kg", "20 μg/kg"]
    assert "over" in failed.find_all("td")[2].classes
    assert passed.find("td", cls="verdict").text() == "Passed"
    alert = doc.by_id("alerts").find("article")
    assert "alert-quarantined" in alert.classes
    assert alert.find("p", cls="reason").text() == "Failed lab test: carbofuran 37 μg/kg (limit 20 μg/kg)"


def test_board_lists_stalls_prices_and_arrivals(api_market: Market, cast: dict, board_market: dict) -> None:
    doc = board(api_market)
    rows = {r.attrs["data-address"]: r for r in doc.by_id("stalls").find_all("tr", cls="stall-row")}
    a12 = rows[cast["vendor"][0]]
    assert [c.text() for c in a12.find_all("td")] == ["A12", "王丽", "JY33010600012345", "No ratings yet"]
    assert a12.find("a").attrs["href"] == f"/board/stalls/{cast['vendor'][0]}"
    assert rows[cast["vendor2"][0]].find("td", cls="place").text() == "B03"
    price = doc.by_id("prices").find("tbody").find("tr")
    assert price.find("td", cls="median").text() == "CNY 6.50 per kg"  # unit prices 600 and 700
    assert [td.text() for td in price.find_all("td")][1] == "CNY 6.00 \u2013 CNY 7.00 Sales 2 · 3 kg"
    arrival = doc.by_id("arrivals").find("tbody").find("tr")
    assert [td.text() for td in arrival.find_all("td")] == ["65 kg", "0 kg", "65 kg"]


def test_board_fragment_is_the_refreshable_part_and_the_page_works_without_script(
    api_market: Market, board_market: dict
) -> None:
    m = api_market
    page = m.client.get("/board", params={"lang": "en"}).text
    fragment = m.client.get("/board", params={"lang": "en", "fragment": 1}).text
    assert "<html" not in fragment and fragment.lstrip().startswith('<p class="board-meta">')
    assert parse_html(fragment).by_id("inspections").find("h2").text() == "Today's lab tests"
    doc = parse_html(page)
    assert doc.find("body").attrs["data-refresh"] == "5"
    (script,) = doc.find_all("script")
    assert "fragment" in script.text() and "http" not in script.text()  # no request off this host
    assert doc.find("noscript").find("meta").attrs == {"http-equiv": "refresh", "content": "30"}
    quiet = parse_html(m.client.get("/board", params={"lang": "en", "refresh": 0}).text)
    assert quiet.find_all("script") == [] and quiet.find_all("noscript") == []


def test_board_speaks_korean_and_chinese(api_market: Market, board_market: dict) -> None:
    m = api_market
    m.client.cookies.clear()
    korean = m.client.get("/board", headers={"Accept-Language": "ko-KR,ko;q=0.9"})
    doc = parse_html(korean.text)
    assert doc.find("html").attrs["lang"] == "ko"
    assert [h.text() for h in doc.find_all("h2")] == [
        "오늘 격리·리콜된 로트",
        "오늘의 안전성 검사",
        "오늘의 가격",
        "오늘의 입고",
        "매장 안내",
    ]
    chinese = m.client.get("/board", params={"lang": "zh"})
    assert chinese.cookies.get("lang") == "zh"
    doc = parse_html(chinese.text)
    assert doc.find("h1").text() == "市场公示屏"
    assert doc.by_id("inspections").find("tbody", cls="failed").find("td", cls="verdict").text() == "不合格"


def test_board_of_another_day_and_bad_days(api_market: Market, board_market: dict) -> None:
    doc = board(api_market, day="2020-02-02")
    assert doc.find("span", cls="day").text() == "Market day 2020-02-02"
    assert doc.by_id("inspections").find("p", cls="empty").text() == "No lab test has been recorded today."
    assert doc.by_id("prices").find("p", cls="empty").text() == "No sale has been recorded today."
    assert doc.by_id("stalls").find_all("tr", cls="stall-row")  # the directory is not per day
    for bad in ("0001-01-01", "9999-12-31", "yesterday"):
        assert api_market.client.get("/board", params={"day": bad}).status_code == 422


def test_stall_screen_shows_owner_licence_stock_tests_prices_and_qr(
    api_market: Market, cast: dict, board_market: dict
) -> None:
    m = api_market
    m.client.cookies.clear()
    answer = m.client.get(f"/board/stalls/{cast['vendor2'][0]}", params={"lang": "en"})
    assert answer.status_code == 200
    doc = parse_html(answer.text)
    assert doc.find("h1").text() == "Stall B03"
    stall = doc.by_id("stall")
    assert stall.find("dd", cls="licence").text() == "JY33010600067890"
    assert stall.find("dd", cls="place").text() == "B03"
    assert stall.find("figure", cls="qr").find_all("svg")
    assert stall.find("figcaption").find("small").text() == f"https://market.example/board/stalls/{cast['vendor2'][0]}"
    (lot,) = doc.by_id("stock").find_all("article")
    assert "failed" in lot.classes and "status-quarantined" in lot.classes
    assert lot.find("dd", cls="origin").text() == "Green Valley Farm"
    assert lot.find("dd", cls="test").find("span", cls="verdict").text() == "Failed"
    a12 = parse_html(m.client.get(f"/board/stalls/{cast['vendor'][0]}", params={"lang": "en"}).text)
    assert a12.by_id("prices").find("td", cls="median").text() == "CNY 6.50 per kg"
    assert a12.find("dd", cls="owner").text() == "王丽"


def test_stall_screen_of_an_unknown_or_malformed_address(api_market: Market, cast: dict) -> None:
    assert api_market.client.get(f"/board/stalls/{cast['farm'][0]}").status_code == 404
    assert api_market.client.get("/board/stalls/0x1234").status_code == 422


def test_market_prices_and_arrivals_as_json(api_market: Market, cast: dict, board_market: dict) -> None:
    m = api_market
    prices = m.client.get("/market/prices").json()
    (greens,) = [p for p in prices["data"] if p["gtin"] == GTIN]
    assert (greens["median"], greens["low"], greens["high"], greens["sales"], greens["vendor"]) == (
        650,
        600,
        700,
        2,
        None,
    )
    at_stall = m.client.get("/market/prices", params={"vendor": cast["vendor2"][0]}).json()
    assert at_stall["data"] == []
    arrivals = m.client.get("/market/arrivals").json()
    (row,) = [a for a in arrivals["data"] if a["gtin"] == GTIN]
    assert (row["received"], row["handoffs"], row["imported"], row["total"]) == (65, 2, 0, 65)
    assert arrivals["day"] == prices["day"]


def test_board_shows_new_chain_events_once_indexed(api_market: Market, cast: dict, board_market: dict) -> None:
    m = api_market
    before = len(board(m).by_id("inspections").find_all("tbody"))
    assert len(board(m).by_id("inspections").find_all("tbody")) == before  # the same block: from the cache
    inspect(m, cast, harvest_at(m, cast, "vendor", 5), True, 2)
    assert len(board(m).by_id("inspections").find_all("tbody")) == before  # not indexed yet
    m.sync()
    assert len(board(m).by_id("inspections").find_all("tbody")) == before + 1


def test_a_released_lot_stays_in_the_days_alerts_marked_released(
    api_market: Market, cast: dict, board_market: dict
) -> None:
    m = api_market
    answer = m.client.post(
        f"/batches/{board_market['bad']}/release",
        json={"reason": "retest passed"},
        headers=m.auth(cast["regulator"][1]),
    )
    assert answer.status_code == 200, answer.text
    m.sync()
    alert = board(m).by_id("alerts").find("article", cls="alert-quarantined")
    assert alert.find("span", cls="released").text() == "Released from quarantine"
