"""The workbench's forms over HTTP against the real app, chain and queue: a harvest with a
photo, shipped and accepted, a failing lab test (warned first, then recorded: quarantined), a
recall previewed and confirmed; every write names its person, and a form sent twice records
once."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from ledger.demo.market import GREENS_GTIN
from ledger.store.intents import intents_of
from ledger.store.people import activity
from tests.workbench.conftest import Bench, hidden_fields, post_form

PHOTO = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201f1d5d9a40000000049454e44ae426082"
)
_INTENT = re.compile(r"^/workbench/intents/(\d+)$")


def _intent_id(answer) -> int:
    assert answer.status_code == 303, (
        answer.status_code,
        re.findall(r"role=\"alert\">(.*?)</div>", answer.text, re.S),
        re.findall(r"class=\"error\"[^>]*>(.*?)<", answer.text),
    )
    found = _INTENT.match(answer.headers["location"])
    assert found, answer.headers["location"]
    return int(found[1])


def _batch_of_lot(bench: Bench, lot: str) -> str:
    from ledger.queries.events import batches_of_lot

    (batch_id,) = batches_of_lot(bench.services.engine, lot)
    return batch_id


def test_harvest_ship_accept_fail_recall_with_people_named(bench: Bench) -> None:
    farm = bench.sign_in("farm")
    harvest = {
        "gtin": GREENS_GTIN,
        "lot": "WB-FLOW-1",
        "quantity": "120",
        "unit": "KGM",
        "harvested_on": datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat(),
        "place": "30.2741,120.1551",
    }
    page = farm.get("/workbench/supplier/harvest")
    fields = hidden_fields(page.text, "/workbench/supplier/harvest")
    files = {"photo": ("harvest.png", PHOTO, "image/png")}
    first = farm.post("/workbench/supplier/harvest", data={**fields, **harvest}, files=files)
    intent_id = _intent_id(first)
    # The same form sent again (a double tap, a reload): the same record, nothing new.
    again = farm.post("/workbench/supplier/harvest", data={**fields, **harvest}, files=files)
    assert _intent_id(again) == intent_id
    result = farm.get(f"/workbench/intents/{intent_id}")
    assert "Recorded on the ledger in block" in result.text
    bench.sync()
    batch_id = _batch_of_lot(bench, "WB-FLOW-1")
    assert f'href="/batches/{batch_id}"' in result.text
    assert sum(1 for i in intents_of(bench.services.engine, bench.addresses["farm"]) if i.kind == "harvest") == 1

    lots = farm.get("/workbench/supplier")
    assert "WB-FLOW-1" in lots.text
    shipped = post_form(
        farm,
        f"/workbench/supplier/lots/{batch_id}/ship",
        f"/workbench/supplier/lots/{batch_id}/ship",
        {"to": bench.addresses["wholesaler"]},
    )
    _intent_id(shipped)
    bench.sync()

    wholesaler = bench.sign_in("wholesaler")
    accepted = post_form(wholesaler, "/workbench/supplier", f"/workbench/shipments/{batch_id}/accept", {})
    _intent_id(accepted)
    bench.sync()

    lab = bench.sign_in("lab")
    arrivals = lab.get("/workbench/lab")
    assert "WB-FLOW-1" in arrivals.text
    test_path = f"/workbench/lab/lots/{batch_id}/test"
    form = lab.get(test_path)
    assert 'value="50"' in form.text  # chlorpyrifos in leafy vegetables, prefilled
    fields = hidden_fields(form.text, test_path)
    measured = {"measured_0": "4", "limit_0": "50", "measured_2": "37", "limit_2": "20", "limit_1": "20"}
    measured |= {"limit_3": "300", "limit_4": "200"}
    warned = lab.post(test_path, data={**fields, **measured})
    assert warned.status_code == 200
    assert "will be quarantined" in warned.text and "carbofuran 37 / 20" in warned.text
    assert not [i for i in intents_of(bench.services.engine, bench.addresses["lab"])]  # nothing sent yet
    confirm = hidden_fields(warned.text, test_path)
    assert confirm["confirm_failing"] == "yes"
    recorded = lab.post(test_path, data={**confirm, **measured})
    _intent_id(recorded)
    bench.sync()

    regulator = bench.sign_in("regulator")
    alerts = regulator.get("/workbench/regulator")
    assert "WB-FLOW-1" in alerts.text and "Failed lab test" in alerts.text
    traced = regulator.get("/workbench/regulator/trace", params={"lot": "wb-flow-1"})
    assert traced.status_code == 303 and traced.headers["location"] == f"/workbench/regulator/lots/{batch_id}"
    preview = regulator.get(traced.headers["location"])
    assert "1 lots, 0 stalls and 0 sales." in preview.text
    recalled = post_form(
        regulator,
        f"/workbench/regulator/lots/{batch_id}",
        f"/workbench/regulator/lots/{batch_id}/recall",
        {"reason": "carbofuran over its limit"},
    )
    _intent_id(recalled)
    bench.sync()
    assert "Recalled" in regulator.get("/workbench/regulator").text

    done = {row.form: row.username for row in activity(bench.services.engine, bench.addresses["farm"])}
    assert done == {"harvest": "farm.one", "ship": "farm.one"}
    page = farm.get("/workbench/activity")
    assert "Harvest registered" in page.text and "farm.one" in page.text


def test_errors_stand_beside_their_fields_in_the_persons_language(bench: Bench) -> None:
    farm = bench.sign_in("farm")
    page = farm.get("/workbench/supplier/harvest?lang=zh")
    fields = hidden_fields(page.text, "/workbench/supplier/harvest")
    answer = farm.post(
        "/workbench/supplier/harvest?lang=zh",
        data={
            **fields,
            "gtin": GREENS_GTIN,
            "lot": "bad lot!",
            "quantity": "0",
            "unit": "KGM",
            "harvested_on": "2999-01-01",
            "place": "nowhere",
        },
    )
    assert answer.status_code == 422
    assert 'id="f-quantity-error">请输入不小于 1 的整数。' in answer.text
    assert 'id="f-harvested_on-error">采收日期不能晚于今天。' in answer.text
    assert 'aria-describedby="f-place-hint f-place-error"' in answer.text


def test_a_quarantine_is_released_with_a_reason(bench: Bench) -> None:
    farm = bench.sign_in("farm")
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    harvest = {"gtin": GREENS_GTIN, "lot": "WB-REL-1", "quantity": "10", "unit": "KGM", "harvested_on": today}
    _intent_id(
        post_form(
            farm, "/workbench/supplier/harvest", "/workbench/supplier/harvest", {**harvest, "place": "6901234000016"}
        )
    )
    bench.sync()
    batch_id = _batch_of_lot(bench, "WB-REL-1")
    lab = bench.sign_in("lab")
    path = f"/workbench/lab/lots/{batch_id}/test"
    failing = {
        "measured_2": "25",
        "limit_0": "50",
        "limit_1": "20",
        "limit_2": "20",
        "limit_3": "300",
        "limit_4": "200",
    }
    warned = post_form(lab, path, path, failing)
    _intent_id(lab.post(path, data={**hidden_fields(warned.text, path), **failing}))
    bench.sync()
    regulator = bench.sign_in("regulator")
    page = f"/workbench/regulator/lots/{batch_id}"
    assert "Release from quarantine" in regulator.get(page).text
    refused = post_form(regulator, page, f"{page}/release", {"reason": ""})
    assert refused.status_code == 422 and 'id="r-reason-error">Fill this in.' in refused.text
    released = post_form(regulator, page, f"{page}/release", {"reason": "retest passed: carbofuran 8 ug/kg"})
    _intent_id(released)
    bench.sync()
    after = regulator.get(page).text
    assert "Release from quarantine" not in after and "status-active" in after
