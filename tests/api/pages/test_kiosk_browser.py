"""The market's touchscreen in a real headless Chromium at 1080x1920 (portrait), served by the
real app over a market recorded on anvil with a notice and a floor plan: the start screen fits
the screen's width, every control is at least 48 px, the catalog shows three languages, a tap
on a product (a link: JavaScript off) lists the stall that has it and lights it on the map, a
tap on the stall opens its stock, the notice is there, the page sends no script and breaks no
rule of its Content-Security-Policy, and it returns to the start screen by itself. Screenshots
go to ``test-artifacts/``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from api.main import create_app
from api.services import Services
from api.settings import ApiSettings
from ledger.chain.node import free_port
from ledger.documents import open_store
from ledger.keys import KeyStore
from ledger.notices import FloorPlan, NoticeText
from ledger.notices.publish import publish_layout, publish_notice
from ledger.notify.secret_box import load_secret_box
from ledger.store.products import set_product
from tests.factories.board_market import RecordedBoard, indexed_board_market, recorded_board_market
from tests.factories.market import GTIN, OTHER_GTIN
from tests.support.axe import AXE, axe_violations
from tests.support.server import serve_in_thread

KIOSK = {"width": 1080, "height": 1920}
#: Seconds of idleness before the start screen (a minute in the market; short for one test).
IDLE_S = 5
#: The smallest touch target (WCAG 2.5.5 asks 44 CSS px; the market asks 48).
MIN_TARGET = 48


@dataclass(frozen=True)
class Served:
    base: str
    recorded: RecordedBoard
    idle_base: str  # the same market, served with a short idle time


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp("kiosk-browser")
    with recorded_board_market(workdir) as recorded:
        m, data = recorded.market, workdir / "data"
        documents = open_store(data)
        notice = NoticeText.build(
            {"en": "Greens lot MK-GREENS-2 recalled", "zh": "青菜批次 MK-GREENS-2 召回", "ko": "청경채 로트 회수"},
            {"en": "Return it to the stall for a refund.", "zh": "请退回摊位退款。", "ko": "매장에서 환불하세요."},
        )
        now = int(time.time())
        publish_notice(m.ledger, documents, m.regulator, notice, now - 60, now + 3600)
        plan = FloorPlan.parse(
            {
                "width": 30,
                "height": 20,
                "stalls": [
                    {"stall": m.vendor.address, "x": 1, "y": 2, "w": 8, "h": 5},
                    {"stall": m.vendor2.address, "x": 11, "y": 2, "w": 8, "h": 5},
                ],
                "empty": [{"label": "C01", "x": 1, "y": 12, "w": 8, "h": 5}],
                "entrances": [{"label": "Gate", "x": 15, "y": 20}],
                "lab": {"x": 22, "y": 2, "w": 6, "h": 6},
            },
            registered=[m.vendor.address, m.vendor2.address],
        )
        publish_layout(m.ledger, documents, m.admin, plan)
        with indexed_board_market(recorded, "sqlite", workdir) as engine:
            set_product(engine, GTIN, "Leafy greens (qingcai)", {"zh": "青菜", "ko": "청경채"})
            set_product(engine, OTHER_GTIN, "Monthong durian (liulian)", {"zh": "金枕榴莲", "ko": "몬통 두리안"})
            apps = []
            for idle in (60, IDLE_S):
                port = free_port()
                settings = ApiSettings(
                    data_dir=data,
                    database_url=str(engine.url),
                    rpc_url=recorded.node.rpc_url,
                    public_host=f"127.0.0.1:{port}",
                    public_scheme="http",
                    kiosk_idle_s=idle,
                )
                services = Services(
                    settings=settings,
                    engine=engine,
                    keys=KeyStore(settings.keystore_dir, settings.market_keystore_password()),
                    documents=documents,
                    webhook_box=load_secret_box(settings.data_dir),
                    webhook_targets=settings.webhook_targets,
                )
                apps.append((create_app(settings, services), port))
            (app, port), (idle_app, idle_port) = apps
            with (
                serve_in_thread(app, port, "kiosk") as base,
                serve_in_thread(idle_app, idle_port, "kiosk-idle") as idle,
            ):
                yield Served(base, recorded, idle)


@pytest.fixture
def kiosk(browser: Browser, served: Served) -> Iterator[tuple[Page, list[str]]]:
    """A portrait touchscreen without JavaScript (the kiosk needs none); its console."""
    context = browser.new_context(viewport=KIOSK, java_script_enabled=False, has_touch=True)
    console: list[str] = []
    context.on("console", lambda message: console.append(message.text))
    yield context.new_page(), console
    context.close()


def _small_targets(page: Page) -> list[str]:
    """Every visible link smaller than the smallest touch target, as text."""
    return page.locator("a").evaluate_all(
        f"""links => links.map(a => [a, a.getBoundingClientRect()])
            .filter(([a, r]) => r.width > 0 && (r.width < {MIN_TARGET} || r.height < {MIN_TARGET}))
            .map(([a, r]) => `${{a.textContent.trim()}} ${{Math.round(r.width)}}x${{Math.round(r.height)}}`)"""
    )


def test_kiosk_start_screen_in_portrait_fits_and_has_large_targets(
    kiosk: tuple[Page, list[str]], served: Served, artifacts_dir: Path
) -> None:
    page, console = kiosk
    answer = page.goto(served.base + "/kiosk?lang=en")
    assert answer is not None and answer.status == 200
    assert page.evaluate("document.documentElement.scrollWidth") <= KIOSK["width"]
    assert page.locator("script").count() == 0
    tiles = page.locator("a.tile")
    assert tiles.count() == 2
    assert tiles.first.inner_text().split("\n") == ["Leafy greens (qingcai)", "청경채", "青菜"]
    assert page.locator("#notices h3").inner_text() == "Greens lot MK-GREENS-2 recalled"
    assert page.locator("#map svg g.stall").count() == 2
    assert _small_targets(page) == []
    size = page.locator("a.tile span.first").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 28  # readable at arm's length
    assert [text for text in console if "Content Security Policy" in text] == []
    page.screenshot(path=str(artifacts_dir / "kiosk-1080x1920-start.png"), full_page=True)


def test_kiosk_tap_a_product_then_a_stall_without_javascript(
    kiosk: tuple[Page, list[str]], served: Served, artifacts_dir: Path
) -> None:
    page, _ = kiosk
    page.goto(served.base + "/kiosk?lang=zh")
    with page.expect_navigation():
        page.locator("a.tile", has_text="金枕榴莲").tap()
    offers = page.locator("#offers a.offer")
    assert offers.count() == 1  # the durian is at B03 only
    assert "B03" in offers.inner_text() and "CNY" in offers.inner_text()
    vendor2 = served.recorded.market.vendor2.address
    assert page.locator("#map g.stall.lit").get_attribute("data-address") == vendor2
    assert page.evaluate("document.documentElement.scrollWidth") <= KIOSK["width"]
    assert _small_targets(page) == []
    page.screenshot(path=str(artifacts_dir / "kiosk-1080x1920-product.png"), full_page=True)
    with page.expect_navigation():
        offers.first.tap()
    assert f"stall={vendor2}" in page.url
    assert page.locator("#stall article.offer").count() >= 2  # greens and durian in stock
    with page.expect_navigation():
        page.locator("#stall a.button", has_text="返回首页").tap()
    assert page.locator("a.tile").count() == 2


def test_kiosk_returns_to_its_start_screen_by_itself(kiosk: tuple[Page, list[str]], served: Served) -> None:
    """Left on a product's screen, the page goes back to the start (in Chromium, without
    JavaScript). The server here is set to IDLE_S seconds instead of a minute."""
    page, _ = kiosk
    page.goto(served.base + "/kiosk")
    assert page.locator('meta[http-equiv="refresh"]').get_attribute("content") == "60;url=/kiosk"
    page.goto(served.idle_base + f"/kiosk?product={GTIN}&lang=ko")
    assert page.locator("#offers").count() == 1
    assert page.locator('meta[http-equiv="refresh"]').get_attribute("content") == f"{IDLE_S};url=/kiosk"
    page.wait_for_url(served.idle_base + "/kiosk", timeout=(IDLE_S + 10) * 1000)  # an event, bounded
    assert page.locator("#offers").count() == 0 and page.locator("a.tile").count() == 2


@pytest.mark.parametrize("screen", ["/kiosk?lang=en", f"/kiosk?product={GTIN}&lang=zh"])
def test_kiosk_screens_have_no_serious_accessibility_violations(browser: Browser, served: Served, screen: str) -> None:
    """axe-core (WCAG 2.1 A/AA and best practice) on the start screen and a product's screen,
    map included: its stalls are links, so the drawing is a group of links, not one picture."""
    if not AXE.exists():
        pytest.fail("axe-core is not installed: npm install (package.json's devDependencies)", pytrace=False)
    # JavaScript on and the CSP bypassed only to inject axe-core; the kiosk itself sends none.
    context = browser.new_context(viewport=KIOSK, bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(served.base + screen)
        assert page.locator("#map svg g.stall").count() == 2
        # The touchscreen's return to its start screen after a minute without a tap (a meta
        # refresh, as it sends no script) is what a shared kiosk must do: the next shopper
        # starts from the start. axe's rule against timed refreshes is therefore not applied.
        found = [v for v in axe_violations(page) if v["id"] != "meta-refresh"]
        assert found == [], found
    finally:
        context.close()
