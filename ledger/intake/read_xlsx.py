"""XLSX (openpyxl): the first worksheet, its first non-blank row the header.

The zip is inspected before openpyxl opens it: a few kilobytes can inflate to gigabytes (a
zip bomb), so the parts' declared uncompressed sizes are added up first; Python's zipfile
never inflates a part past its declared size (a lying size fails the CRC check instead).

Spreadsheets keep numbers and dates as such. A number in a text column (a GTIN, an HS code)
has lost its leading zeros: a GTIN is padded back to 14 digits (zeros in front do not change
its check digit) and an HS code to an even length (HS codes have 6, 8 or 10 digits); a number
Excel keeps only to 15 digits (an 18-digit declaration number) cannot be trusted and is
reported. A date cell without a time zone is taken as UTC.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime, time
from typing import Any

from ledger.intake.columns import MAX_COLUMNS, MAX_ROWS, MAX_XLSX_PARTS, MAX_XLSX_UNCOMPRESSED_BYTES
from ledger.intake.problems import FileRefused, Problem
from ledger.intake.read_csv import MAX_PHYSICAL_ROWS
from ledger.intake.table import Table, add_row, column_name

#: Above this a float is not an exact whole number (IEEE double precision).
EXACT_LIMIT = 2**53
_PADDED = {
    "gtin": lambda digits: digits.zfill(14),
    "hs_code": lambda digits: digits.zfill(len(digits) + len(digits) % 2),
}


def read_xlsx(data: bytes) -> Table:
    """The table in the first worksheet of `data`; FileRefused when it is not a bounded XLSX."""
    _check_zip(data)
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds (KeyError, InvalidFileException, ...)
        raise FileRefused([Problem(None, None, f"not a readable XLSX workbook: {exc}")]) from None
    try:
        if not workbook.worksheets:
            raise FileRefused([Problem(None, None, "the workbook has no worksheet")])
        return _read_sheet(workbook.worksheets[0])
    finally:
        workbook.close()


def _read_sheet(sheet: Any) -> Table:
    table: Table | None = None
    for number, values in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True), start=1):
        if number > MAX_PHYSICAL_ROWS or (
            table is not None and len(table.rows) >= MAX_ROWS and any(v is not None for v in values)
        ):
            raise FileRefused([Problem(None, None, f"the sheet has more than {MAX_ROWS:,} lines")])
        if table is None:
            if all(v is None or not str(v).strip() for v in values):
                continue
            if len(values) > MAX_COLUMNS and values[-1] is not None:
                raise FileRefused(
                    [Problem(number, None, f"the header has more than {MAX_COLUMNS} columns: not a declaration")]
                )
            names = [column_name(str(v)) if v is not None else "" for v in values]
            while names and not names[-1]:
                names.pop()
            table = Table(columns=names, rows=[], header_row=number)
            continue
        texts = []
        spoiled = []
        for position, value in enumerate(values):
            column = table.columns[position] if position < len(table.columns) else ""
            text, reason = _cell_text(column, value)
            texts.append(text)
            if reason:
                spoiled.append((column, reason))
        before = len(table.rows)
        add_row(table, number, texts)
        if len(table.rows) > before:
            for column, reason in spoiled:
                table.spoil(number, column, reason)
    if table is None:
        raise FileRefused([Problem(None, None, "the sheet is empty: a header row and one row a line are expected")])
    return table


def _cell_text(column: str, value: Any) -> tuple[str, str | None]:
    """The cell as text, and why it cannot be trusted (None when it can)."""
    if value is None:
        return "", None
    if isinstance(value, bool):
        return str(value), "a TRUE/FALSE cell: a value is expected"
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.isoformat(), None
    if isinstance(value, date):
        return datetime.combine(value, time(), UTC).isoformat(), None
    if isinstance(value, float):
        if not value.is_integer():
            return repr(value), None  # the field check says why a fraction is wrong here
        if abs(value) >= EXACT_LIMIT:
            return f"{value:.0f}", "a number too long for a spreadsheet to keep exactly: format the column as text"
        value = int(value)
    if isinstance(value, int):
        digits = str(value)
        if abs(value) >= 10**15:
            return digits, "a number with more than 15 digits, which spreadsheets round: format the column as text"
        pad = _PADDED.get(column)
        return (pad(digits) if pad and value >= 0 else digits), None
    text = str(value)
    if text.startswith("="):
        return text, "a formula: the file must hold values (paste as values)"
    return text, None


def _check_zip(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise FileRefused([Problem(None, None, "not an XLSX workbook (not a zip archive)")]) from None
    with archive:
        parts = archive.infolist()
        if len(parts) > MAX_XLSX_PARTS:
            raise FileRefused([Problem(None, None, f"the workbook has {len(parts)} parts: not a declaration")])
        inflated = sum(part.file_size for part in parts)
        if inflated > MAX_XLSX_UNCOMPRESSED_BYTES:
            raise FileRefused(
                [
                    Problem(
                        None,
                        None,
                        f"the workbook inflates to {inflated:,} bytes, more than {MAX_XLSX_UNCOMPRESSED_BYTES:,}",
                    )
                ]
            )
