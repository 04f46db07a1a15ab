"""render_shopper_page on real indexed chains (the demo market on SQLite and PostgreSQL):
every section, the banner, the languages, links to documents, and escaping."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from api.pages.formats import Formatter
from api.pages.i18n import Messages
from api.pages.shopper import render_shopper_page
from ledger import demo
from ledger.documents.cid import cid_of
from ledger.vocabulary import Residue
from tests.factories.custody import ChainBuilder, party
from tests.factories.shopper_market import HARVEST_PHOTO, LAB_REPORT, MERGED_LOT, SECOND_GREENS_LOT, ShopperMarket
from tests.support.html import Element, parse_html

SHANGHAI = ZoneInfo("Asia/Shanghai")
HEADINGS = {
    "en": ["From farm to stall", "Origin", "Lab tests", "Every step"],
    "ko": ["산지에서 매장까지", "원산지", "검사 결과", "전체 이력"],
    "zh": ["从产地到摊位", "产地", "检测结果", "全程记录"],
}


def render(market: ShopperMarket, gtin: str, lot: str, lang: str = "en", **kwargs: object) -> tuple[str, Element]:
    html = render_shopper_page(market.chain(gtin, lot), lang=lang, tz=SHANGHAI, **kwargs)  # type: ignore[arg-type]
    return html, parse_html(html)


def fields(element: Element) -> dict[str, str]:
    """A section's labelled values: ``{label: value}``."""
    return {f.find("dt").text(): f.find("dd").text() for f in element.find_all("div", cls="field")}


def assert_self_contained(html: str, doc: Element) -> None:
    """No script, no stylesheet or font from elsewhere, no absolute link off the page."""
    assert not doc.find_all("script") and "@import" not in html
    assert all(target.startswith("#") for target in re.findall(r"url\(([^)]*)\)", html))  # the SVG's own arrow
    for element in doc.iter():
        for name in ("href", "src"):
            target = element.attrs.get(name)
            if target is not None:
                assert re.match(r"^(/|\?|geo:|data:,$)", target), target


def test_greens_page_shows_purchase_origin_tests_and_every_step(indexed_market: ShopperMarket) -> None:
    chain = indexed_market.chain(demo.GREENS_GTIN, "GV-2611-01-A")
    html, doc = render(indexed_market, demo.GREENS_GTIN, "GV-2611-01-A")
    fmt = Formatter("en", Messages("en"), SHANGHAI)
    assert doc.find("html").attrs["lang"] == "en"
    assert not doc.find_all(id="alert")
    purchase = doc.by_id("purchase")
    assert purchase.find("h1").text() == "Lot GV-2611-01-A"
    assert purchase.find("p", cls="subheading").text() == "from Green Valley Farm, Lin'an"
    assert purchase.find("p", cls="status").text() == "Status: On sale"
    assert fields(purchase) == {
        "GTIN": demo.GREENS_GTIN,
        "Lot": "GV-2611-01-A",
        "Quantity": "2 kg",
        "Price": "CNY 12.00",
        "Sold on": fmt.datetime(chain.sale.time),
        "Stall": "Stall A12 Fresh Greens (Wang Li)",
        "Licence no.": "JY33010600012345",
    }
    (origin,) = doc.by_id("origin").find_all("article")
    assert origin.find("h3").text() == "Farm harvest GV-2611-01"
    photo = chain.origins[0].details["document_cid"]
    assert fields(origin) == {
        "Farm": "Green Valley Farm, Lin'an GLN 6901234000016",
        "Harvest date": fmt.date(chain.origins[0].time),
        "Place": "30.2336° N, 119.7248° E",  # text() folds the no-break spaces
        "Quantity": "400 kg",
        "Harvest photo": f"Open document {photo}",
    }
    assert origin.find("a").attrs["href"] == "geo:30.2336,119.7248"
    (test,) = doc.by_id("lab").find_all("article")
    assert "passed" in test.classes and test.find("span", cls="verdict").text() == "Passed"
    assert [
        [cell.text() for cell in row.children if isinstance(cell, Element)] for row in test.find("tbody").find_all("tr")
    ] == [
        ["chlorpyrifos", "4 μg/kg", "50 μg/kg", "OK"],
        ["lead (Pb)", "20 μg/kg", "300 μg/kg", "OK"],
    ]
    steps = doc.by_id("timeline").find_all("li")
    assert [s.attrs["data-kind"] for s in steps] == [e.kind for e in chain.events]
    assert [s.find("span", cls="lot").text() for s in steps] == [e.lot for e in chain.events]
    assert fields(steps[1]) == {
        "From": "Green Valley Farm, Lin'an",
        "To": "West Lake Produce Wholesale",
        "Quantity": "400 kg",
    }
    assert fields(steps[3]) == {
        "Repacked by": "West Lake Produce Wholesale",
        "From lot": "GV-2611-01 (50 kg)",
        "Quantity": "50 kg",
    }
    assert fields(steps[-2])["To"] == "Stall A12 Fresh Greens (Wang Li)"
    assert fields(steps[-1]) == {"Stall": "Stall A12 Fresh Greens (Wang Li)", "Quantity": "2 kg", "Price": "CNY 12.00"}
    assert steps[0].find("time").attrs["datetime"] == fmt.iso(chain.events[0].time)
    assert len(doc.by_id("path").find("svg").find_all("g", cls="node")) == 2
    footer = doc.find("footer")
    assert f"current to block {chain.as_of_block}" in footer.text()
    assert "China Standard Time (UTC+08:00)" in footer.text() and chain.sale.sale_id in footer.text()
    assert_self_contained(html, doc)


