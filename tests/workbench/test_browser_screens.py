"""The harvest sheet, the scales' keys, the lineage picture, the copied receipts and a notice
in Debian's Chromium at a phone's size (390 x 844), against the real app, chain and queue; each
page checked with axe-core (no serious or critical violations, no sideways scroll) and
photographed into ``test-artifacts/workbench/``. The regulator's trace is seen at a desk
(1440 px) too."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import Browser

from ledger.demo.market import GREENS_GTIN, STRAWBERRY_GTIN
from ledger.queries.events import batches_of_lot
from ledger.store.receipt_scans import CopyRule, ScanTally, add_scans
from tests.workbench.conftest import Bench
from tests.workbench.test_browser import DESK, Person

SHEET = (
    "gtin,lot,quantity,unit,harvested_at,origin,document\n"
    f'{GREENS_GTIN},WB-PH-SHEET-1,60,KGM,2026-11-24T05:00:00+08:00,"geo:30.27,120.15",\n'
    f"{STRAWBERRY_GTIN},WB-PH-SHEET-2,25,KGM,2026-11-24T05:00:00+08:00,6901234000016,\n"
)


def _api(bench: Bench, name: str, path: str, body: dict) -> dict:
    with httpx.Client(base_url=bench.base, timeout=90) as api:
        answer = api.post(path, json=body, headers={"Authorization": f"Bearer {bench.keys[name]}"})
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def test_sheet_scale_keys_lineage_receipts_and_notice_on_phones(browser: Browser, bench: Bench) -> None:
    farm = Person(browser, bench, "farm")
    farm.sign_in()
    page = farm.page
    page.get_by_role("link", name="Harvest sheet").first.click()
    farm.check("farm-harvest-sheet-form")
    page.get_by_label("Harvest sheet (CSV or XLSX)").set_input_files(
        files=[{"name": "sheet.csv", "mimeType": "text/csv", "buffer": SHEET.encode()}]
    )
    page.get_by_role("button", name="Check and record").click()
    page.get_by_text("2 lots sent to the ledger.").wait_for(timeout=60_000)
    farm.check("farm-harvest-sheet")
    bench.sync()
    (greens,) = batches_of_lot(bench.services.engine, "WB-PH-SHEET-1")
    _api(bench, "farm", f"/batches/{greens}/handoff", {"to": bench.addresses["vendor"]})
    _api(bench, "vendor", f"/batches/{greens}/accept", {})
    bench.sync()
    split = _api(bench, "vendor", f"/batches/{greens}/split", {"parts": [{"lot": "WB-PH-SHEET-1A", "quantity": 20}]})
    (child,) = [b for b in split["batch_ids"] if b != greens]
    bench.sync()

    vendor = Person(browser, bench, "vendor")
    vendor.sign_in()
    vendor.page.get_by_role("link", name="Scale keys").first.click()
    vendor.page.get_by_label("Key (PLU)").fill("12")
    vendor.page.get_by_label("Lot", exact=True).select_option(child)
    vendor.check("vendor-plu-form")
    vendor.page.get_by_role("button", name="Map the key").click()
    vendor.recorded()
    bench.sync()
    vendor.page.goto(f"{bench.base}/workbench/vendor/plu")
    vendor.check("vendor-plu")
    sold = _api(bench, "vendor", "/sales", {"batch_id": child, "quantity": 3, "price": 800})
    bench.sync()
    add_scans(
        bench.services.engine,
        [ScanTally(sold["sale_id"], f"203.0.{n}.0/24", 1_800_000_000 + n, 1_800_000_000 + n, 2) for n in range(6)],
        rule=CopyRule(networks=5, window_s=3600),
    )

    regulator = Person(browser, bench, "regulator")
    regulator.sign_in()
    regulator.page.goto(f"{bench.base}/workbench/regulator")
    regulator.page.get_by_role("heading", name="Receipts that look copied").wait_for()
    regulator.check("regulator-alerts-receipts")
    regulator.page.get_by_label("Lot code").fill("WB-PH-SHEET-1A")
    regulator.page.get_by_role("button", name="Trace").click()
    regulator.page.get_by_role("img", name="Lineage of lot WB-PH-SHEET-1A").wait_for()
    regulator.page.get_by_text("The lineage as a list").click()
    regulator.check("regulator-lineage")
    regulator.page.get_by_role("link", name="Notices").first.click()
    regulator.page.get_by_label("Title").first.fill("Hall B closed on Monday")
    regulator.page.get_by_label("Text").first.fill("Deep cleaning of hall B.\nStalls B1-B20 reopen on Tuesday.")
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    regulator.page.get_by_label("Shown until").fill((today + timedelta(days=2)).isoformat())
    regulator.check("regulator-notice-form")
    regulator.page.get_by_role("button", name="Publish the notice").click()
    regulator.recorded()
    regulator.check("regulator-notice-recorded")

    desk = Person(browser, bench, "regulator", viewport=DESK)
    desk.sign_in()
    desk.page.goto(f"{bench.base}/workbench/regulator/lots/{greens}?lang=zh")
    desk.check("regulator-lineage-desk-zh")
    for person in (farm, vendor, regulator, desk):
        person.close()
