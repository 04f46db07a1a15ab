"""The shopper's page in a real headless Chromium (Debian's ``chromium``) at a phone's size,
served by a tiny FastAPI app from the indexed demo market: the timeline, the recall banner,
the language switch and Accept-Language, no JavaScript needed, no request off 127.0.0.1.
Full-page screenshots go to ``test-artifacts/`` for a person to look at.

The harness route ``/01/{gtin}/10/{lot}/21/{serial}`` finds the sale by GTIN, lot and serial
in the database and renders it; it stands in for the real resolver (``api.routes.resolver``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from playwright.sync_api import Browser, Page, Response

from api.pages import LANG_COOKIE, negotiate, render_bad_request, render_not_found, render_shopper_page
from ledger import demo
from ledger.chain.node import free_port
from ledger.gs1 import is_valid_gtin, normalize_gtin
from ledger.queries import chain_of_custody
from tests.factories.served import serve_in_thread
from tests.factories.shopper_market import MERGED_LOT, ShopperMarket

PHONE = {"width": 390, "height": 844}
SHANGHAI = ZoneInfo("Asia/Shanghai")
#: How long the harness server may take to start listening (it is up in well under a second).
GREENS = f"/01/{demo.GREENS_GTIN}/10/GV-2611-01-A/21/1"
DURIAN = f"/01/{demo.DURIAN_GTIN}/10/TH-DUR-0931-A/21/1"
STRAWBERRIES = f"/01/{demo.STRAWBERRY_GTIN}/10/SB-2611-07-A/21/1"
MERGED = f"/01/{demo.GREENS_GTIN}/10/{MERGED_LOT}/21/1"


def harness(market: ShopperMarket) -> FastAPI:
    """The sale pages of `market` at GS1 Digital Link paths, and a stand-in document route."""
    app = FastAPI()

    @app.get("/01/{gtin}/10/{lot}/21/{serial}")
    def sale_page(request: Request, gtin: str, lot: str, serial: str, lang: str | None = None) -> HTMLResponse:
        chosen = negotiate(request.headers.get("accept-language"), lang, request.cookies.get(LANG_COOKIE))
        if not is_valid_gtin(gtin) or not serial.isdigit():
            return HTMLResponse(render_bad_request(chosen, f"{gtin} / {serial}: not a GTIN and a sale number"), 400)
        sale_id = market.sale_id(normalize_gtin(gtin), lot, int(serial))
        if sale_id is None:
            return HTMLResponse(render_not_found(chosen, request.url.path), 404)
        page = HTMLResponse(render_shopper_page(chain_of_custody(market.engine, sale_id), lang=chosen, tz=SHANGHAI))
        if lang:
            page.set_cookie(LANG_COOKIE, chosen, samesite="lax")
        return page

    @app.get("/documents/{cid}")
    def document(cid: str) -> PlainTextResponse:
        return PlainTextResponse(f"document {cid}")

    return app


@pytest.fixture(scope="module")
def server(browser_market: ShopperMarket) -> Iterator[str]:
    """The harness on 127.0.0.1 at a free port (uvicorn in a thread); its base URL."""
    with serve_in_thread(harness(browser_market), free_port(), "shopper-harness") as base:
        yield base


@dataclass
class Phone:
    """One browser context at a phone's size, recording every request it makes."""

    page: Page
    base: str
    requests: list[str] = field(default_factory=list)

    def open(self, path: str) -> Response:
        response = self.page.goto(self.base + path)
        assert response is not None
        return response

    def kinds(self) -> list[str]:
        return self.page.locator("#timeline li.step").evaluate_all("steps => steps.map(s => s.dataset.kind)")

    def headings(self) -> list[str]:
        return [h.strip() for h in self.page.locator("main h2").all_inner_texts()]

    def assert_all_requests_local(self) -> None:
        assert self.requests, "no request recorded"
        off_page = [url for url in self.requests if not url.startswith(self.base + "/") and url != "data:,"]
        assert off_page == []

    def screenshot(self, path: Path) -> None:
        self.page.screenshot(path=str(path), full_page=True)


@pytest.fixture
def phone(browser: Browser, server: str) -> Iterator[Callable[..., Phone]]:
    """Makes phones: ``phone("ko-KR,ko;q=0.9", javascript=False)``."""
    contexts = []

    def make(accept_language: str = "en-US,en;q=0.9", *, javascript: bool = True) -> Phone:
        context = browser.new_context(
            viewport=PHONE,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            java_script_enabled=javascript,
            extra_http_headers={"Accept-Language": accept_language},
        )
        contexts.append(context)
        made = Phone(context.new_page(), server)
        context.on("request", lambda request: made.requests.append(request.url))
        return made

    yield make
    for context in contexts:
        context.close()