def test_durian_page_shows_the_customs_entry_and_links_its_declaration(indexed_market: ShopperMarket) -> None:
    chain = indexed_market.chain(demo.DURIAN_GTIN, "TH-DUR-0931-A")
    cid = chain.origins[0].details["document_cid"]
    html, doc = render(indexed_market, demo.DURIAN_GTIN, "TH-DUR-0931-A")
    (origin,) = doc.by_id("origin").find_all("article")
    assert "origin-import" in origin.classes
    shown = fields(origin)
    assert shown["Country of origin"] == "Thailand (TH)"
    assert shown["Importer"] == "Tropical Fruit Imports Ltd GLN 6901234000030"
    assert shown["Customs declaration no."] == "310120261000123456"
    assert shown["HS code"] == "0810.60.00"
    assert shown["Customs clearance"] == Formatter("en", Messages("en"), SHANGHAI).date(chain.origins[0].time)
    assert shown["Port of entry"] == "CNNGB"
    assert shown["Customs"] == "Ningbo Customs District"
    assert shown["Customs declaration"] == f"Open document {cid}"
    assert origin.find("a").attrs["href"] == f"/documents/{cid}"
    assert doc.by_id("purchase").find("p", cls="subheading").text() == "from Thailand"
    assert doc.by_id("lab").find("p").text() == "No lab test is recorded for this product's lots."
    assert doc.by_id("timeline").find("li").attrs["data-kind"] == "imported"
    assert_self_contained(html, doc)
    _, custom = render(indexed_market, demo.DURIAN_GTIN, "TH-DUR-0931-A", links={"document": "/files/{cid}?raw=1"})
    assert custom.by_id("origin").find("a").attrs["href"] == f"/files/{cid}?raw=1"


def test_recalled_strawberries_show_the_red_banner_above_everything(indexed_market: ShopperMarket) -> None:
    chain = indexed_market.chain(demo.STRAWBERRY_GTIN, "SB-2611-07-A")
    recall = next(e for e in chain.events if e.kind == "recalled")
    for lang, title in (
        ("en", "This product has been recalled"),
        ("zh", "该产品已被召回"),
        ("ko", "이 제품은 리콜되었습니다"),
    ):
        html, doc = render(indexed_market, demo.STRAWBERRY_GTIN, "SB-2611-07-A", lang)
        body = doc.find("body")
        first = next(child for child in body.children if isinstance(child, Element))
        assert first.attrs["id"] == "alert" and first.attrs["role"] == "alert"
        assert "banner-recalled" in first.classes
        assert first.find("h2").text() == title
        values = list(fields(first).values())
        fmt = Formatter(lang, Messages(lang), SHANGHAI)
        assert values == [
            "Carbofuran residue 37 ug/kg over the 20 ug/kg limit in SB-2611-07-B",  # as recorded
            fmt.datetime(recall.time),
            "Hangzhou Market Supervision Bureau",
            "SB-2611-07, SB-2611-07-A",
        ]
        assert [h.text() for h in doc.find("main").find_all("h2")] == HEADINGS[lang]
        assert_self_contained(html, doc)
    recalled_steps = doc.by_id("timeline").find_all("li", data_kind="recalled")
    assert len(recalled_steps) == 1  # one recall of two lots is one step
    assert [s.text() for s in recalled_steps[0].find_all("span", cls="lot")] == ["SB-2611-07", "SB-2611-07-A"]
    assert doc.by_id("purchase").find("p", cls="status").text() == "상태: 리콜"


def test_merged_lot_shows_the_merge_documents_and_the_quarantine(indexed_market: ShopperMarket) -> None:
    chain = indexed_market.chain(demo.GREENS_GTIN, MERGED_LOT)
    html, doc = render(indexed_market, demo.GREENS_GTIN, MERGED_LOT)
    banner = doc.by_id("alert")
    assert "banner-quarantined" in banner.classes
    assert banner.find("h2").text() == "This lot is quarantined"
    assert fields(banner)["Reason"] == "Failed lab test: chlorpyrifos 80 μg/kg (limit 50 μg/kg)"
    assert fields(banner)["Issued by"] == "Market On-site Food Safety Lab"
    (merge,) = doc.by_id("timeline").find_all("li", data_kind="merged")
    assert fields(merge) == {
        "Repacked by": "West Lake Produce Wholesale",
        "From lot": f"GV-2611-01-B (50 kg), {SECOND_GREENS_LOT} (200 kg)",
        "Quantity": "250 kg",
    }
    steps = doc.by_id("timeline").find_all("li")
    assert len(steps) == len(chain.events) - 1  # the merge's two parents are one step
    hrefs = {a.attrs["href"] for a in doc.find("main").find_all("a")}
    assert f"/documents/{cid_of(HARVEST_PHOTO)}" in hrefs and f"/documents/{cid_of(LAB_REPORT)}" in hrefs
    tests = doc.by_id("lab").find_all("article")
    assert [("passed" in t.classes, t.find("span", cls="verdict").text()) for t in tests] == [
        (True, "Passed"),
        (False, "Failed"),
    ]
    assert tests[1].find("tr", cls="over").text() == "chlorpyrifos 80 μg/kg 50 μg/kg Over limit"
    origins = doc.by_id("origin").find_all("article")
    assert [o.find("span", cls="lot").text() for o in origins] == ["GV-2611-01", SECOND_GREENS_LOT]
    assert len(doc.by_id("path").find("svg").find_all("g", cls="node")) == 4
    assert_self_contained(html, doc)


