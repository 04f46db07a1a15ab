"""Every life-cycle function's happy path, with the exact fields of the events it emits."""

from __future__ import annotations

from ledger.chain.freshledger import Residue, batch_id_of, code, sale_id_of
from ledger.vocabulary import ROLE_IDS
from tests.factories.batch_calls import chain_now
from tests.factories.market import (
    GTIN,
    OTHER_GTIN,
    Market,
    at_stall,
    deliver,
    document_cid,
    harvest,
    new_lot,
    quarantined,
)


def test_register_participant_emits_record_and_role(market: Market) -> None:
    newcomer = market.outsider.address
    result = market.ledger.register_participant(market.admin, newcomer, "VENDOR", "Stall C07", "JY3301060009999")
    registered = result.event("ParticipantRegistered").args
    assert registered["account"] == newcomer
    assert registered["role"] == ROLE_IDS["VENDOR"]
    assert registered["name"] == "Stall C07"
    assert registered["identifier"] == "JY3301060009999"
    assert registered["index"] == 8  # seven market members came first
    granted = result.event("RoleGranted").args
    assert (granted["role"], granted["account"], granted["sender"]) == (
        ROLE_IDS["VENDOR"],
        newcomer,
        market.admin.address,
    )
    assert market.ledger.has_role("VENDOR", newcomer)
    (record,) = market.ledger.read("participant", newcomer)
    assert record == {"index": 8, "roles": 8, "suspended": False}


def test_register_harvest_records_key_data_elements(market: Market) -> None:
    lot = new_lot("GV")
    harvested_at = chain_now(market) - 7200
    cid = document_cid(b"field photo")
    result = market.ledger.register_harvest(
        market.supplier,
        gtin=GTIN,
        lot=lot,
        quantity=400,
        unit="KGM",
        harvested_at=harvested_at,
        origin="geo:30.2336,119.7248",
        document_cid=cid,
    )
    event = result.event("HarvestRegistered")
    assert event.args == {
        "batchId": batch_id_of(GTIN, lot),
        "supplier": market.supplier.address,
        "gtin": int(GTIN),
        "lot": lot,
        "quantity": 400,
        "unit": code("KGM", 3),
        "harvestedAt": harvested_at,
        "origin": "geo:30.2336,119.7248",
        "documentCid": cid,
    }
    assert [e.name for e in result.events] == ["HarvestRegistered"]
    state = market.ledger.batch(batch_id_of(GTIN, lot))
    assert (state.gtin, state.unit, state.status, state.remaining) == (GTIN, "KGM", "active", 400)
    assert state.custodian == market.supplier.address
    assert state.pending_recipient is None
    assert market.ledger.batch_id(GTIN, lot) == batch_id_of(GTIN, lot)


def test_register_import_puts_batch_in_importer_custody(market: Market) -> None:
    lot = new_lot("DUR")
    cleared_at = chain_now(market) - 600
    cid = document_cid(b"customs declaration pdf")
    result = market.ledger.register_import(
        market.customs,
        gtin=OTHER_GTIN,
        lot=lot,
        quantity=300,
        unit="KGM",
        importer=market.supplier2.address,
        origin_country="TH",
        hs_code="08106000",
        declaration_number="310120261000123456",
        cleared_at=cleared_at,
        entry_port="CNNGB",
        document_cid=cid,
    )
    assert result.event("ImportRegistered").args == {
        "batchId": batch_id_of(OTHER_GTIN, lot),
        "importer": market.supplier2.address,
        "gtin": int(OTHER_GTIN),
        "lot": lot,
        "quantity": 300,
        "unit": code("KGM", 3),
        "originCountry": b"TH",
        "hsCode": b"08106000\0\0",
        "declarationNumber": "310120261000123456",
        "clearedAt": cleared_at,
        "entryPort": "CNNGB",
        "customs": market.customs.address,
        "documentCid": cid,
    }
    state = market.ledger.batch(batch_id_of(OTHER_GTIN, lot))
    assert state.custodian == market.supplier2.address
    assert state.status == "active"


