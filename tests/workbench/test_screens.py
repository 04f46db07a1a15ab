"""The harvest sheet, the scales' keys, notices, the lineage picture and the suspicious
receipts against the real app, chain and queue: each form's errors beside their field (nothing
recorded), a good form recorded through the queue once however often it is sent."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from ledger.demo.market import GREENS_GTIN, STRAWBERRY_GTIN
from ledger.queries.events import batches_of_lot
from ledger.queries.lineage_graph import lineage_graph
from ledger.store.intents import intents_of
from ledger.store.receipt_scans import CopyRule, ScanTally, add_scans
from tests.workbench.conftest import Bench, hidden_fields

SHEET_HEADER = "gtin,lot,quantity,unit,harvested_at,origin,document"
_INTENT = re.compile(r"^/workbench/intents/(\d+)$")


def _error(html: str, field: str) -> str:
    found = re.search(rf'id="f-{field}-error"[^>]*>([^<]*)<', html)
    assert found, (field, re.findall(r'class="error"[^>]*>([^<]*)<', html))
    return found[1]


def _intent_id(answer: httpx.Response) -> int:
    assert answer.status_code == 303, (answer.status_code, re.findall(r'class="error"[^>]*>([^<]*)<', answer.text))
    found = _INTENT.match(answer.headers["location"])
    assert found, answer.headers["location"]
    return int(found[1])


def _api(bench: Bench, name: str, method: str, path: str, body: dict) -> dict:
    with httpx.Client(base_url=bench.base, timeout=90) as api:
        answer = api.request(method, path, json=body, headers={"Authorization": f"Bearer {bench.keys[name]}"})
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def _lot_at_stall(bench: Bench, lot: str) -> str:
    """A lot harvested by the farm and taken over by the stall (through the API's keys)."""
    made = _api(
        bench,
        "farm",
        "POST",
        "/harvests",
        {
            "gtin": STRAWBERRY_GTIN,
            "lot": lot,
            "quantity": 40,
            "harvested_at": "2026-11-20T06:00:00+08:00",
            "origin": "geo:30.27,120.15",
        },
    )
    batch_id = made["batch_ids"][0]
    _api(bench, "farm", "POST", f"/batches/{batch_id}/handoff", {"to": bench.addresses["vendor"]})
    _api(bench, "vendor", "POST", f"/batches/{batch_id}/accept", {})
    bench.sync()
    return batch_id


def _harvests_of(bench: Bench, name: str) -> int:
    return sum(1 for i in intents_of(bench.services.engine, bench.addresses[name]) if i.kind == "harvest")


# ------------------------------------------------------------------ harvest sheet


def _sheet(*rows: str) -> bytes:
    return ("\n".join([SHEET_HEADER, *rows]) + "\n").encode()


def test_harvest_sheet_reports_every_problem_then_records_once(bench: Bench) -> None:
    farm = bench.sign_in("farm")
    page = farm.get("/workbench/supplier/sheet")
    assert page.status_code == 200
    fields = hidden_fields(page.text, "/workbench/supplier/sheet")
    before = _harvests_of(bench, "farm")

    def send(data: bytes, name: str = "sheet.csv", media: str = "text/csv", form: dict = fields):
        return farm.post("/workbench/supplier/sheet", data=form, files={"file": (name, data, media)})

    good = [
        f"{GREENS_GTIN},WB-SHEET-1,50,KGM,2026-11-24T05:00:00+08:00,geo:30.27,",
        f"{STRAWBERRY_GTIN},WB-SHEET-2,20,KGM,2026-11-24T05:00:00+08:00,6901234000016,",
    ]
    good = [row.replace("geo:30.27,", '"geo:30.27,120.15",') for row in good]
    bad = send(_sheet(good[0], f"{STRAWBERRY_GTIN},WB-SHEET-2,lots,KGM,tomorrow,6901234000016,"))
    assert bad.status_code == 422, bad.text[:500]
    assert "nothing was recorded" in bad.text
    assert "Row 3" in bad.text and ">quantity<" in bad.text and ">harvested_at<" in bad.text
    wrong_type = send(b"\x00\x01binary", name="sheet.txt", media="text/plain")
    assert wrong_type.status_code == 422 and _error(wrong_type.text, "file") == "Send a .csv or .xlsx file."
    garbage = send(b"\xff\xfe not a spreadsheet", name="sheet.xlsx")
    assert garbage.status_code == 422 and "nothing was recorded" in garbage.text
    oversized = send(b"a" * (9 * 1024 * 1024))
    assert oversized.status_code == 413 and "too large" in _error(oversized.text, "file")
    assert _harvests_of(bench, "farm") == before  # nothing recorded by any of them

    recorded = send(_sheet(*good))
    assert recorded.status_code == 200, recorded.text[:800]
    assert "2 lots sent to the ledger." in recorded.text
    assert recorded.text.count("On the ledger") == 2 and "/batches/0x" in recorded.text
    assert _harvests_of(bench, "farm") == before + 2
    again = send(_sheet(*good))
    assert again.status_code == 200 and "nothing was recorded again" in again.text
    assert _harvests_of(bench, "farm") == before + 2
    bench.sync()
    assert batches_of_lot(bench.services.engine, "WB-SHEET-2")


def test_harvest_sheet_a_lot_already_recorded_records_none_of_it(bench: Bench) -> None:
    _api(
        bench,
        "farm",
        "POST",
        "/harvests",
        {
            "gtin": GREENS_GTIN,
            "lot": "WB-SHEET-DUP",
            "quantity": 5,
            "harvested_at": "2026-11-20T06:00:00+08:00",
            "origin": "geo:30.27,120.15",
        },
    )
    bench.sync()
    farm = bench.sign_in("farm")
    fields = hidden_fields(farm.get("/workbench/supplier/sheet").text, "/workbench/supplier/sheet")
    before = _harvests_of(bench, "farm")
    sheet = _sheet(
        f'{GREENS_GTIN},WB-SHEET-NEW,5,KGM,2026-11-24T05:00:00+08:00,"geo:30.27,120.15",',
        f'{GREENS_GTIN},WB-SHEET-DUP,5,KGM,2026-11-24T05:00:00+08:00,"geo:30.27,120.15",',
    )
    answer = farm.post("/workbench/supplier/sheet", data=fields, files={"file": ("s.csv", sheet, "text/csv")})
    assert answer.status_code == 422 and "Row 3" in answer.text
    assert _harvests_of(bench, "farm") == before


# ------------------------------------------------------------------ scale keys


def test_plu_maps_a_held_lot_refuses_a_quarantined_one_beside_the_lot_and_clears(bench: Bench) -> None:
    held = _lot_at_stall(bench, "WB-PLU-OK")
    failing = _lot_at_stall(bench, "WB-PLU-BAD")
    _api(
        bench,
        "lab",
        "POST",
        "/inspections",
        {"batch_id": failing, "passed": False, "residues": [{"substance": "carbofuran", "measured": 40, "limit": 20}]},
    )
    bench.sync()
    vendor = bench.sign_in("vendor")
    page = vendor.get("/workbench/vendor/plu")
    assert page.status_code == 200 and "No keys mapped yet." in page.text and "WB-PLU-BAD" in page.text
    fields = hidden_fields(page.text, "/workbench/vendor/plu")
    not_a_key = vendor.post("/workbench/vendor/plu", data={**fields, "plu": "12a", "batch_id": held})
    assert not_a_key.status_code == 422 and _error(not_a_key.text, "plu") == "Enter a key from 1 to 9999."
    too_big = vendor.post("/workbench/vendor/plu", data={**fields, "plu": "10000", "batch_id": held})
    assert too_big.status_code == 422 and _error(too_big.text, "plu") == "Enter a key from 1 to 9999."
    not_ours = vendor.post("/workbench/vendor/plu", data={**fields, "plu": "7", "batch_id": "0x" + "ab" * 32})
    assert not_ours.status_code == 422 and _error(not_ours.text, "batch_id") == "Choose one of the list."
    quarantined = vendor.post("/workbench/vendor/plu", data={**fields, "plu": "7", "batch_id": failing})
    assert quarantined.status_code == 409
    assert "failed its residue test" in _error(quarantined.text, "batch_id")
    mapped = vendor.post("/workbench/vendor/plu", data={**fields, "plu": "7", "batch_id": held})
    intent_id = _intent_id(mapped)
    again = vendor.post("/workbench/vendor/plu", data={**fields, "plu": "7", "batch_id": held})
    assert _intent_id(again) == intent_id
    assert "Recorded on the ledger in block" in vendor.get(f"/workbench/intents/{intent_id}").text
    bench.sync()
    listed = vendor.get("/workbench/vendor/plu").text
    assert '<td class="mono">7</td>' in listed and "WB-PLU-OK" in listed
    # Cleared from its row's form: the scales sell nothing under it any more.
    clear = hidden_fields(listed, "/workbench/vendor/plu/7/clear")
    cleared = _intent_id(vendor.post("/workbench/vendor/plu/7/clear", data=clear))
    assert _intent_id(vendor.post("/workbench/vendor/plu/7/clear", data=clear)) == cleared
    result = vendor.get(f"/workbench/intents/{cleared}").text
    assert "Recorded on the ledger in block" in result and "/batches/0x00" not in result
    bench.sync()
    assert '<td class="mono">7</td>' not in vendor.get("/workbench/vendor/plu").text


# ------------------------------------------------------------------ notices


def _notice_form(regulator: httpx.Client) -> dict:
    return hidden_fields(regulator.get("/workbench/regulator/notices").text, "/workbench/regulator/notices")


def test_notice_errors_beside_their_fields_then_published_once(bench: Bench) -> None:
    regulator = bench.sign_in("regulator")
    fields = _notice_form(regulator)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    base = {"valid_from": today.isoformat(), "valid_until": (today + timedelta(days=3)).isoformat()}
    nothing = regulator.post("/workbench/regulator/notices", data={**fields, **base})
    assert nothing.status_code == 422
    assert _error(nothing.text, "title_en") == "Write the title and text in at least one language."
    no_body = regulator.post("/workbench/regulator/notices", data={**fields, **base, "title_ko": "휴장 안내"})
    assert no_body.status_code == 422 and "with its title" in _error(no_body.text, "body_ko")
    text = {
        "title_en": "Hall B closed",
        "body_en": "Deep cleaning\non Monday.",
        "title_zh": "B 区关闭",
        "body_zh": "周一清洁。",
    }
    past = regulator.post(
        "/workbench/regulator/notices",
        data={**fields, **text, "valid_from": "2020-01-01", "valid_until": "2020-01-02"},
    )
    assert past.status_code == 422 and "in the past" in _error(past.text, "valid_until")
    unknown = regulator.post(
        "/workbench/regulator/notices", data={**fields, **text, **base, "gtin": GREENS_GTIN, "lot": "NO-SUCH-LOT"}
    )
    assert unknown.status_code == 422 and _error(unknown.text, "lot") == "No lot with this code is recorded."
    not_a_stall = regulator.post(
        "/workbench/regulator/notices", data={**fields, **text, **base, "stall": bench.addresses["farm"]}
    )
    assert not_a_stall.status_code == 422 and _error(not_a_stall.text, "stall") == "Choose one of the list."
    long_title = regulator.post(
        "/workbench/regulator/notices", data={**fields, **base, "title_en": "x" * 121, "body_en": "b"}
    )
    assert long_title.status_code == 422 and "120" in _error(long_title.text, "title_en")
    assert not [i for i in intents_of(bench.services.engine, bench.addresses["regulator"]) if i.kind == "notice"]

    form = {**fields, **text, **base, "stall": bench.addresses["vendor"]}
    intent_id = _intent_id(regulator.post("/workbench/regulator/notices", data=form))
    assert _intent_id(regulator.post("/workbench/regulator/notices", data=form)) == intent_id
    result = regulator.get(f"/workbench/intents/{intent_id}").text
    assert "Recorded on the ledger in block" in result and 'href="/kiosk"' in result
    assert len([i for i in intents_of(bench.services.engine, bench.addresses["regulator"]) if i.kind == "notice"]) == 1
    bench.sync()
    shown = regulator.get("/workbench/regulator/notices").text
    assert "Hall B closed" in shown and "Deep cleaning" in shown
    with httpx.Client(base_url=bench.base, timeout=30) as api:
        public = api.get("/notices", params={"stall": bench.addresses["vendor"]}).json()["data"]
    assert any(n["title"] == {"en": "Hall B closed", "zh": "B 区关闭"} for n in public)


# ------------------------------------------------------------------ lineage and receipts


def test_trace_shows_the_lineage_picture_and_its_list(bench: Bench) -> None:
    parent = _lot_at_stall(bench, "WB-LIN-1")
    _api(
        bench,
        "vendor",
        "POST",
        f"/batches/{parent}/split",
        {"parts": [{"lot": "WB-LIN-1A", "quantity": 10}, {"lot": "WB-LIN-1B", "quantity": 5}]},
    )
    bench.sync()
    (child,) = batches_of_lot(bench.services.engine, "WB-LIN-1A")
    sold = _api(bench, "vendor", "POST", "/sales", {"batch_id": child, "quantity": 2, "price": 900})
    bench.sync()
    regulator = bench.sign_in("regulator")
    page = regulator.get(f"/workbench/regulator/lots/{child}")
    assert page.status_code == 200
    svg = page.text[page.text.index("<svg") : page.text.index("</svg>")]
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg and "<script" not in svg
    assert "WB-LIN-1" in svg and "WB-LIN-1A" in svg and "Stall A12" in svg
    listed = page.text[page.text.index('class="lineage-list"') :]
    assert "WB-LIN-1A (Strawberries): made from WB-LIN-1" in listed
    assert "WB-LIN-1A sold at Stall A12 (王丽): 1 sales" in listed
    assert "picture and the list show the nearest" not in page.text
    graph = lineage_graph(bench.services.engine, parent, max_side=1, max_stalls=0)
    assert graph.cut and len(graph.nodes) == 2 and graph.sales == []

    add_scans(
        bench.services.engine,
        [ScanTally(sold["sale_id"], f"198.51.{n}.0/24", 1_800_000_000 + n, 1_800_000_000 + n, 1) for n in range(5)],
        rule=CopyRule(networks=5, window_s=3600),
    )
    alerts = regulator.get("/workbench/regulator").text
    receipts = alerts[alerts.index("Receipts that look copied") :]
    assert "WB-LIN-1A" in receipts and "5 scans from 5 networks" in receipts and "receipt #1" in receipts
