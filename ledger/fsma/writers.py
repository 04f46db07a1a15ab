"""The spreadsheet as files: CSV (stdlib) and XLSX (openpyxl), both sortable.

CSV dates are ISO 8601 in UTC (``2026-11-25T08:00:00Z``), which sort as text. The XLSX has
a bold, frozen header row with an autofilter over every column, real date cells, column
widths that fit the content, and a second sheet saying what the file answers (lot or time
range, the block the data is current to) as FSMA 204 asks for "any other information needed
to understand the information in the spreadsheet".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import astuple
from datetime import UTC, datetime
from typing import Any, TextIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ledger.fsma.rows import HEADERS, TIME_FIELDS, FsmaRow

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_TITLE = "FSMA 204"
DATE_FORMAT = "yyyy-mm-dd hh:mm:ss"
#: Columns are sized to their longest value, within these bounds (in characters).
MIN_WIDTH, MAX_WIDTH = 8, 60

_TIME_COLUMNS = {list(HEADERS).index(name) for name in TIME_FIELDS}


def iso_time(seconds: int | None) -> str:
    """Unix seconds as ISO 8601 UTC text (empty for None)."""
    if seconds is None:
        return ""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _csv_values(row: FsmaRow) -> list[Any]:
    return [
        iso_time(value) if i in _TIME_COLUMNS else ("" if value is None else value)
        for i, value in enumerate(astuple(row))
    ]


def write_csv(rows: Iterable[FsmaRow], stream: TextIO) -> None:
    """The header and one line per row to `stream` (RFC 4180 quoting, CRLF line ends)."""
    writer = csv.writer(stream)
    writer.writerow(HEADERS.values())
    for row in rows:
        writer.writerow(_csv_values(row))


def csv_bytes(rows: Iterable[FsmaRow]) -> bytes:
    """The CSV file as UTF-8 bytes."""
    buffer = io.StringIO(newline="")
    write_csv(rows, buffer)
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(rows: list[FsmaRow], about: dict[str, str] | None = None) -> bytes:
    """The XLSX workbook: the rows on sheet "FSMA 204", `about` (what was asked) on "About"."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET_TITLE)
    widths = _widths(rows)
    # Write-only sheets take dimensions, panes and filters before the first row is written.
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(HEADERS))}{len(rows) + 1}"
    bold = Font(bold=True)
    header = []
    for title in HEADERS.values():
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        values: list[Any] = list(astuple(row))
        for i in _TIME_COLUMNS:
            if values[i] is not None:
                cell = WriteOnlyCell(sheet, value=datetime.fromtimestamp(values[i], UTC).replace(tzinfo=None))
                cell.number_format = DATE_FORMAT
                values[i] = cell
        sheet.append(values)
    notes = book.create_sheet("About")
    notes.column_dimensions["A"].width = 28
    notes.column_dimensions["B"].width = 100
    for key, value in (about or {}).items():
        notes.append([key, value])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _widths(rows: list[FsmaRow]) -> list[float]:
    longest = [len(title) for title in HEADERS.values()]
    for row in rows:
        for i, value in enumerate(_csv_values(row)):
            longest[i] = max(longest[i], len(str(value)))
    return [float(min(max(n + 2, MIN_WIDTH), MAX_WIDTH)) for n in longest]