def test_hand_off_then_accept_moves_custody(market: Market) -> None:
    batch_id = harvest(market, quantity=80)
    shipped = market.ledger.hand_off(market.supplier, batch_id, market.supplier2.address)
    assert shipped.event("HandOffInitiated").args == {
        "batchId": batch_id,
        "from": market.supplier.address,
        "to": market.supplier2.address,
        "quantity": 80,
    }
    in_transit = market.ledger.batch(batch_id)
    assert in_transit.status == "in_transit"
    assert in_transit.custodian == market.supplier.address
    assert in_transit.pending_recipient == market.supplier2.address

    accepted = market.ledger.accept_hand_off(market.supplier2, batch_id)
    assert accepted.event("HandOffAccepted").args == {
        "batchId": batch_id,
        "to": market.supplier2.address,
        "quantity": 80,
    }
    after = market.ledger.batch(batch_id)
    assert (after.status, after.custodian, after.pending_recipient) == ("active", market.supplier2.address, None)


def test_cancel_hand_off_returns_batch_to_sender(market: Market) -> None:
    batch_id = harvest(market)
    market.ledger.hand_off(market.supplier, batch_id, market.vendor.address)
    cancelled = market.ledger.cancel_hand_off(market.supplier, batch_id)
    assert cancelled.event("HandOffCancelled").args == {
        "batchId": batch_id,
        "from": market.supplier.address,
        "to": market.vendor.address,
    }
    state = market.ledger.batch(batch_id)
    assert (state.status, state.custodian, state.pending_recipient) == ("active", market.supplier.address, None)


def test_split_creates_children_with_lineage(market: Market) -> None:
    parent = harvest(market, quantity=100)
    lots = [new_lot("A"), new_lot("B")]
    result = market.ledger.split(market.supplier, parent, [(lots[0], 30), (lots[1], 50)])
    events = result.events_named("BatchSplit")
    assert [e.args for e in events] == [
        {
            "parentId": parent,
            "childId": batch_id_of(GTIN, lots[0]),
            "custodian": market.supplier.address,
            "lot": lots[0],
            "quantity": 30,
        },
        {
            "parentId": parent,
            "childId": batch_id_of(GTIN, lots[1]),
            "custodian": market.supplier.address,
            "lot": lots[1],
            "quantity": 50,
        },
    ]
    assert market.ledger.batch(parent).remaining == 20
    child = market.ledger.batch(batch_id_of(GTIN, lots[1]))
    assert (child.gtin, child.unit, child.remaining, child.status) == (GTIN, "KGM", 50, "active")


def test_split_of_everything_leaves_parent_sold_out(market: Market) -> None:
    parent = harvest(market, quantity=60)
    market.ledger.split(market.supplier, parent, [(new_lot(), 60)])
    state = market.ledger.batch(parent)
    assert (state.remaining, state.status) == (0, "sold_out")


def test_merge_uses_up_parents(market: Market) -> None:
    first, second = harvest(market, quantity=40), harvest(market, quantity=25)
    lot = new_lot("M")
    result = market.ledger.merge(market.supplier, [first, second], lot)
    assert result.event("BatchesMerged").args == {
        "childId": batch_id_of(GTIN, lot),
        "custodian": market.supplier.address,
        "lot": lot,
        "quantity": 65,
        "parentIds": [first, second],
        "parentQuantities": [40, 25],
    }
    assert market.ledger.batch(batch_id_of(GTIN, lot)).remaining == 65
    for parent in (first, second):
        state = market.ledger.batch(parent)
        assert (state.remaining, state.status) == (0, "sold_out")


def test_passed_inspection_keeps_batch_active(market: Market) -> None:
    batch_id = harvest(market)
    report = document_cid(b"lab report 0417")
    residues = [Residue("chlorpyrifos", 4, 50), Residue("lead (Pb)", 20, 300)]
    result = market.ledger.record_inspection(market.lab, batch_id, passed=True, residues=residues, report_cid=report)
    assert result.event("InspectionRecorded").args == {
        "batchId": batch_id,
        "lab": market.lab.address,
        "passed": True,
        "residues": [
            {"substance": "chlorpyrifos", "measured": 4, "limit": 50, "unit": "ug/kg"},
            {"substance": "lead (Pb)", "measured": 20, "limit": 300, "unit": "ug/kg"},
        ],
        "reportCid": report,
    }
    assert market.ledger.batch(batch_id).status == "active"


