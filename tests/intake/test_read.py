"""read_table(): bounds before parsing (size, rows, cells, an XLSX's inflated size, JSON
depth), strict UTF-8 with an optional BOM, and what spreadsheets do to numbers."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from openpyxl import Workbook

from ledger.intake import FileRefused, check_declaration, read_table
from ledger.intake.columns import DECLARATION, MAX_CELL_CHARS, MAX_FILE_BYTES, MAX_ROWS, MAX_XLSX_UNCOMPRESSED_BYTES
from ledger.intake.read import UnknownFormat, format_of_media_type, format_of_name
from tests.factories.intake import NOW, MemoryState, as_csv, as_json, as_xlsx, declaration_rows


def refusal(data: bytes, file_format: str) -> str:
    with pytest.raises(FileRefused) as raised:
        read_table(data, file_format)
    return str(raised.value)


def test_read_csv_with_and_without_bom_is_the_same_table() -> None:
    rows = declaration_rows(3)
    plain, marked = read_table(as_csv(rows), "csv"), read_table(as_csv(rows, bom=True), "csv")
    assert plain.columns == marked.columns == list(DECLARATION.columns)
    assert [r.cells for r in plain.rows] == [r.cells for r in marked.rows]


def test_read_csv_semicolons_as_excel_writes_them_in_europe() -> None:
    table = read_table(as_csv(declaration_rows(2), delimiter=";"), "csv")
    assert table.columns == list(DECLARATION.columns)
    assert check_declaration(table, MemoryState(), now=NOW).ok


def test_read_csv_keeps_utf8_text() -> None:
    rows = declaration_rows(1, entry_port="宁波港 CNNGB")
    assert read_table(as_csv(rows), "csv").rows[0].cells["entry_port"] == "宁波港 CNNGB"


def test_read_csv_refuses_other_encodings_naming_the_row() -> None:
    data = as_csv(declaration_rows(3, entry_port="Ningbo 港")).decode().encode("gb18030")
    assert "row 2: not UTF-8 text" in refusal(data, "csv")
    assert "not UTF-8" in refusal("declaration_number\nÄ\n".encode("latin-1"), "csv")


def test_read_csv_refuses_nul_and_broken_quotes() -> None:
    assert "NUL" in refusal(as_csv(declaration_rows(1)) + b"\0", "csv")
    assert "not readable as CSV" in refusal(as_csv(declaration_rows(1)) + b'"unterminated,\r\n', "csv")


def test_read_skips_blank_rows_but_keeps_row_numbers() -> None:
    data = as_csv(declaration_rows(2)).replace(b"\r\n", b"\r\n,,,\r\n\r\n", 1)
    table = read_table(data, "csv")
    assert [r.number for r in table.rows] == [4, 5]


def test_read_refuses_more_than_the_row_cap() -> None:
    rows = declaration_rows(1) * (MAX_ROWS + 1)
    assert f"more than {MAX_ROWS:,} lines" in refusal(as_csv(rows), "csv")
    assert f"more than {MAX_ROWS:,} lines" in refusal(as_json(rows), "json")
    assert len(read_table(as_csv(declaration_rows(1) * MAX_ROWS), "csv").rows) == MAX_ROWS


def test_read_refuses_a_file_over_the_size_cap_before_parsing() -> None:
    assert "at most" in refusal(b"x" * (MAX_FILE_BYTES + 1), "csv")
    assert "empty" in refusal(b"  \r\n", "csv")


def test_read_reports_a_cell_over_the_length_cap_and_checks_it_no_further() -> None:
    rows = declaration_rows(2)
    rows[1]["lot"] = "L" * (MAX_CELL_CHARS + 1)
    checked = check_declaration(read_table(as_csv(rows), "csv"), MemoryState(), now=NOW)
    assert [(p.row, p.column, p.reason) for p in checked.problems] == [
        (3, "lot", f"the cell holds {MAX_CELL_CHARS + 1} characters, at most {MAX_CELL_CHARS} are read")
    ]


def test_read_reports_values_beyond_the_last_column() -> None:
    data = as_csv(declaration_rows(1)).rstrip(b"\r\n") + b",surplus\r\n"
    checked = check_declaration(read_table(data, "csv"), MemoryState(), now=NOW)
    assert [(p.row, p.reason) for p in checked.problems] == [(2, "a value beyond the last column: 'surplus'")]


# ------------------------------------------------------------------ XLSX


def test_read_xlsx_restores_leading_zeros_of_numeric_gtin_and_hs_code() -> None:
    rows: list[dict[str, object]] = declaration_rows(2)  # type: ignore[assignment]
    rows[0].update(gtin=8850000000010, hs_code=81060, quantity=300, line=1)
    rows[1].update(gtin=8850000000027.0, hs_code=8109020, quantity=12.0, line=2.0)
    checked = check_declaration(read_table(as_xlsx(rows), "xlsx"), MemoryState(), now=NOW)
    assert checked.ok, checked.problems
    assert [(line.gtin, line.hs_code, line.quantity) for line in checked.value.lines] == [
        ("08850000000010", "081060", 300),
        ("08850000000027", "08109020", 12),
    ]


def test_read_xlsx_date_cells_are_utc_and_long_numbers_are_reported() -> None:
    from datetime import datetime

    rows: list[dict[str, object]] = declaration_rows(2)  # type: ignore[assignment]
    for row in rows:
        row["cleared_at"] = datetime(2026, 11, 24, 1, 30)
    rows[1]["declaration_number"] = 310120261000123456  # Excel keeps 15 significant digits
    checked = check_declaration(read_table(as_xlsx(rows), "xlsx"), MemoryState(), now=NOW)
    assert [(p.row, p.column) for p in checked.problems] == [(3, "declaration_number")]
    assert "format the column as text" in checked.problems[0].reason
    rows[1]["declaration_number"] = rows[0]["declaration_number"]
    assert (
        check_declaration(read_table(as_xlsx(rows), "xlsx"), MemoryState(), now=NOW).value.cleared_at == 1_795_483_800
    )


def test_read_xlsx_reports_formulas() -> None:
    rows: list[dict[str, object]] = declaration_rows(2)  # type: ignore[assignment]
    rows[1]["quantity"] = "=A1*2"
    checked = check_declaration(read_table(as_xlsx(rows), "xlsx"), MemoryState(), now=NOW)
    assert [(p.row, p.column) for p in checked.problems] == [(3, "quantity")]
    assert "formula" in checked.problems[0].reason


def test_read_xlsx_refuses_a_zip_bomb_by_its_inflated_size() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (MAX_XLSX_UNCOMPRESSED_BYTES + 1))
    bomb = buffer.getvalue()
    assert len(bomb) < 100_000  # kilobytes that inflate past the bound
    assert "inflates to" in refusal(bomb, "xlsx")


def test_read_xlsx_refuses_what_is_not_a_workbook() -> None:
    assert "not a zip archive" in refusal(as_csv(declaration_rows(1)), "xlsx")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", b"hello")
    assert "not a readable XLSX workbook" in refusal(buffer.getvalue(), "xlsx")


def test_read_xlsx_reads_the_first_sheet() -> None:
    workbook = Workbook()
    workbook.active.append(list(DECLARATION.columns))
    workbook.active.append([declaration_rows(1)[0][c] or None for c in DECLARATION.columns])
    workbook.create_sheet("notes").append(["anything"])
    out = io.BytesIO()
    workbook.save(out)
    assert check_declaration(read_table(out.getvalue(), "xlsx"), MemoryState(), now=NOW).ok


# ------------------------------------------------------------------ JSON


def test_read_json_refuses_deep_nesting_before_parsing() -> None:
    assert "nested values" in refusal(b"[" * 5_000 + b"]" * 5_000, "json")
    assert "more than 10,000 lines" in refusal(b"[" * 1_000_000 + b"]" * 1_000_000, "json")
    assert "nested values" in refusal(json.dumps([{"gtin": {"a": 1}}]).encode(), "json")


def test_read_json_brackets_inside_strings_are_text() -> None:
    rows = declaration_rows(1, entry_port="[[[{{{ CNNGB")
    assert read_table(as_json(rows), "json").rows[0].cells["entry_port"] == "[[[{{{ CNNGB"


def test_read_json_shape_and_values() -> None:
    assert "a JSON array of objects" in refusal(b'{"rows": 1}', "json")
    assert "not JSON" in refusal(b"[NaN]", "json")
    rows: list[dict[str, object]] = declaration_rows(3)  # type: ignore[assignment]
    rows[0]["quantity"] = 101
    rows[1]["quantity"] = True
    rows[2]["document"] = None
    checked = check_declaration(read_table(as_json([*rows, 7]), "json"), MemoryState(), now=NOW)
    assert [(p.row, p.column, p.reason) for p in checked.problems] == [
        (2, "quantity", "bool value: text or a whole number is expected"),
        (4, None, "not an object: each line is an object of column: value"),
    ]


# ------------------------------------------------------------------ formats


def test_format_of_media_type_and_name() -> None:
    assert format_of_media_type("text/csv; charset=utf-8") == "csv"
    assert format_of_media_type("application/json") == "json"
    assert format_of_media_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet") == "xlsx"
    assert format_of_name("Declaration.XLSX") == "xlsx"
    with pytest.raises(UnknownFormat, match="not a declaration format"):
        format_of_media_type("application/pdf")
    with pytest.raises(UnknownFormat):
        format_of_name("declaration.ods")