def test_languages_translate_every_heading_and_keep_the_data(indexed_market: ShopperMarket) -> None:
    chain = indexed_market.chain(demo.GREENS_GTIN, "GV-2611-01-A")
    for lang, html_lang in (("en", "en"), ("ko", "ko"), ("zh", "zh-Hans")):
        _, doc = render(indexed_market, demo.GREENS_GTIN, "GV-2611-01-A", lang)
        t, fmt = Messages(lang), Formatter(lang, Messages(lang), SHANGHAI)
        assert doc.find("html").attrs["lang"] == html_lang
        assert [h.text() for h in doc.find("main").find_all("h2")] == HEADINGS[lang]
        assert [s.find("h3").text() for s in doc.by_id("timeline").find_all("li")] == [
            t(f"kind_{e.kind}") for e in chain.events
        ]
        purchase = fields(doc.by_id("purchase"))
        assert purchase[t("sold_on")] == fmt.datetime(chain.sale.time)
        assert purchase[t("price")] == "CNY 12.00"
        assert purchase[t("stall")] == "Stall A12 Fresh Greens (Wang Li)"  # names as recorded
        switch = doc.find("nav", cls="langs").find_all("a")
        assert [(a.text(), a.attrs["href"], a.attrs.get("aria-current")) for a in switch] == [
            ("English", "?lang=en", "page" if lang == "en" else None),
            ("한국어", "?lang=ko", "page" if lang == "ko" else None),
            ("中文", "?lang=zh", "page" if lang == "zh" else None),
        ]
    assert "2026년" in fields(parse_html(render_shopper_page(chain, lang="ko")).by_id("purchase"))["판매 일시"]


def test_product_name_titles_the_page_when_known(indexed_market: ShopperMarket) -> None:
    _, doc = render(indexed_market, demo.GREENS_GTIN, "GV-2611-01-A", "zh", product_name="Leafy greens 青菜")
    assert doc.find("h1").text() == "Leafy greens 青菜"
    assert fields(doc.by_id("purchase"))["产品"] == "Leafy greens 青菜"
    assert doc.find("title").text().startswith("Leafy greens 青菜 · ")


def test_recorded_text_is_escaped_everywhere() -> None:
    build = ChainBuilder()
    evil = party('<script>alert("farm")</script>', '"><img src=x onerror=alert(1)>')
    origin = build.harvest("<i>LOT</i>", evil, 100, origin='<a href="javascript:alert(1)">x</a>')
    child = build.split(origin, "L-1", 10, evil)
    build.recall([origin], party("Regulator"), "</section><script>alert('recall')</script>")
    chain = build.sell(child, evil, 1, 100, status="recalled")
    html = render_shopper_page(chain, lang="en")
    doc = parse_html(html)  # still well-formed: nothing recorded closed a tag
    assert "<script" not in html and "<img" not in html and "<i>" not in html and 'href="javascript' not in html
    assert fields(doc.by_id("alert"))["Reason"] == "</section><script>alert('recall')</script>"
    assert fields(doc.by_id("origin"))["Place"] == '<a href="javascript:alert(1)">x</a>'


def test_banner_warns_of_an_unreleased_failed_test_upstream() -> None:
    build = ChainBuilder()
    farm, wholesaler, lab, stall = party("Farm"), party("Wholesaler"), party("Lab"), party("Stall")
    origin = build.harvest("H-1", farm, 100)
    child = build.split(origin, "H-1-A", 10, wholesaler)
    build.inspect(origin, lab, [Residue("carbofuran", 37, 20, "ug/kg")])
    warned = parse_html(render_shopper_page(build.sell(child, stall, 1, 100), lang="en"))
    assert "banner-warning" in warned.by_id("alert").classes
    assert fields(warned.by_id("alert"))["Lots"] == "H-1"
    build.release(origin, party("Regulator"), "Re-tested: 12 ug/kg")
    released = parse_html(render_shopper_page(build.sell(child, stall, 1, 100), lang="en"))
    assert not released.find_all(id="alert")
    assert released.by_id("timeline").find_all("li")[-2].attrs["data-kind"] == "released"