def test_failed_inspection_quarantines_and_regulator_releases(market: Market) -> None:
    batch_id = quarantined(market)
    assert market.ledger.batch(batch_id).status == "quarantined"
    result = market.ledger.release_quarantine(market.regulator, batch_id, "re-test of retained sample within limits")
    assert result.event("QuarantineReleased").args == {
        "batchId": batch_id,
        "regulator": market.regulator.address,
        "reason": "re-test of retained sample within limits",
    }
    assert market.ledger.batch(batch_id).status == "active"


def test_record_sale_numbers_sales_per_batch(market: Market) -> None:
    batch_id = at_stall(market, quantity=10)
    first = market.ledger.record_sale(market.vendor, batch_id, quantity=2, price=1200, currency="CNY")
    second = market.ledger.record_sale(market.vendor, batch_id, quantity=8, price=4800, currency="CNY")
    assert first.event("SaleRecorded").args == {
        "batchId": batch_id,
        "vendor": market.vendor.address,
        "saleId": sale_id_of(batch_id, 1),
        "serial": 1,
        "quantity": 2,
        "price": 1200,
        "currency": b"CNY",
    }
    assert second.event("SaleRecorded").args["serial"] == 2
    assert second.event("SaleRecorded").args["saleId"] == sale_id_of(batch_id, 2)
    state = market.ledger.batch(batch_id)
    assert (state.remaining, state.status, state.sale_count) == (0, "sold_out", 2)


def test_recall_marks_each_batch_once(market: Market) -> None:
    first, second = harvest(market), at_stall(market)
    result = market.ledger.recall(market.regulator, [first, second], "Listeria found at packing shed")
    assert [e.args for e in result.events_named("RecallIssued")] == [
        {"batchId": first, "regulator": market.regulator.address, "reason": "Listeria found at packing shed"},
        {"batchId": second, "regulator": market.regulator.address, "reason": "Listeria found at packing shed"},
    ]
    assert {market.ledger.batch(b).status for b in (first, second)} == {"recalled"}
    # Recalling again changes nothing and emits nothing.
    again = market.ledger.recall(market.regulator, [first], "duplicate notice")
    assert again.events == []


def test_sold_out_batch_can_still_be_recalled(market: Market) -> None:
    batch_id = at_stall(market, quantity=1)
    market.ledger.record_sale(market.vendor, batch_id, quantity=1, price=100, currency="CNY")
    market.ledger.recall(market.regulator, [batch_id], "shoppers must be told")
    assert market.ledger.batch(batch_id).status == "recalled"


def test_suspend_and_reinstate_participant(market: Market) -> None:
    suspended = market.ledger.suspend_participant(market.admin, market.vendor.address, "licence expired")
    assert suspended.event("ParticipantSuspended").args == {
        "account": market.vendor.address,
        "reason": "licence expired",
    }
    assert not market.ledger.has_role("VENDOR", market.vendor.address)
    reinstated = market.ledger.reinstate_participant(market.admin, market.vendor.address)
    assert reinstated.event("ParticipantReinstated").args == {"account": market.vendor.address}
    assert market.ledger.has_role("VENDOR", market.vendor.address)


def test_grant_and_revoke_keep_role_bits_in_step(market: Market) -> None:
    market.ledger.grant_role(market.admin, "VENDOR", market.supplier2.address)
    (record,) = market.ledger.read("participant", market.supplier2.address)
    assert record["roles"] == 1 | 8
    batch_id = harvest(market, supplier=market.supplier2)
    market.ledger.record_sale(market.supplier2, batch_id, quantity=1, price=100, currency="CNY")
    market.ledger.transact(market.admin, "revokeRole", ROLE_IDS["VENDOR"], market.supplier2.address)
    (record,) = market.ledger.read("participant", market.supplier2.address)
    assert record["roles"] == 1


def test_full_path_from_harvest_to_sale(market: Market) -> None:
    parent = harvest(market, quantity=100)
    deliver(market, parent, market.supplier, market.supplier2)
    split = market.ledger.split(market.supplier2, parent, [(new_lot("S"), 40)])
    child = split.event("BatchSplit").args["childId"]
    market.ledger.record_inspection(market.lab, child, passed=True, residues=[Residue("carbofuran", 0, 20)])
    deliver(market, child, market.supplier2, market.vendor)
    sale = market.ledger.record_sale(market.vendor, child, quantity=3, price=1800, currency="CNY")
    assert sale.event("SaleRecorded").args["vendor"] == market.vendor.address
    assert market.ledger.batch(child).remaining == 37
    assert market.ledger.batch(parent).remaining == 60
