"""The market board and a stall's screen in a real headless Chromium (Debian's ``chromium``),
served by the real app (uvicorn in a thread) from a market recorded on anvil and indexed into
SQLite: the wall screen at 1920x1080 with the failed test in red, the stall screen in landscape
and in portrait (1080x1920) with a QR code that decodes to the stall's page, the in-place refresh
picking up a new rating without reloading, and the page without JavaScript. Screenshots go to
``test-artifacts/``.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, Page
from sqlalchemy import Engine

from api.main import create_app
from api.receipts import ReceiptProofs
from api.services import Services
from api.settings import ApiSettings
from ledger.chain.freshledger import batch_id_of, sale_id_of
from ledger.chain.node import free_port
from ledger.documents import open_store
from ledger.keys import KeyStore
from ledger.notify.secret_box import load_secret_box
from ledger.store.products import set_product
from tests.factories.board_market import RecordedBoard, indexed_board_market, recorded_board_market, sale_ids
from tests.factories.market import GTIN, OTHER_GTIN
from tests.support.server import serve_in_thread

WALL = {"width": 1920, "height": 1080}
PORTRAIT = {"width": 1080, "height": 1920}
PHONE = {"width": 390, "height": 844}
#: Red for danger on the board (``--red`` in board.css).
RED = "rgb(183, 28, 28)"
#: How long the server may take to start, and a refreshed rating to show (refresh every 1 s).
REFRESH_TIMEOUT_MS = 15_000


@dataclass(frozen=True)
class Served:
    base: str
    engine: Engine
    recorded: RecordedBoard
    receipts: ReceiptProofs

    def stall(self, which: str) -> str:
        return getattr(self.recorded.market, which).address


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The real app over the board market, on 127.0.0.1 at a free port."""
    workdir = tmp_path_factory.mktemp("board-browser")
    with recorded_board_market(workdir) as recorded, indexed_board_market(recorded, "sqlite", workdir) as engine:
        # The market's catalog names both products, as a real one does: the screens must fit names.
        set_product(engine, GTIN, "Leafy greens (qingcai)", {"zh": "青菜", "ko": "청경채"})
        set_product(engine, OTHER_GTIN, "Monthong durian (liulian)", {"zh": "金枕榴莲", "ko": "몬통 두리안"})
        port = free_port()
        settings = ApiSettings(
            data_dir=workdir / "data",
            database_url=str(engine.url),
            rpc_url=recorded.node.rpc_url,
            public_host=f"127.0.0.1:{port}",
            public_scheme="http",
        )
        services = Services(
            settings=settings,
            engine=engine,
            keys=KeyStore(settings.keystore_dir, settings.market_keystore_password()),
            documents=open_store(settings.data_dir),
            webhook_box=load_secret_box(settings.data_dir),
            webhook_targets=settings.webhook_targets,
        )
        app = create_app(settings, services)
        with serve_in_thread(app, port, "board") as base:
            yield Served(base, engine, recorded, services.receipts)


@dataclass
class Screen:
    """One browser context of a given size, recording every request it makes."""

    page: Page
    base: str
    requests: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def open(self, path: str) -> None:
        response = self.page.goto(self.base + path)
        assert response is not None and response.status == 200, path
        # The page runs under its policy: the test below shows the policy blocks nothing it needs.
        assert "script-src 'sha256-" in response.headers["content-security-policy"]

    def assert_no_csp_violation(self) -> None:
        """Chromium reports each thing a page's Content-Security-Policy blocked on the console."""
        assert [text for text in self.console if "Content Security Policy" in text] == []

    def color(self, selector: str, prop: str = "backgroundColor") -> str:
        return self.page.locator(selector).first.evaluate(f"e => getComputedStyle(e).{prop}")

    def assert_panels_fit(self) -> None:
        """No panel's content is wider than the panel (nothing cut off or spilling over)."""
        spilled = self.page.locator(".panel").evaluate_all(
            "panels => panels.filter(p => p.scrollWidth > p.clientWidth + 1).map(p => p.id)"
        )
        assert spilled == []

    def assert_all_requests_local(self) -> None:
        assert self.requests, "no request recorded"
        assert [u for u in self.requests if not u.startswith(self.base + "/") and u != "data:,"] == []


@pytest.fixture
def screen(browser: Browser, served: Served) -> Iterator[Callable[..., Screen]]:
    """Makes screens: ``screen(WALL, lang="zh", javascript=False)``."""
    contexts = []

    def make(viewport: dict[str, int], *, accept_language: str = "en", javascript: bool = True) -> Screen:
        context = browser.new_context(
            viewport=viewport, java_script_enabled=javascript, extra_http_headers={"Accept-Language": accept_language}
        )
        contexts.append(context)
        made = Screen(context.new_page(), served.base)
        context.on("request", lambda request: made.requests.append(request.url))
        context.on("console", lambda message: made.console.append(message.text))
        return made

    yield make
    for context in contexts:
        context.close()


