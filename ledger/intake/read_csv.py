"""CSV: strictly UTF-8 (a byte-order mark, as Excel writes, is allowed), comma-separated
or, when the header has semicolons and no commas (Excel in many European locales),
semicolon-separated."""

from __future__ import annotations

import csv
import io

from ledger.intake.columns import MAX_COLUMNS, MAX_ROWS
from ledger.intake.problems import FileRefused, Problem
from ledger.intake.table import Table, add_row, column_name

#: Physical rows read at most: blank rows are skipped, but not without end.
MAX_PHYSICAL_ROWS = 2 * MAX_ROWS


def read_csv(data: bytes) -> Table:
    """The table in `data`; FileRefused when it is not UTF-8 CSV with a header."""
    text = _decode(data)
    if "\0" in text:
        raise FileRefused([Problem(_row_of(text, text.index("\0")), None, "the file holds a NUL character: not text")])
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    table: Table | None = None
    number = 0
    try:
        for values in reader:
            number += 1
            if number > MAX_PHYSICAL_ROWS or (table is not None and len(table.rows) >= MAX_ROWS and any(values)):
                raise FileRefused([Problem(None, None, f"the file has more than {MAX_ROWS:,} lines")])
            if table is None:
                if not any(v.strip() for v in values):
                    continue
                if len(values) > MAX_COLUMNS:
                    raise FileRefused(
                        [Problem(number, None, f"the header has {len(values)} columns: not a declaration")]
                    )
                table = Table(columns=[column_name(v) for v in values], rows=[], header_row=number)
                continue
            add_row(table, number, values)
    except csv.Error as exc:
        raise FileRefused([Problem(number + 1, None, f"not readable as CSV: {exc}")]) from None
    if table is None:
        raise FileRefused([Problem(None, None, "the file is empty: a header row and one row a line are expected")])
    return table


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data[: exc.start].count(b"\n") + 1
        raise FileRefused(
            [Problem(row, None, f"not UTF-8 text (byte 0x{data[exc.start]:02x}): save the file as CSV UTF-8")]
        ) from None


def _row_of(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1
