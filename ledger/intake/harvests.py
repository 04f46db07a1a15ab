"""A supplier's harvest sheet checked as a whole: every problem at once, or the typed
:class:`HarvestSheet` a chain call takes. One row a harvested lot of the supplier sending
the sheet; no field is shared between rows."""

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
from ledger.intake.columns import HARVEST_SHEET
from ledger.intake.state import LedgerState
from ledger.intake.table import Table


@dataclass(frozen=True)
class SheetLot:
    gtin: str
    lot: str
    quantity: int
    unit: str
    harvested_at: int
    origin: str
    document_cid: str | None
    row: int


@dataclass(frozen=True)
class HarvestSheet:
    """A supplier's harvested lots in the order of the sheet."""

    lots: tuple[SheetLot, ...]


def check_harvest_sheet(
    table: Table,
    state: LedgerState,
    *,
    now: int | None = None,
    documents: DocumentResolver = parse.cid,
) -> Checked[HarvestSheet]:
    """Check every row of `table` as a harvested lot against `state`."""
    layout = HARVEST_SHEET
    structural = structure_problems(table, layout)
    if structural:
        return Checked(None, [*table.problems, *structural])
    clock = int(time.time()) if now is None else now
    cells = Cells(table, layout)
    document = once(documents)
    rows: list[tuple[int, dict[str, Any]]] = []
    for row in table.rows:
        values = {
            "gtin": cells.value(row, "gtin", parse.gtin),
            "lot": cells.value(row, "lot", parse.lot),
            "quantity": cells.value(row, "quantity", parse.quantity),
            "unit": cells.value(row, "unit", parse.unit),
            "harvested_at": cells.value(row, "harvested_at", lambda text: parse.moment(text, clock)),
            "origin": cells.value(row, "origin", parse.text),
            "document_cid": cells.value(row, "document", document),
        }
        rows.append((row.number, values))
    duplicate_lots(cells, ((n, v["gtin"], v["lot"]) for n, v in rows))
    keys = [(n, v["gtin"], v["lot"]) for n, v in rows if v["gtin"] is not INVALID and v["lot"] is not INVALID]
    registered_lots(cells, state.registered_lots({(g, lot) for _, g, lot in keys}), keys)
    problems = cells.sorted_problems()
    if problems:
        return Checked(None, problems)
    return Checked(HarvestSheet(tuple(SheetLot(**v, row=n) for n, v in rows)), [])