def test_wall_board_at_1920x1080_shows_the_failed_test_and_the_alerts_in_red(
    screen: Callable[..., Screen], served: Served, artifacts_dir: Path
) -> None:
    wall = screen(WALL)
    wall.open("/board")
    page = wall.page
    assert page.locator("h1").inner_text() == "Market board"
    failed = page.locator("#inspections tbody.failed")
    assert failed.count() == 1 and failed.get_attribute("data-lot") == "MK-GREENS-2"
    assert wall.color("#inspections tbody.failed") == RED
    assert failed.locator("td.verdict").inner_text().strip() == "Failed"
    assert wall.color("#inspections tbody.passed") != RED
    assert page.locator("#inspections tbody.passed td.verdict").inner_text().strip() == "Passed"
    alerts = page.locator("#alerts article")
    assert alerts.count() == 2  # quarantined by the failed test, then recalled
    assert {wall.color(f"#alerts article.alert-{kind}") for kind in ("quarantined", "recalled")} == {RED}
    assert page.locator("#stalls tr.stall-row td.place").all_inner_texts() == ["A12", "B03"]
    medians = page.locator("#prices td.median").all_inner_texts()
    assert medians == ["CNY 6.50 per kg", "CNY 31.00 per kg"]
    assert page.locator("#arrivals td.total").all_inner_texts() == ["170 kg", "60 kg"]
    names = ["Leafy greens (qingcai)", "Monthong durian (liulian)"]
    assert page.locator("#prices .product-name").all_inner_texts() == names
    assert page.locator("#prices .gtin").first.inner_text() == f"GTIN {GTIN}"
    # A wall screen: everything on one screen, nothing wider than it, large type.
    assert page.evaluate("document.documentElement.scrollWidth") <= WALL["width"]
    assert page.evaluate("document.documentElement.scrollHeight") <= WALL["height"]
    size = page.locator("#inspections tbody td").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 18
    wall.assert_panels_fit()
    page.screenshot(path=str(artifacts_dir / "board-wall-1920x1080-en.png"))
    wall.assert_all_requests_local()
    wall.assert_no_csp_violation()

    chinese = screen(WALL, accept_language="zh-CN,zh;q=0.9")
    chinese.open("/board")
    assert chinese.page.locator("#inspections tbody.failed td.verdict").inner_text().strip() == "不合格"
    assert chinese.page.locator("#prices .product-name").all_inner_texts() == ["青菜", "金枕榴莲"]
    assert chinese.page.evaluate("document.documentElement.scrollHeight") <= WALL["height"]
    chinese.assert_panels_fit()
    chinese.page.screenshot(path=str(artifacts_dir / "board-wall-1920x1080-zh.png"))


def test_board_refreshes_in_place_and_shows_a_new_rating(
    screen: Callable[..., Screen], served: Served, artifacts_dir: Path
) -> None:
    stall = served.stall("vendor2")
    wall = screen(WALL, accept_language="ko")
    wall.open(f"/board/stalls/{stall}?refresh=1")
    page = wall.page
    rating = page.locator("#stall dd.rating")
    assert rating.get_attribute("data-count") == "0"
    assert rating.inner_text() == "아직 평가가 없습니다"
    page.evaluate("window.__sameDocument = true")  # gone if the page were reloaded
    sale_id = sale_ids(served.engine, stall)[0]
    posted = {"receipt": served.receipts.proof(sale_id), "stars": 5, "comment": "<b>달고 맛있어요</b>"}
    answer = httpx.post(f"{served.base}/sales/{sale_id}/rating", json=posted, timeout=10)
    assert answer.status_code == 201, answer.text
    # The page's own script fetches the fragment every second: wait for the swap, bounded (a
    # locator wait: wait_for_function would eval a string, which the page's policy forbids).
    page.locator("#stall dd.rating[data-count='1']").wait_for(timeout=REFRESH_TIMEOUT_MS)
    assert rating.inner_text() == "지금까지 평가 1건"
    assert page.evaluate("window.__sameDocument") is True
    assert int(page.locator("body").get_attribute("data-refreshes") or 0) >= 1
    assert page.locator("#comments q").inner_text() == "<b>달고 맛있어요</b>"  # shown as text
    assert page.locator("#comments b").count() == 0
    wall.assert_panels_fit()
    page.screenshot(path=str(artifacts_dir / "board-stall-1920x1080-ko.png"))
    wall.assert_all_requests_local()
    wall.assert_no_csp_violation()


