"""check_harvest_sheet(): a supplier's sheet, every lot checked, in every format."""

from __future__ import annotations

import pytest

from ledger.intake import check_harvest_sheet, read_table
from tests.factories.intake import NOW, MemoryState, encode, harvest_rows


@pytest.mark.parametrize("file_format", ["csv", "xlsx", "json"])
def test_check_harvest_sheet_gives_the_lots(file_format: str) -> None:
    checked = check_harvest_sheet(read_table(encode(harvest_rows(3), file_format), file_format), MemoryState(), now=NOW)
    assert checked.ok, checked.problems
    lots = checked.value.lots
    assert [(lot.lot, lot.quantity, lot.unit, lot.origin) for lot in lots] == [
        ("GV-00001", 50, "KGM", "geo:30.2336,119.7248"),
        ("GV-00002", 100, "KGM", "geo:30.2336,119.7248"),
        ("GV-00003", 150, "KGM", "geo:30.2336,119.7248"),
    ]
    assert lots[0].harvested_at == 1_795_467_600 and lots[0].gtin == "06901234000016"


def test_check_harvest_sheet_reports_every_problem() -> None:
    rows = harvest_rows(6)
    rows[0]["gtin"] = "06901234000017"
    rows[1]["harvested_at"] = "2099-06-01"
    rows[2]["origin"] = "   "
    rows[3]["unit"] = "kg"
    rows[4]["lot"] = rows[5]["lot"]
    rows[5]["document"] = "bafy-not-a-cid"
    state = MemoryState(lots={("06901234000016", "GV-00004")})
    checked = check_harvest_sheet(read_table(encode(rows, "csv"), "csv"), state, now=NOW)
    assert [(p.row, p.column) for p in checked.problems] == [
        (2, "gtin"),
        (3, "harvested_at"),
        (4, "origin"),
        (5, "lot"),
        (5, "unit"),
        (7, "lot"),
        (7, "document"),
    ]
    reasons = {(p.row, p.column): p.reason for p in checked.problems}
    assert reasons[(5, "lot")] == "lot GV-00004 of GTIN 06901234000016 is already registered"
    assert reasons[(7, "lot")] == "lot GV-00006 of GTIN 06901234000016 is also on row 6"
    assert checked.value is None


def test_check_harvest_sheet_refuses_declaration_columns() -> None:
    rows = harvest_rows(1)
    rows[0]["hs_code"] = "0810600000"
    checked = check_harvest_sheet(read_table(encode(rows, "csv"), "csv"), MemoryState(), now=NOW)
    assert [(p.row, p.column) for p in checked.problems] == [(1, "hs_code")]
    assert "not a column of a harvest sheet" in checked.problems[0].reason
