"""A customs declaration file checked as a whole: every problem at once, or the typed
:class:`DeclarationFile` a chain call takes.

Example::

    table = read_table(Path("declaration.csv").read_bytes(), "csv")
    checked = check_declaration(table, state)
    if not checked.ok:
        for problem in checked.problems:
            print(problem)            # row 4, gtin: '08850000000011' has a wrong check digit: ...
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ledger.intake import cells as parse
from ledger.intake.checks import (
    INVALID,
    Cells,
    Checked,
    DocumentResolver,
    duplicate_lots,
    once,
    registered_lots,
    structure_problems,
)
from ledger.intake.columns import DECLARATION
from ledger.intake.problems import shown
from ledger.intake.state import LedgerState, RecordedDeclaration, importer_address
from ledger.intake.table import Table


@dataclass(frozen=True)
class DeclarationFileLine:
    """One line (item) of a declaration: one imported lot, a batch once recorded."""

    line: int
    gtin: str
    lot: str
    quantity: int
    unit: str
    origin_country: str
    hs_code: str
    #: The row of the file it came from, to name it when the chain refuses the line.
    row: int


@dataclass(frozen=True)
class DeclarationFile:
    """A customs declaration: its own fields once, its lines in line-number order."""

    number: str
    entry_port: str
    cleared_at: int
    importer: str
    document_cid: str | None
    lines: tuple[DeclarationFileLine, ...]


def check_declaration(
    table: Table,
    state: LedgerState,
    *,
    now: int | None = None,
    documents: DocumentResolver = parse.cid,
) -> Checked[DeclarationFile]:
    """Check every row of `table` as a declaration against `state`.

    `documents` turns the document cell into a CID (the CLI also takes a file's path);
    `now` (Unix seconds) bounds the clearance date.
    """
    layout = DECLARATION
    structural = structure_problems(table, layout)
    if structural:
        return Checked(None, [*table.problems, *structural])
    clock = int(time.time()) if now is None else now
    cells = Cells(table, layout)
    parsers = {
        "declaration_number": once(parse.text),
        "entry_port": once(parse.text),
        "cleared_at": once(lambda text: parse.moment(text, clock)),
        "importer": once(lambda reference: importer_address(state, reference)),
        "document": once(documents),
    }
    header: dict[str, tuple[int, Any, str]] = {}
    lines: list[tuple[int, dict[str, Any]]] = []
    for row in table.rows:
        values: dict[str, Any] = {}
        for column in layout.header:
            value = cells.value(row, column, parsers[column])
            values[column] = value
            if value is INVALID:
                continue
            first = header.setdefault(column, (row.number, value, row.cells.get(column, "").strip()))
            if first[1] != value:
                cells.report(
                    row.number, column, f"differs from row {first[0]} ({shown(first[2])}): a file holds one declaration"
                )
        values["line"] = cells.value(row, "line", parse.line)
        values["gtin"] = cells.value(row, "gtin", parse.gtin)
        values["lot"] = cells.value(row, "lot", parse.lot)
        values["quantity"] = cells.value(row, "quantity", parse.quantity)
        values["unit"] = cells.value(row, "unit", parse.unit)
        values["origin_country"] = cells.value(row, "origin_country", parse.country)
        values["hs_code"] = cells.value(row, "hs_code", parse.hs_code)
        lines.append((row.number, values))

    _check_line_numbers(cells, lines)
    duplicate_lots(cells, ((number, v["gtin"], v["lot"]) for number, v in lines))
    number = header.get("declaration_number", (0, None, ""))[1]
    recorded = state.declaration(number) if number is not None else None
    keys = [(n, v["gtin"], v["lot"]) for n, v in lines if v["gtin"] is not INVALID and v["lot"] is not INVALID]
    if recorded is None:
        registered_lots(cells, state.registered_lots({(g, lot) for _, g, lot in keys}), keys)
    elif recorded.complete:
        cells.report(
            None,
            "declaration_number",
            f"declaration {recorded.number} is already recorded (block {recorded.block_number}, "
            f"transaction {recorded.tx_hash}, {recorded.lines} lines)",
        )
    else:
        keys = _continuing(cells, recorded, lines, keys)
        registered_lots(cells, state.registered_lots({(g, lot) for _, g, lot in keys}), keys)
        recorded = None  # the file finishes it: no conflict
    problems = cells.sorted_problems()
    if problems:
        return Checked(None, problems, recorded)
    declaration = DeclarationFile(
        number=header["declaration_number"][1],
        entry_port=header["entry_port"][1],
        cleared_at=header["cleared_at"][1],
        importer=header["importer"][1],
        document_cid=header.get("document", (0, None, ""))[1],
        lines=tuple(
            sorted(
                (
                    DeclarationFileLine(
                        line=v["line"],
                        gtin=v["gtin"],
                        lot=v["lot"],
                        quantity=v["quantity"],
                        unit=v["unit"],
                        origin_country=v["origin_country"],
                        hs_code=v["hs_code"],
                        row=n,
                    )
                    for n, v in lines
                ),
                key=lambda line: line.line,
            )
        ),
    )
    return Checked(declaration, [])


def _check_line_numbers(cells: Cells, lines: list[tuple[int, dict[str, Any]]]) -> None:
    """Line numbers are unique and run 1 to N (in any order of rows)."""
    seen: dict[int, int] = {}
    for row, values in lines:
        number = values["line"]
        if number is INVALID:
            continue
        earlier = seen.setdefault(number, row)
        if earlier != row:
            cells.report(row, "line", f"line {number} is also on row {earlier}")
    if len(seen) == len(lines):
        missing = sorted(set(range(1, len(lines) + 1)) - set(seen))
        if missing:
            listed = ", ".join(str(n) for n in missing[:10]) + (" ..." if len(missing) > 10 else "")
            cells.report(None, "line", f"the lines are numbered 1 to {len(lines)}; missing: {listed}")


def _continuing(
    cells: Cells,
    recorded: RecordedDeclaration,
    lines: list[tuple[int, dict[str, Any]]],
    keys: list[tuple[int, str, str]],
) -> list[tuple[int, str, str]]:
    """Check a file against the part of its declaration already recorded (a recording that
    stopped between its calls): the same number of lines, the same lots on the recorded
    lines. Returns the lots still to check, those of the lines not yet recorded."""
    where = f"declaration {recorded.number} is partly recorded ({recorded.lines} of {recorded.line_count} lines)"
    if recorded.line_count != len(lines):
        cells.report(
            None, "line", f"{where}; the file that finishes it has {recorded.line_count} lines, this one {len(lines)}"
        )
    rows = {row: values["line"] for row, values in lines}
    known = min(recorded.lines, len(recorded.lots))
    pending = []
    for row, gtin, lot in keys:
        number = rows[row]
        if number is INVALID or number > known:
            pending.append((row, gtin, lot))
            continue
        was_gtin, was_lot = recorded.lots[number - 1]
        if (was_gtin, was_lot) != (gtin, lot):
            cells.report(row, "lot", f"{where}; its line {number} is lot {was_lot} of GTIN {was_gtin}")
    return pending