def test_stall_screen_in_portrait_with_red_recalled_lot_and_a_qr_to_its_page(
    screen: Callable[..., Screen], served: Served, artifacts_dir: Path
) -> None:
    stall = served.stall("vendor2")
    portrait = screen(PORTRAIT)
    portrait.open(f"/board/stalls/{stall}")
    page = portrait.page
    assert page.locator("h1").inner_text() == "Stall B03"
    assert page.locator("#stall dd.licence").inner_text() == "JY33010600067890"
    lots = page.locator("#stock article")
    assert sorted(lots.evaluate_all("cards => cards.map(c => c.dataset.lot)")) == [
        "MK-DUR-1",
        "MK-GREENS-2",
        "MK-GREENS-3",
    ]
    assert portrait.color('#stock article[data-lot="MK-GREENS-2"]') == RED
    assert portrait.color('#stock article[data-lot="MK-GREENS-3"]') != RED
    assert page.locator('#stock article[data-lot="MK-DUR-1"] dd.origin').inner_text() == "Thailand (TH)"
    assert page.locator('#stock article[data-lot="MK-DUR-1"] .product-name').inner_text() == "Monthong durian (liulian)"
    # Portrait: one column, the stall card above its stock, nothing wider than the screen.
    card, stock = page.locator("#stall").bounding_box(), page.locator("#stock").bounding_box()
    assert card and stock and card["y"] + card["height"] <= stock["y"] and abs(card["x"] - stock["x"]) < 1
    assert page.evaluate("document.documentElement.scrollWidth") <= PORTRAIT["width"]
    qr = Image.open(io.BytesIO(page.locator("#stall .qr svg").screenshot()))
    (code,) = zxingcpp.read_barcodes(qr.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    assert code.text == f"{served.base}/board/stalls/{stall}"
    portrait.assert_panels_fit()
    page.screenshot(path=str(artifacts_dir / "board-stall-1080x1920-en.png"), full_page=True)
    portrait.assert_all_requests_local()
    portrait.assert_no_csp_violation()

    phone = screen(PHONE, accept_language="zh-CN")  # where the QR code leads
    phone.open(f"/board/stalls/{stall}")
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.assert_panels_fit()
    assert phone.page.locator("#stock h2").inner_text() == "当前库存"
    phone.page.screenshot(path=str(artifacts_dir / "board-stall-phone-zh.png"), full_page=True)


def test_board_and_stall_screen_are_whole_without_javascript(
    screen: Callable[..., Screen], served: Served, artifacts_dir: Path
) -> None:
    still = screen(WALL, javascript=False)
    still.page.set_content("<script>document.title = 'scripts run'</script>")
    assert still.page.title() == ""  # scripts really are off in this context
    still.open("/board")
    assert still.page.locator("#inspections tbody").count() == 2
    assert still.color("#inspections tbody.failed") == RED
    assert still.page.locator("#stalls tr.stall-row").count() == 2
    still.page.locator("#stalls a").first.click()
    still.page.wait_for_load_state()
    assert still.page.url == f"{served.base}/board/stalls/{served.stall('vendor')}"
    assert still.page.locator("#stock article").count() == 1
    still.page.screenshot(path=str(artifacts_dir / "board-stall-nojs-en.png"))
    still.assert_all_requests_local()


def test_shopper_rates_the_stall_from_the_sale_page_without_javascript(
    screen: Callable[..., Screen], served: Served, artifacts_dir: Path
) -> None:
    phone = screen(PHONE, javascript=False)
    sale_page = f"/01/{OTHER_GTIN}/10/MK-DUR-1/21/2"
    proof = served.receipts.proof("0x" + sale_id_of(batch_id_of(OTHER_GTIN, "MK-DUR-1"), 2).hex())
    phone.open(f"{sale_page}?receipt={proof}")  # as the receipt's QR code opens it
    page = phone.page
    assert page.locator("#rating h2").inner_text() == "Rate this stall"
    page.locator('#rating input[name="stars"][value="4"]').check()
    page.locator("#rating-comment").fill("Sweet & ripe <3")
    page.locator("#rating").screenshot(path=str(artifacts_dir / "shopper-rating-form-en.png"))
    page.locator("#rating button[type=submit]").click()
    page.wait_for_load_state()
    assert page.url == f"{served.base}{sale_page}#rating"
    assert page.locator("#rating .rated").inner_text() == "Thank you: you gave this stall 4 of 5 stars."
    assert page.locator("#rating form").count() == 0
    page.screenshot(path=str(artifacts_dir / "shopper-rated-en.png"), full_page=True)
    stall = httpx.get(f"{served.base}/stalls/{served.stall('vendor2')}/ratings", timeout=10).json()
    assert {"stars": 4, "comment": "Sweet & ripe <3"} in [
        {k: r[k] for k in ("stars", "comment")} for r in stall["data"]
    ]
    phone.assert_all_requests_local()
