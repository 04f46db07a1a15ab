"""Two databases, table by table and row by row: the rebuilt one is what the chain says."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ledger.audit.findings import Finding, RowDifferent, RowExtra, RowMissing
from ledger.queries.audit import PROJECTIONS, block_windows, by_block, key_columns, table_rows

if TYPE_CHECKING:
    from sqlalchemy import Engine


#: Rows held in memory per side while comparing a per-event table: the raw event log of a
#: busy chain does not fit in memory twice, so it is compared a block window at a time.
WINDOW_ROWS = 50_000


def compare_projections(expected: Engine, found: Engine) -> tuple[list[Finding], int]:
    """Findings for every row that is missing, extra or different in `found`, and how many
    rows were compared."""
    findings: list[Finding] = []
    compared = 0
    for table in PROJECTIONS:
        # Windows come from the expected side; the last is open-ended, so rows `found` has
        # beyond the chain's last event still turn up (as extra rows).
        windows = block_windows(expected, table, WINDOW_ROWS) if by_block(table) else [None]
        for window in windows:
            rows = (table_rows(expected, table, window), table_rows(found, table, window))
            table_findings, count = _compare_table(table, *rows)
            findings.extend(table_findings)
            compared += count
    return findings, compared


def _compare_table(table: str, expected: dict, found: dict) -> tuple[list[Finding], int]:
    names = key_columns(table)
    return list(_differences(table, names, expected, found)), len(expected.keys() | found.keys())


def _differences(table: str, names: list[str], expected: dict, found: dict) -> Iterator[Finding]:
    for key in sorted(expected.keys() | found.keys()):
        labelled = dict(zip(names, key, strict=True))
        if key not in found:
            yield RowMissing(table, labelled, expected[key])
        elif key not in expected:
            yield RowExtra(table, labelled, found[key])
        else:
            changed = {
                column: (value, found[key].get(column))
                for column, value in expected[key].items()
                if found[key].get(column) != value
            }
            if changed:
                yield RowDifferent(table, labelled, changed)
