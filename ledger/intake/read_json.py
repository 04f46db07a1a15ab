"""JSON: an array of flat objects, one a line, keyed by the column names; values are text
or whole numbers (null for a blank cell).

The nesting depth is checked before parsing: a file of a million ``[`` would otherwise
drive the parser's recursion through the C stack (the process raises its recursion limit
for py_ecc)."""

from __future__ import annotations

import json
import re
from typing import Any

from ledger.intake.columns import MAX_COLUMNS, MAX_ROWS
from ledger.intake.problems import FileRefused, Problem
from ledger.intake.table import Table, add_row, column_name

#: A declaration is an array of objects of scalars: depth 2.
MAX_DEPTH = 2
#: A string literal, possessive (no backtracking) and running to the end when unterminated, so
#: that a file of many unbalanced quotes costs one pass, not one pass per quote.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*+(?:"|\\?\Z)', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")


def read_json(data: bytes) -> Table:
    """The table in `data`; FileRefused when it is not an array of flat objects."""
    _check_depth(data)
    try:
        document = json.loads(data.decode("utf-8-sig"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise FileRefused([Problem(None, None, f"not JSON: {exc}")]) from None
    if not isinstance(document, list):
        raise FileRefused([Problem(None, None, "a JSON array of objects is expected, one object a line")])
    if len(document) > MAX_ROWS:
        raise FileRefused([Problem(None, None, f"the file has more than {MAX_ROWS:,} lines")])
    columns: list[str] = []
    for item in document:
        for key in item if isinstance(item, dict) else ():
            name = column_name(str(key))
            if name not in columns:
                columns.append(name)
    if len(columns) > MAX_COLUMNS:
        raise FileRefused([Problem(None, None, f"the objects have {len(columns)} different keys: not a declaration")])
    table = Table(columns=columns, rows=[], header_row=None)
    for number, item in enumerate(document, start=1):
        if not isinstance(item, dict):
            table.problems.append(Problem(number, None, "not an object: each line is an object of column: value"))
            continue
        values = dict.fromkeys(columns, "")
        bad: list[tuple[str, str]] = []
        for key, value in item.items():
            name = column_name(str(key))
            text = _text(value)
            if text is None:
                bad.append((name, f"{type(value).__name__} value: text or a whole number is expected"))
            else:
                values[name] = text
        add_row(table, number, [values[c] for c in columns])
        for name, reason in bad:
            table.spoil(number, name, reason)
    return table


def _text(value: Any) -> str | None:
    if value is None:
        return ""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | str):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return None


def _check_depth(data: bytes) -> None:
    structure = _STRING.sub(b"", data)
    if structure.count(b"{") + structure.count(b"[") > MAX_ROWS + 1:
        raise FileRefused([Problem(None, None, f"the file has more than {MAX_ROWS:,} lines")])
    depth = 0
    for match in _BRACKETS.finditer(structure):
        depth += 1 if match.group() in (b"[", b"{") else -1
        if depth > MAX_DEPTH:
            raise FileRefused([Problem(None, None, "nested values: each line is an object of column: value")])


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")
