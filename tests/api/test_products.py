"""The product catalog over the API, on a real chain and database: only the market authority
names products, bad GTINs and names are refused with 422, anyone may read the catalog, and
once a GTIN is named the board, the stall screen, the shopper's page and ``/market/prices``
show its name (in the page's language) with the GTIN beside it."""

from __future__ import annotations

import pytest
from markupsafe import escape

from api.pages.board_rows import ProductText
from tests.api.conftest import Market
from tests.api.test_writes import deliver, harvest
from tests.support.html import Element, parse_html

GREENS = "06901234000016"  # named by the tests below that show names
SPINACH = "06901234000030"  # never named: shown by its code
CORN = "06901234000047"  # named by the permission test
GREENS_NAMES = {"name": "Leafy greens (qingcai)", "names": {"zh": "青菜", "ko": "청경채"}}


def put(m: Market, gtin: str, body: dict, key: str | None) -> dict:
    answer = m.client.put(f"/products/{gtin}", json=body, headers=m.auth(key) if key else {})
    return {"status": answer.status_code, **answer.json()}


@pytest.fixture(scope="module")
def sold(api_market: Market, cast: dict) -> dict:
    """Greens and spinach at the vendor's stall, each tested and sold once today; indexed."""
    m = api_market
    found = {}
    for gtin in (GREENS, SPINACH):
        batch_id = harvest(m, cast["farm"][1], quantity=30, gtin=gtin)
        deliver(m, batch_id, cast["farm"], cast["vendor"])
        tested = m.client.post(
            "/inspections",
            headers=m.auth(cast["lab"][1]),
            json={
                "batch_id": batch_id,
                "passed": True,
                "residues": [{"substance": "lead", "measured": 2, "limit": 200}],
            },
        )
        assert tested.status_code == 201, tested.text
        m.sync()
        sale = m.client.post(
            "/sales", json={"batch_id": batch_id, "quantity": 2, "price": 1600}, headers=m.auth(cast["vendor"][1])
        )
        assert sale.status_code == 201, sale.text
        found[gtin] = sale.json()
    m.sync()
    return found


def page(m: Market, path: str, lang: str) -> Element:
    m.client.cookies.clear()
    answer = m.client.get(path, params={"lang": lang}, headers={"Accept": "text/html"})
    assert answer.status_code == 200, answer.text
    return parse_html(answer.text)


def test_put_product_needs_the_market_authority(api_market: Market, cast: dict) -> None:
    m = api_market
    body = {"name": "Sweet corn"}
    nobody = put(m, CORN, body, None)
    assert (nobody["status"], nobody["detail"]) == (401, "an API key is required")
    assert put(m, CORN, body, "fl_not-a-key")["status"] == 401
    vendor = put(m, CORN, body, cast["vendor"][1])
    assert (vendor["status"], vendor["detail"]) == (403, "this needs the admin role")
    assert CORN not in [p["gtin"] for p in m.client.get("/products").json()["data"]]
    named = put(m, CORN, {"name": "Sweet corn", "names": {"zh": "甜玉米"}}, m.authority_key)
    assert (named["status"], named["gtin"], named["name"], named["names"]) == (
        200,
        CORN,
        "Sweet corn",
        {"zh": "甜玉米"},
    )
    listed = m.client.get("/products").json()  # public: no key
    assert {"gtin": CORN, "name": "Sweet corn", "names": {"zh": "甜玉米"}} in [
        {k: p[k] for k in ("gtin", "name", "names")} for p in listed["data"]
    ]
    assert listed["count"] == len(listed["data"])


@pytest.mark.parametrize(
    ("gtin", "body", "says"),
    [
        ("06901234000017", {"name": "Greens"}, "not a valid GTIN"),  # wrong check digit
        ("greens", {"name": "Greens"}, "not a valid GTIN"),
        (GREENS, {"name": ""}, "at least 1 character"),
        (GREENS, {"name": "   "}, "must not be empty"),
        (GREENS, {"name": "Greens\t"}, "control character U+0009"),  # hidden characters are refused, not dropped
        (GREENS, {"name": "Greens", "names": {"zh": " "}}, "name in 'zh' must not be empty"),
        (GREENS, {"name": "Greens", "names": {"chinese!": "青菜"}}, "not a language code"),
        (GREENS, {"name": "Greens", "price": 3}, "Extra inputs are not permitted"),
    ],
)
def test_put_product_refuses_bad_input_with_422(api_market: Market, gtin: str, body: dict, says: str) -> None:
    m = api_market
    answer = m.client.put(f"/products/{gtin}", json=body, headers=m.auth(m.authority_key))
    assert answer.status_code == 422, answer.text
    assert says in answer.text
    assert gtin not in [p["gtin"] for p in m.client.get("/products").json()["data"]]


