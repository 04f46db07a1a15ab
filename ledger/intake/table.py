"""A file read as a table of text cells, before any field is checked."""

from __future__ import annotations

from dataclasses import dataclass, field

from ledger.intake.columns import MAX_CELL_CHARS, Layout
from ledger.intake.problems import Problem, shown


@dataclass(frozen=True)
class Row:
    """One line of the file: its spreadsheet row number and its cells by column name."""

    number: int
    cells: dict[str, str]


@dataclass
class Table:
    """The header's columns (as written, in order) and the non-blank rows.

    ``problems`` holds what the reader found wrong with single cells (a formula, a number
    that lost digits); the checks add theirs.
    """

    columns: list[str]
    rows: list[Row]
    header_row: int | None = 1
    problems: list[Problem] = field(default_factory=list)
    #: Cells already reported (row number, column): the field checks pass over them.
    spoiled: set[tuple[int, str]] = field(default_factory=set)

    def spoil(self, row: int, column: str, reason: str) -> None:
        """Report the cell and keep the field checks off it."""
        self.problems.append(Problem(row, column, reason))
        self.spoiled.add((row, column))


def column_name(text: str) -> str:
    """A header cell as a column name: case, spaces and hyphens do not matter
    ("Declaration Number" is declaration_number)."""
    return "_".join(text.strip().lower().replace("-", " ").split())


def check_columns(table: Table, layout: Layout) -> list[Problem]:
    """Unknown, repeated and missing columns; each one a problem of the header row."""
    problems = []
    seen: set[str] = set()
    for name in table.columns:
        if name not in layout.columns:
            problems.append(
                Problem(
                    table.header_row,
                    name or None,
                    f"{shown(name)} is not a column of a {layout.kind}; the columns are {', '.join(layout.columns)}",
                )
            )
        elif name in seen:
            problems.append(Problem(table.header_row, name, "the column appears twice"))
        seen.add(name)
    for name in layout.required:
        if name not in seen:
            problems.append(Problem(table.header_row, name, "the column is missing"))
    return problems


def add_row(table: Table, number: int, values: list[str]) -> None:
    """Append the row of `values` (in header order) unless every cell is blank; a cell longer
    than any field may be, or a value beyond the last column, is reported."""
    if not any(v.strip() for v in values):
        return
    cells: dict[str, str] = {}
    for position, value in enumerate(values):
        if position >= len(table.columns):
            if value.strip():
                table.problems.append(Problem(number, None, f"a value beyond the last column: {shown(value)}"))
            continue
        name = table.columns[position]
        cells.setdefault(name, value)
        if len(value) > MAX_CELL_CHARS:
            table.spoil(number, name, f"the cell holds {len(value)} characters, at most {MAX_CELL_CHARS} are read")
    table.rows.append(Row(number, cells))
