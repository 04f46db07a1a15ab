"""The shopper's page in a real headless Chromium (Debian's ``chromium``) at a phone's size,
served by the real app (``api.main.create_app``, uvicorn in a thread) from the indexed demo
market: the resolver's route ``/01/{gtin}/10/{lot}/21/{serial}`` behind every QR code, the
timeline, the recall banner, the language switch and its cookie, Accept-Language, no
JavaScript needed, no request off 127.0.0.1, and the receipt's code opening the rating form
without the proof leaking into links or a Referer. Full-page screenshots go to
``test-artifacts/`` for a person to look at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Response

from api.main import create_app
from api.pages import LANG_COOKIE
from api.services import Services
from api.settings import ApiSettings
from ledger import demo
from ledger.chain.node import free_port
from ledger.documents import open_store
from ledger.keys import KeyStore
from ledger.notify.secret_box import load_secret_box
from tests.factories.shopper_market import FAILED_REPORT, HARVEST_PHOTO, LAB_REPORT, MERGED_LOT, ShopperMarket
from tests.support.server import serve_in_thread

PHONE = {"width": 390, "height": 844}
GREENS = f"/01/{demo.GREENS_GTIN}/10/GV-2611-01-A/21/1"
DURIAN = f"/01/{demo.DURIAN_GTIN}/10/TH-DUR-0931-A/21/1"
STRAWBERRIES = f"/01/{demo.STRAWBERRY_GTIN}/10/SB-2611-07-A/21/1"
MERGED = f"/01/{demo.GREENS_GTIN}/10/{MERGED_LOT}/21/1"
#: The sections of a sale's page, in English, as a QR scan opens it.
#: The receipt's scans come first: every scan of a sale's page is one of its receipt.
ENGLISH_HEADINGS = ["This receipt", "From farm to stall", "Origin", "Lab tests", "Rate this stall", "Every step"]
CHINESE_HEADINGS = ["本小票", "从产地到摊位", "产地", "检测结果", "评价该摊位", "全程记录"]


@dataclass(frozen=True)
class Served:
    base: str
    services: Services


@pytest.fixture(scope="module")
def served(browser_market: ShopperMarket, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The real app over the indexed market on 127.0.0.1 at a free port, with the market's
    documents in its store."""
    data = tmp_path_factory.mktemp("shopper-app") / "data"
    port = free_port()
    settings = ApiSettings(
        data_dir=data,
        database_url=str(browser_market.engine.url),
        rpc_url="http://127.0.0.1:9",  # reads only: the app never calls the node
        public_host=f"127.0.0.1:{port}",
        public_scheme="http",
    )
    documents = open_store(data)
    for paper in (HARVEST_PHOTO, LAB_REPORT, FAILED_REPORT):
        documents.put(paper, "text/plain")
    services = Services(
        settings=settings,
        engine=browser_market.engine,
        keys=KeyStore(settings.keystore_dir, settings.market_keystore_password()),
        documents=documents,
        webhook_box=load_secret_box(settings.data_dir),
        webhook_targets=settings.webhook_targets,
    )
    with serve_in_thread(create_app(settings, services), port, "shopper") as base:
        yield Served(base, services)


@pytest.fixture(scope="module")
def server(served: Served) -> str:
    return served.base


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
    assert greens.headings() == ENGLISH_HEADINGS
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
    assert shopper.headings() == CHINESE_HEADINGS
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
    assert shopper.headings()[2] == "Origin"
    shopper.page.get_by_role("link", name="中文").click()
    shopper.page.wait_for_load_state()
    assert shopper.page.url.endswith(GREENS + "?lang=zh")
    assert shopper.headings() == CHINESE_HEADINGS
    assert shopper.page.locator("html").get_attribute("lang") == "zh-Hans"
    assert shopper.page.locator('nav.langs a[aria-current="page"]').inner_text() == "中文"
    (cookie,) = [c for c in shopper.page.context.cookies() if c["name"] == LANG_COOKIE]
    assert (cookie["value"], cookie["sameSite"], cookie["domain"]) == ("zh", "Lax", "127.0.0.1")
    assert cookie["expires"] > 0  # kept across visits, not for this session only
    shopper.open(GREENS)  # the resolver keeps the choice in the cookie
    assert shopper.headings()[2] == "产地"
    assert shopper.open(f"{GREENS}?lang=en").status == 200  # a new choice replaces it
    shopper.open(GREENS)
    assert shopper.headings()[2] == "Origin"

    korean = phone("ko-KR,ko;q=0.9,en-US;q=0.8")
    korean.open(DURIAN)
    assert korean.headings() == [
        "이 영수증",
        "산지에서 매장까지",
        "원산지",
        "검사 결과",
        "이 매장 평가하기",
        "전체 이력",
    ]
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
    # A lab report that is neither an image nor a PDF is served as a download (documents never
    # render in the market's origin), so following the link starts a download, not a page:
    # fetch the link the page gives and check what the phone would be handed.
    report = shopper.page.request.get(shopper.base + href)
    assert report.status == 200
    assert report.headers["x-content-type-options"] == "nosniff"
    inline = report.headers["content-type"].split(";")[0] in ("application/pdf",) or report.headers[
        "content-type"
    ].startswith("image/")
    assert report.headers["content-disposition"].startswith("inline" if inline else "attachment")
    assert report.body()
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


def test_receipt_code_opens_the_rating_form_across_a_language_switch_and_leaks_nowhere(
    phone: Callable[..., Phone], served: Served, browser_market: ShopperMarket, artifacts_dir: Path
) -> None:
    sale_id = browser_market.sale_id(demo.DURIAN_GTIN, "TH-DUR-0931-A", 1)
    assert sale_id is not None
    proof = served.services.receipts.proof(sale_id)
    shopper = phone("en-US,en;q=0.9", javascript=False)
    page = shopper.page
    sent: list[tuple[str, str | None]] = []
    page.on("request", lambda request: sent.append((request.url, request.headers.get("referer"))))
    assert shopper.open(f"{DURIAN}?receipt={proof}").status == 200
    assert page.locator("#rating form").count() == 1
    assert proof not in page.locator("body").inner_text()  # carried, never shown
    # Another page from here: no Referer, so the proof stays on this page.
    page.locator('#purchase a[href^="/board/stalls/"]').first.click()
    page.wait_for_load_state()
    assert page.url.startswith(f"{served.base}/board/stalls/") and proof not in page.url
    page.go_back()
    page.get_by_role("link", name="한국어").click()  # the switch keeps the form
    page.wait_for_load_state()
    assert page.url.endswith(f"{DURIAN}?lang=ko&receipt={proof}")
    assert page.locator("#rating h2").inner_text() == "이 매장 평가하기"
    page.locator('#rating input[name="stars"][value="5"]').check()
    page.locator("#rating-comment").fill("달고 향이 좋아요")
    page.locator("#rating").screenshot(path=str(artifacts_dir / "shopper-rating-form-ko.png"))
    page.locator("#rating button[type=submit]").click()
    page.wait_for_load_state()
    assert page.url == f"{served.base}{DURIAN}#rating"  # back on the sale's page, without the proof
    assert page.locator("#rating .rated").inner_text() == "감사합니다. 이 매장에 5점 만점에 5점을 주셨습니다."
    assert [url for url, referer in sent if referer] == []
    # Only the page itself carries it (asked again on going back: it is not stored).
    assert {url for url, _ in sent if proof in url} == {
        f"{served.base}{DURIAN}?receipt={proof}",
        f"{served.base}{DURIAN}?lang=ko&receipt={proof}",
    }
    shopper.assert_all_requests_local()
