"""Two databases, table by table and row by row: the rebuilt one is what the chain says."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ledger.audit.findings import Finding, RowDifferent, RowExtra, RowMissing
from ledger.queries.audit import PROJECTIONS, key_columns, table_rows

if TYPE_CHECKING:
    from sqlalchemy import Engine


def compare_projections(expected: Engine, found: Engine) -> tuple[list[Finding], int]:
    """Findings for every row that is missing, extra or different in `found`, and how many
    rows were compared."""
    findings: list[Finding] = []
    compared = 0
    for table in PROJECTIONS:
        table_findings, rows = _compare_table(table, table_rows(expected, table), table_rows(found, table))
        findings.extend(table_findings)
        compared += rows
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
