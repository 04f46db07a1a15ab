"""build_spreadsheet: one row per critical tracking event with its key data elements, for a
lot's whole lineage (harvest -> hand-off -> split -> sale; customs import -> split -> sale;
a merge) and for a time window. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from ledger.errors import NotFound
from ledger.fsma import HEADERS, FsmaRow, build_spreadsheet
from tests.factories.market import GTIN, OTHER_GTIN
from tests.factories.traceability import CLEARED_AT, HARVESTED_AT
from tests.fsma.conftest import Traced

FARM = "Green Valley Farm (6901234000016)"
WHOLESALER = "West Lake Wholesale (6901234000047)"
STALL_A = "Stall A12 (JY33010600012345)"
STALL_B = "Stall B03 (JY33010600067890)"
LAB = "Market Lab (CMA-2026-0417)"
FIELD = f"{FARM}; growing area geo:30.2336,119.7248"


def kdes(row: FsmaRow) -> tuple:
    """The key data elements a test compares (times and hashes are checked apart)."""
    return (
        row.cte,
        row.record_type,
        row.transformation_role,
        row.tlc,
        row.tlc_source,
        row.quantity,
        row.unit,
        row.location,
        row.ship_from,
        row.ship_to,
        row.previous_source,
        row.receiving_location,
    )


def test_headers_name_every_field_in_order() -> None:
    assert list(HEADERS) == list(FsmaRow.__dataclass_fields__)
    assert HEADERS["tlc"] == "Traceability Lot Code (TLC)"
    assert HEADERS["reference_document_number"] == "Reference Document Number"


def test_harvest_handoff_split_sale_lot_has_every_cte_in_chain_order(traced: Traced) -> None:
    sheet = build_spreadsheet(traced.engine, lot="GV-01-A")
    assert [kdes(r) for r in sheet.rows] == [
        ("Harvesting", "CTE", "", "GV-01", FARM, 400, "kg (KGM)", FIELD, "", "", "", ""),
        ("Initial Packing", "CTE", "", "GV-01", FARM, 400, "kg (KGM)", FARM, "", "", "", ""),
        ("Shipping", "CTE", "", "GV-01", FARM, 400, "kg (KGM)", FARM, FARM, WHOLESALER, "", ""),
        ("Receiving", "CTE", "", "GV-01", FARM, 400, "kg (KGM)", WHOLESALER, "", "", FARM, WHOLESALER),
        ("Transformation", "CTE", "Input", "GV-01", FARM, 50, "kg (KGM)", WHOLESALER, "", "", "", ""),
        ("Transformation", "CTE", "Output", "GV-01-A", WHOLESALER, 50, "kg (KGM)", WHOLESALER, "", "", "", ""),
        ("Inspection", "Reference", "", "GV-01-A", WHOLESALER, None, "kg (KGM)", LAB, "", "", "", ""),
        ("Shipping", "CTE", "", "GV-01-A", WHOLESALER, 50, "kg (KGM)", WHOLESALER, WHOLESALER, STALL_A, "", ""),
        ("Receiving", "CTE", "", "GV-01-A", WHOLESALER, 50, "kg (KGM)", STALL_A, "", "", WHOLESALER, STALL_A),
        ("Sale", "Reference", "", "GV-01-A", WHOLESALER, 2, "kg (KGM)", STALL_A, "", "", "", ""),
    ]
    txs = traced.chain.scenario.txs
    steps = ["harvest", "harvest", "ship", "receive", "split", "split", "inspect", "ship_a", "receive_a", "sale"]
    assert [r.tx_hash for r in sheet.rows] == [txs[s].tx_hash for s in steps]
    assert [r.block_number for r in sheet.rows] == [txs[s].block_number for s in steps]
    assert [r.reference_document_number for r in sheet.rows] == [txs[s].tx_hash for s in steps]
    assert {r.reference_document_type for r in sheet.rows} == {"FreshLedger transaction"}
    assert {(r.gtin, r.product_description, r.tlc_source_reference) for r in sheet.rows[:5]} == {
        (GTIN, f"GTIN {GTIN}", "6901234000016")
    }
    harvesting, packing = sheet.rows[0], sheet.rows[1]
    documents = traced.chain.scenario.documents
    assert (harvesting.event_time, harvesting.harvest_date, harvesting.harvest_location) == (
        HARVESTED_AT,
        HARVESTED_AT,
        FIELD,
    )
    assert harvesting.document_cid == packing.document_cid == documents["photo"]
    assert packing.event_time > HARVESTED_AT  # when the farm registered the lot on-chain
    assert packing.harvest_date == HARVESTED_AT
    split_in, split_out = sheet.rows[4], sheet.rows[5]
    assert split_in.event_id == split_out.event_id
    assert split_in.event_id.startswith(f"{txs['split'].tx_hash}:")
    assert (split_in.notes, split_out.notes) == ("split: used for lot GV-01-A", "split of lot GV-01")
    inspection = sheet.rows[6]
    assert (inspection.notes, inspection.document_cid) == ("passed: chlorpyrifos 4/50 ug/kg", documents["report"])
    sale = sheet.rows[-1]
    sale_id = txs["sale"].event("SaleRecorded").args["saleId"]
    assert sale.notes == f"sale 1 to a consumer (0x{sale_id.hex()}), price 1200 CNY minor units"
    times = [(r.block_number, r.event_id) for r in sheet.rows]
    assert times == sorted(times, key=lambda t: t[0])
    assert sheet.as_of_block is not None and sheet.as_of_block >= txs["sale"].block_number


def test_lineage_is_the_same_from_the_parent_lot(traced: Traced) -> None:
    """Asked for the harvest lot, the sheet runs forward through both repacked lots."""
    sheet = build_spreadsheet(traced.engine, lot="GV-01")
    assert sorted({r.tlc for r in sheet.rows}) == ["GV-01", "GV-01-A", "GV-01-B"]
    outputs = [r.tlc for r in sheet.rows if r.transformation_role == "Output"]
    assert outputs == ["GV-01-A", "GV-01-B"]
    assert [r.cte for r in sheet.rows if r.tlc == "GV-01-A"] == [
        "Transformation",
        "Inspection",
        "Shipping",
        "Receiving",
        "Sale",
    ]


def test_import_lot_starts_with_the_importers_receiving_and_the_declaration(traced: Traced) -> None:
    sheet = build_spreadsheet(traced.engine, lot="TH-01-A", gtin=OTHER_GTIN)
    assert [kdes(r) for r in sheet.rows] == [
        (
            "Receiving",
            "CTE",
            "",
            "TH-01",
            WHOLESALER,
            300,
            "kg (KGM)",
            WHOLESALER,
            "",
            "",
            "foreign shipper in TH (per customs declaration)",
            WHOLESALER,
        ),
        ("Transformation", "CTE", "Input", "TH-01", WHOLESALER, 30, "kg (KGM)", WHOLESALER, "", "", "", ""),
        ("Transformation", "CTE", "Output", "TH-01-A", WHOLESALER, 30, "kg (KGM)", WHOLESALER, "", "", "", ""),
        ("Shipping", "CTE", "", "TH-01-A", WHOLESALER, 30, "kg (KGM)", WHOLESALER, WHOLESALER, STALL_B, "", ""),
        ("Receiving", "CTE", "", "TH-01-A", WHOLESALER, 30, "kg (KGM)", STALL_B, "", "", WHOLESALER, STALL_B),
        ("Sale", "Reference", "", "TH-01-A", WHOLESALER, 1, "kg (KGM)", STALL_B, "", "", "", ""),
    ]
    entry = sheet.rows[0]
    assert (entry.reference_document_type, entry.reference_document_number) == (
        "Customs declaration",
        "310120261000123456",
    )
    assert entry.event_time == CLEARED_AT
    assert entry.document_cid == traced.chain.scenario.documents["declaration"]
    assert entry.hs_code == "08106000"
    assert {r.hs_code for r in sheet.rows[1:]} == {""}  # the HS code is the customs entry's
    assert entry.notes == "import: country of origin TH, entry port CNNGB, cleared by Ningbo Customs (CN-NGB-3100)"
    assert {r.gtin for r in sheet.rows} == {OTHER_GTIN}


def test_merge_lists_every_input_lot_and_one_output(traced: Traced) -> None:
    sheet = build_spreadsheet(traced.engine, lot="SP-01")
    merge = [r for r in sheet.rows if r.cte == "Transformation"]
    assert [(r.transformation_role, r.tlc, r.quantity) for r in merge] == [
        ("Input", "SP-01", 5),
        ("Input", "SP-02", 5),
        ("Output", "SP-M", 10),
    ]
    assert len({r.event_id for r in merge}) == 1
    assert merge[-1].notes == "merge of lots SP-01, SP-02"
    # SP-02 is a co-input of the merge, not in SP-01's lineage: its own harvest is not listed.
    assert [r.cte for r in sheet.rows if r.tlc == "SP-02"] == ["Transformation"]


def test_a_lot_code_used_by_two_gtins(traced: Traced) -> None:
    both = build_spreadsheet(traced.engine, lot="DUP-1")
    assert [(r.cte, r.gtin, r.quantity) for r in both.rows] == [
        ("Harvesting", GTIN, 7),
        ("Initial Packing", GTIN, 7),
        ("Harvesting", OTHER_GTIN, 8),
        ("Initial Packing", OTHER_GTIN, 8),
    ]
    one = build_spreadsheet(traced.engine, lot="DUP-1", gtin=OTHER_GTIN)
    assert [(r.cte, r.gtin, r.quantity) for r in one.rows] == [
        ("Harvesting", OTHER_GTIN, 8),
        ("Initial Packing", OTHER_GTIN, 8),
    ]


def test_time_window_selects_events_recorded_in_it(traced: Traced) -> None:
    day2 = traced.chain.scenario.day2_from
    later = build_spreadsheet(traced.engine, since=day2)
    assert {r.tlc for r in later.rows} == {"TH-01", "TH-01-A"}
    assert len(later.rows) == 6
    earlier = build_spreadsheet(traced.engine, until=day2)
    assert {r.tlc for r in earlier.rows} == {"GV-01", "GV-01-A", "GV-01-B", "SP-01", "SP-02", "SP-M", "DUP-1"}
    assert not {r.tx_hash for r in earlier.rows} & {r.tx_hash for r in later.rows}
    # A lot and a window: the lot's lineage, cut to the window.
    windowed = build_spreadsheet(traced.engine, lot="TH-01-A", since=day2, until=day2 + 3600)
    assert [r.cte for r in windowed.rows] == [r.cte for r in later.rows]
    assert build_spreadsheet(traced.engine, lot="GV-01-A", since=day2).rows == []
    # A window and a GTIN: that product's rows only.
    other = build_spreadsheet(traced.engine, until=day2, gtin=OTHER_GTIN)
    assert {(r.gtin, r.tlc) for r in other.rows} == {(OTHER_GTIN, "DUP-1")}


def test_unknown_lot_and_missing_selection_are_refused(traced: Traced) -> None:
    with pytest.raises(NotFound, match="no batch with lot NOPE"):
        build_spreadsheet(traced.engine, lot="NOPE")
    with pytest.raises(NotFound, match="and GTIN"):
        build_spreadsheet(traced.engine, lot="GV-01-A", gtin=OTHER_GTIN)
    with pytest.raises(ValueError, match="lot code or a time window"):
        build_spreadsheet(traced.engine)
    with pytest.raises(ValueError, match="window is empty"):
        build_spreadsheet(traced.engine, since=10, until=10)
