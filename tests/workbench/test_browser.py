"""The workbench in Debian's Chromium at a phone's size (390 x 844), end to end against the
real app, chain and queue: a farmer registers a harvest with a photo and ships it; the
wholesaler accepts and ships it to a stall, which accepts and sells some; the lab records a
failing test (warned first); the regulator previews the recall (the stall and the sale it
reaches) and confirms it; the shopper's page of the sale shows the recall banner. Every
workbench page on the way is checked with axe-core (no serious or critical violations) and
photographed into ``test-artifacts/workbench/``; the forms are filled by keyboard."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import Browser

from ledger.demo.market import GREENS_GTIN
from tests.support.axe import axe_violations
from tests.workbench.conftest import PASSWORD, Bench

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1440, "height": 900}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "workbench"
PHOTO = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cf"
    "c0f01f0005000201f1d5d9a40000000049454e44ae426082"
)
LOT = "WB-PHONE-1"


class Person:
    """One person's phone: a browser context of their own, signed in through the page."""

    def __init__(self, browser: Browser, bench: Bench, name: str, viewport: dict = PHONE) -> None:
        self.bench = bench
        self.name = name
        # The pages have no script; axe-core is injected into them, past their CSP (which
        # tests/security/test_headers.py checks on its own).
        self.context = browser.new_context(viewport=viewport, bypass_csp=True, locale="en-GB")
        self.page = self.context.new_page()
        self.checked: list[str] = []

    def sign_in(self) -> None:
        page = self.page
        page.goto(f"{self.bench.base}/workbench")
        assert "/workbench/sign-in" in page.url
        page.get_by_label("Username").fill(self.bench.usernames[self.name])
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_label("Password").press("Enter")  # the keyboard sends the form
        page.wait_for_url(f"{self.bench.base}/workbench")

    def check(self, shot: str) -> None:
        """No serious or critical accessibility violation, and a picture of the page."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{shot}.png"), full_page=True)
        violations = axe_violations(self.page)
        assert violations == [], (shot, json.dumps(violations, indent=1))
        width = self.page.evaluate("document.documentElement.scrollWidth")
        assert width <= self.page.viewport_size["width"], (shot, "scrolls sideways", width)
        self.checked.append(shot)

    def recorded(self) -> None:
        self.page.wait_for_url("**/workbench/intents/*")
        self.page.get_by_text("Recorded on the ledger in block").wait_for(timeout=60_000)

    def close(self) -> None:
        self.context.close()


def test_farm_to_recall_on_phones(browser: Browser, bench: Bench) -> None:
    farm = Person(browser, bench, "farm")
    farm.page.goto(f"{bench.base}/workbench/sign-in")
    farm.check("sign-in")
    farm.sign_in()
    farm.check("farm-home")
    page = farm.page
    page.get_by_role("link", name="Register a harvest").first.click()
    page.get_by_label("Product").select_option(GREENS_GTIN)
    page.get_by_label("Lot", exact=True).fill(LOT)
    page.get_by_label("Quantity").fill("80")
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    page.get_by_label("Harvest date").fill(today)
    page.get_by_label("Place").fill("30.2741,120.1551")
    page.get_by_label("Photo of the harvest").set_input_files(
        files=[{"name": "harvest.png", "mimeType": "image/png", "buffer": PHOTO}]
    )
    farm.check("farm-harvest-form")
    page.get_by_role("button", name="Register a harvest").click()
    farm.recorded()
    farm.check("farm-harvest-recorded")
    bench.sync()
    page.goto(f"{bench.base}/workbench/supplier")
    page.get_by_role("link", name=f"Ship lot {LOT}").click()
    page.get_by_label("Ship to").select_option(label="West Lake Wholesale")
    farm.check("farm-ship")
    page.get_by_role("button", name=f"Ship lot {LOT}").click()
    farm.recorded()
    bench.sync()

    wholesaler = Person(browser, bench, "wholesaler")
    wholesaler.sign_in()
    wholesaler.check("wholesaler-home-incoming")
    wholesaler.page.get_by_role("button", name=f"Accept lot {LOT}").click()
    wholesaler.recorded()
    bench.sync()
    wholesaler.page.goto(f"{bench.base}/workbench/supplier")
    wholesaler.check("wholesaler-lots")
    wholesaler.page.get_by_role("link", name=f"Ship lot {LOT}").click()
    wholesaler.page.get_by_label("Ship to").select_option(label="Stall A12 (王丽)")
    wholesaler.page.get_by_role("button", name=f"Ship lot {LOT}").click()
    wholesaler.recorded()
    bench.sync()

    vendor = Person(browser, bench, "vendor")
    vendor.sign_in()
    vendor.page.get_by_role("button", name=f"Accept lot {LOT}").click()
    vendor.recorded()
    bench.sync()
    qr_url = _sell(bench, LOT)  # the stall's till sells through the API with its key
    bench.sync()
    vendor.page.goto(f"{bench.base}/workbench/vendor")
    vendor.page.get_by_role("heading", name="Today's sales").wait_for()
    assert LOT in vendor.page.locator("main").inner_text()
    vendor.check("vendor-stall")

    lab = Person(browser, bench, "lab")
    lab.sign_in()
    lab.page.goto(f"{bench.base}/workbench/lab")
    lab.check("lab-arrivals")
    lab.page.get_by_role("link", name=f"Test lot {LOT}").click()
    lab.check("lab-test-form")
    carbofuran = lab.page.get_by_role("group", name="carbofuran")
    carbofuran.get_by_label("Measured (ug/kg)").fill("37")
    lab.page.get_by_role("group", name="chlorpyrifos").get_by_label("Measured (ug/kg)").fill("4")
    lab.page.get_by_role("button", name="Record the test").click()
    lab.page.get_by_text(f"lot {LOT} will be quarantined").wait_for()
    lab.check("lab-failing-warning")
    lab.page.get_by_role("button", name="Record the failing test and quarantine the lot").click()
    lab.recorded()
    bench.sync()

    regulator = Person(browser, bench, "regulator")
    regulator.sign_in()
    regulator.page.goto(f"{bench.base}/workbench/regulator")
    regulator.check("regulator-alerts")
    regulator.page.get_by_role("link", name=LOT).first.click()
    regulator.page.get_by_text("1 lots, 1 stalls and 1 sales.").wait_for()
    regulator.check("regulator-recall-preview")
    regulator.page.get_by_label("Reason of the recall").fill("Carbofuran 37 ug/kg over the 20 ug/kg limit")
    regulator.page.get_by_role("button", name="Confirm the recall of 1 lots").click()
    regulator.recorded()
    regulator.check("regulator-recall-recorded")
    bench.sync()

    shopper = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = shopper.new_page()
    page.goto(bench.base + urlsplit(qr_url).path)
    banner = page.locator(".banner")
    assert "This product has been recalled" in banner.inner_text()
    assert "Carbofuran 37 ug/kg" in banner.inner_text()
    page.screenshot(path=str(ARTIFACTS / "shopper-banner.png"), full_page=True)
    shopper.close()

    customs = Person(browser, bench, "customs")
    customs.sign_in()
    customs.page.goto(f"{bench.base}/workbench/customs")
    declaration = (
        "declaration_number,entry_port,cleared_at,importer,line,gtin,lot,quantity,unit,origin_country,hs_code,document\n"
        f"310120261000888001,CNNGB,2026-11-24T09:30:00+08:00,{bench.addresses['wholesaler']},1,08850000000010,"
        "WB-PHONE-DUR,300,KGM,TH,0810600000,\n"
    )
    customs.page.get_by_label("Declaration file (CSV or XLSX)").set_input_files(
        files=[{"name": "declaration.csv", "mimeType": "text/csv", "buffer": declaration.encode()}]
    )
    customs.page.get_by_role("button", name="Check and record").click()
    customs.page.get_by_text("1 lines recorded on the ledger").wait_for(timeout=60_000)
    customs.check("customs-report")
    customs.close()

    authority = Person(browser, bench, "authority", viewport=DESK)
    authority.page.goto(f"{bench.base}/workbench")
    authority.page.get_by_label("Username").fill("authority.one")
    authority.page.get_by_label("Password").fill(PASSWORD)
    authority.page.get_by_label("Code from your authenticator app").fill(bench.code_for("authority"))
    authority.page.get_by_role("button", name="Sign in").click()
    authority.page.goto(f"{bench.base}/workbench/authority")
    authority.check("authority-desk")
    authority.page.goto(f"{bench.base}/workbench/activity?lang=zh")
    authority.check("authority-activity-zh")
    farm.page.goto(f"{bench.base}/workbench/activity?lang=ko")
    farm.check("farm-activity-ko")
    for person in (farm, wholesaler, vendor, lab, regulator, authority):
        person.close()


def _sell(bench: Bench, lot: str) -> str:
    from ledger.queries.events import batches_of_lot

    (batch_id,) = batches_of_lot(bench.services.engine, lot)
    with httpx.Client(base_url=bench.base, timeout=90) as api:
        sold = api.post(
            "/sales",
            json={"batch_id": batch_id, "quantity": 2, "price": 1200},
            headers={"Authorization": f"Bearer {bench.keys['vendor']}"},
        )
    assert sold.status_code == 201, sold.text
    return sold.json()["qr_url"]