def test_greens_timeline_shows_every_step_in_order_on_a_phone(
    phone: Callable[..., Phone], browser_market: ShopperMarket, artifacts_dir: Path
) -> None:
    chain = browser_market.chain(demo.GREENS_GTIN, "GV-2611-01-A")
    greens = phone()
    assert greens.open(GREENS).status == 200
    assert greens.kinds() == [e.kind for e in chain.events]
    titles = greens.page.locator("#timeline li.step h3").all_inner_texts()
    assert titles == ["Harvested", "Shipped", "Received", "Repacked (split)", "Lab test", "Shipped", "Received", "Sold"]
    lots = greens.page.locator("#timeline li.step .step-lots").all_inner_texts()
    assert [lot.strip() for lot in lots] == [e.lot for e in chain.events]
    assert greens.page.locator("#alert").count() == 0
    assert greens.headings() == ["From farm to stall", "Origin", "Lab tests", "Every step"]
    assert greens.page.locator("h1").inner_text() == "Lot GV-2611-01-A"
    # Phone-first: nothing wider than the screen, the lineage picture fits the width.
    assert greens.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    figure = greens.page.locator("#path figure").bounding_box()
    picture = greens.page.locator("#path svg").bounding_box()
    assert figure and picture and picture["x"] >= figure["x"] and picture["width"] <= figure["width"]
    assert greens.page.locator("#path svg g.node").count() == 2
    font_size = greens.page.locator("#timeline li.step h3").first.evaluate("h => getComputedStyle(h).fontSize")
    assert float(font_size.removesuffix("px")) >= 16
    greens.screenshot(artifacts_dir / "shopper-greens-en.png")
    greens.assert_all_requests_local()


def test_recalled_strawberries_show_the_red_banner_first_and_greens_none(
    phone: Callable[..., Phone], artifacts_dir: Path
) -> None:
    shopper = phone("zh-CN,zh;q=0.9,en;q=0.5")
    shopper.open(STRAWBERRIES)
    banner = shopper.page.locator("#alert")
    assert banner.is_visible()
    assert banner.get_attribute("role") == "alert"
    assert banner.locator("h2").inner_text() == "该产品已被召回"
    assert "Carbofuran residue 37 ug/kg over the 20 ug/kg limit in SB-2611-07-B" in banner.inner_text()
    box = banner.bounding_box()
    assert box and box["y"] == 0 and box["width"] == PHONE["width"]  # above everything, full width
    assert banner.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(183, 28, 28)"
    assert shopper.page.evaluate("document.body.firstElementChild.id") == "alert"
    assert shopper.kinds()[-1] == "recalled"
    assert shopper.headings() == ["从产地到摊位", "产地", "检测结果", "全程记录"]
    shopper.screenshot(artifacts_dir / "shopper-strawberries-zh.png")
    shopper.open(GREENS)
    assert shopper.page.locator("#alert").count() == 0
    assert shopper.page.locator(".banner").count() == 0
    shopper.assert_all_requests_local()


def test_language_links_and_accept_language_choose_the_language(
    phone: Callable[..., Phone], artifacts_dir: Path
) -> None:
    shopper = phone("en-US,en;q=0.9")
    shopper.open(GREENS)
    assert shopper.headings()[1] == "Origin"
    shopper.page.get_by_role("link", name="中文").click()
    shopper.page.wait_for_load_state()
    assert shopper.page.url.endswith(GREENS + "?lang=zh")
    assert shopper.headings() == ["从产地到摊位", "产地", "检测结果", "全程记录"]
    assert shopper.page.locator("html").get_attribute("lang") == "zh-Hans"
    assert shopper.page.locator('nav.langs a[aria-current="page"]').inner_text() == "中文"
    shopper.open(GREENS)  # the harness keeps the choice in a cookie
    assert shopper.headings()[1] == "产地"

    korean = phone("ko-KR,ko;q=0.9,en-US;q=0.8")
    korean.open(DURIAN)
    assert korean.headings() == ["산지에서 매장까지", "원산지", "검사 결과", "전체 이력"]
    assert korean.page.locator("#origin dd").first.inner_text() == "태국 (TH)"
    korean.screenshot(artifacts_dir / "shopper-durian-ko.png")
    for used in (shopper, korean):
        used.assert_all_requests_local()


def test_the_page_works_without_javascript(phone: Callable[..., Phone], artifacts_dir: Path) -> None:
    shopper = phone(javascript=False)
    shopper.page.set_content("<script>document.title = 'scripts run'</script>")
    assert shopper.page.title() == ""  # scripts really are off in this context
    assert shopper.open(MERGED).status == 200
    assert shopper.page.locator("#alert h2").inner_text() == "This lot is quarantined"
    assert shopper.kinds()[:4] == ["harvested", "shipped", "received", "split"]
    assert shopper.page.locator("#timeline li.step[data-kind=merged]").count() == 1
    assert shopper.page.locator("#path svg g.node").count() == 4
    shopper.screenshot(artifacts_dir / "shopper-merged-en.png")
    shopper.page.get_by_role("link", name="한국어").click()
    shopper.page.wait_for_load_state()
    assert shopper.page.locator("#alert h2").inner_text() == "이 로트는 격리 조치되었습니다"
    document = shopper.page.locator("#lab a").first
    href = document.get_attribute("href")
    assert href and href.startswith("/documents/bafkrei")
    document.click()
    shopper.page.wait_for_load_state()
    assert shopper.page.url == shopper.base + href
    shopper.assert_all_requests_local()


def test_unknown_sale_and_bad_code_pages(phone: Callable[..., Phone], artifacts_dir: Path) -> None:
    shopper = phone("ko;q=0.9, en;q=0.5")
    missing = shopper.open(f"/01/{demo.GREENS_GTIN}/10/GV-2611-01-A/21/99")
    assert missing.status == 404
    assert shopper.page.locator("h1").inner_text() == "상품을 찾을 수 없습니다"
    shopper.screenshot(artifacts_dir / "shopper-not-found-ko.png")
    bad = shopper.open("/01/06901234000017/10/GV-2611-01-A/21/1")
    assert bad.status == 400
    assert shopper.page.locator("h1").inner_text() == "이 코드를 읽을 수 없습니다"
    assert "06901234000017" in shopper.page.locator("main dd").inner_text()
    shopper.assert_all_requests_local()
