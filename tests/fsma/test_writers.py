"""The spreadsheet as CSV and XLSX files, read back with the stdlib csv module and openpyxl."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from ledger.fsma import HEADERS, build_spreadsheet
from ledger.fsma.writers import iso_time
from tests.factories.traceability import HARVESTED_AT
from tests.fsma.conftest import Traced


def test_csv_parses_back_to_the_rows(traced: Traced) -> None:
    sheet = build_spreadsheet(traced.engine, lot="GV-01-A")
    lines = list(csv.reader(io.StringIO(sheet.csv().decode("utf-8"), newline="")))
    assert lines[0] == list(HEADERS.values())
    assert len(lines) == len(sheet.rows) + 1
    for line, row in zip(lines[1:], sheet.rows, strict=True):
        record = dict(zip(HEADERS, line, strict=True))
        assert record["tlc"] == row.tlc
        assert record["cte"] == row.cte
        assert record["quantity"] == ("" if row.quantity is None else str(row.quantity))
        assert record["event_time"] == iso_time(row.event_time)
        assert record["tx_hash"] == row.tx_hash
        assert record["notes"] == row.notes  # commas and parentheses survive quoting
    assert lines[1][list(HEADERS).index("harvest_date")] == "2026-11-24T06:00:00Z" == iso_time(HARVESTED_AT)


def test_xlsx_has_a_frozen_filtered_header_and_date_cells(traced: Traced) -> None:
    sheet = build_spreadsheet(traced.engine, lot="TH-01-A")
    book = load_workbook(io.BytesIO(sheet.xlsx()))
    assert book.sheetnames == ["FSMA 204", "About"]
    table = book["FSMA 204"]
    header = [cell.value for cell in table[1]]
    assert header == list(HEADERS.values())
    assert all(cell.font.bold for cell in table[1])
    assert table.freeze_panes == "A2"
    assert table.auto_filter.ref == f"A1:{get_column_letter(len(HEADERS))}{len(sheet.rows) + 1}"
    assert table.max_row == len(sheet.rows) + 1
    values = [[cell.value for cell in line] for line in table.iter_rows(min_row=2)]
    column = {name: i for i, name in enumerate(HEADERS)}
    assert [v[column["cte"]] for v in values] == [r.cte for r in sheet.rows]
    assert [v[column["tlc"]] for v in values] == [r.tlc for r in sheet.rows]
    assert [v[column["quantity"]] for v in values] == [r.quantity for r in sheet.rows]
    event_time = values[0][column["event_time"]]
    assert isinstance(event_time, datetime)
    assert event_time.strftime("%Y-%m-%dT%H:%M:%SZ") == iso_time(sheet.rows[0].event_time)
    assert values[0][column["reference_document_number"]] == "310120261000123456"
    widths = [table.column_dimensions[letter].width for letter in "ABCDEFGHIJKLMNOPQRSTUVWXY"]
    assert all(8 <= w <= 60 for w in widths)
    assert widths[0] == 60  # event ids are long
    about = {row[0].value: row[1].value for row in book["About"].iter_rows()}
    assert about["Traceability lot code"] == "TH-01-A"
    assert about["Rows"] == str(len(sheet.rows))
    assert about["Current to block"] == str(sheet.as_of_block)


def test_filename_names_the_lot_or_the_window(traced: Traced) -> None:
    assert build_spreadsheet(traced.engine, lot="GV-01-A").filename("csv") == "fsma204-GV-01-A.csv"
    day2 = traced.chain.scenario.day2_from
    name = build_spreadsheet(traced.engine, since=day2).filename("xlsx")
    assert name == f"fsma204-{iso_time(day2)[:10]}.xlsx"