def test_board_and_stall_screen_show_the_name_once_set(api_market: Market, cast: dict, sold: dict) -> None:
    m = api_market
    assert put(m, GREENS, GREENS_NAMES, m.authority_key)["status"] == 200

    board = page(m, "/board", "en")
    names = [span.text() for span in board.by_id("prices").find_all("span", cls="product-name")]
    assert names == ["Leafy greens (qingcai)"]  # spinach is not named
    (greens,) = [th for th in board.by_id("prices").find_all("th") if th.find_all("span", cls="product-name")]
    assert greens.find("span", cls="gtin").text() == "GTIN 06901234000016"
    tested = [small.text() for small in board.by_id("inspections").find_all("small")]
    assert "Leafy greens (qingcai) GTIN 06901234000016" in tested
    assert "GTIN 06901234000030" in tested  # unnamed: the code alone, as before
    arrived = [th.text() for th in board.by_id("arrivals").find_all("th", scope="row")]
    assert any(text.startswith("Leafy greens (qingcai) GTIN 06901234000016") for text in arrived)

    zh = page(m, "/board", "zh").by_id("prices")
    assert [span.text() for span in zh.find_all("span", cls="product-name")] == ["青菜"]
    assert zh.find("span", cls="gtin").text() == "商品码 06901234000016"
    ko = page(m, "/board", "ko").by_id("prices")
    assert [span.text() for span in ko.find_all("span", cls="product-name")] == ["청경채"]

    stall = page(m, f"/board/stalls/{cast['vendor'][0]}", "zh")
    lots = {card.find("span", cls="product").text() for card in stall.by_id("stock").find_all("article")}
    assert "青菜 商品码 06901234000016" in lots
    assert "商品码 06901234000030" in lots


def test_shopper_page_and_prices_json_carry_the_name(api_market: Market, sold: dict) -> None:
    m = api_market
    assert put(m, GREENS, GREENS_NAMES, m.authority_key)["status"] == 200
    path = "/" + sold[GREENS]["qr_url"].split("/", 3)[3]
    zh = page(m, path, "zh")
    assert zh.by_id("purchase-title").text() == "青菜"
    assert "青菜" in [dd.text() for dd in zh.find_all("dd")]
    assert page(m, path, "en").by_id("purchase-title").text() == "Leafy greens (qingcai)"
    spinach_path = "/" + sold[SPINACH]["qr_url"].split("/", 3)[3]
    assert page(m, spinach_path, "en").by_id("purchase-title").text().startswith("Lot ")  # unnamed

    prices = {row["gtin"]: row["product"] for row in m.client.get("/market/prices").json()["data"]}
    assert prices == {GREENS: "Leafy greens (qingcai)", SPINACH: None}
    arrivals = {row["gtin"]: row["product"] for row in m.client.get("/market/arrivals").json()["data"]}
    assert arrivals == {GREENS: "Leafy greens (qingcai)", SPINACH: None}


def test_product_text_escapes_a_name_and_falls_back_to_the_code() -> None:
    named = ProductText('<img src=x onerror="alert(1)">', "GTIN 06901234000016")
    assert str(escape(named)) == (
        '<span class="product-name">&lt;img src=x onerror=&#34;alert(1)&#34;&gt;</span> '
        '<span class="gtin">GTIN 06901234000016</span>'
    )
    assert str(escape(ProductText(None, "GTIN <06901234000016>"))) == "GTIN &lt;06901234000016&gt;"
    assert str(ProductText("Spinach", "GTIN 06901234000030")) == "Spinach (GTIN 06901234000030)"
