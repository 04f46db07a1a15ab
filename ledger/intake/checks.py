"""The machinery the declaration and harvest-sheet checks share: reading each cell through
its parser while collecting every problem, duplicate lots, and the outcome."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from ledger.intake.columns import Layout
from ledger.intake.problems import Problem
from ledger.intake.state import RecordedDeclaration
from ledger.intake.table import Row, Table, check_columns

T = TypeVar("T")

#: A cell that was reported (its value is unknown); never a value of any field.
INVALID: Any = object()


class AlreadyReported(ValueError):
    """The cell repeats a value already reported on an earlier row (a header field repeated
    on every row): not reported again."""


def once(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """`parse`, remembering each text's outcome: a bad header field repeated on a thousand
    rows is one problem, on the first row it appears."""
    outcomes: dict[str, Any] = {}

    def parse_once(text: str) -> Any:
        if text in outcomes:
            outcome = outcomes[text]
            if isinstance(outcome, ValueError):
                raise AlreadyReported(str(outcome))
            return outcome
        try:
            outcomes[text] = parse(text)
        except ValueError as exc:
            outcomes[text] = exc
            raise
        return outcomes[text]

    return parse_once


DocumentResolver = Callable[[str], str]
"""A document cell to the CID text to record; ValueError saying why not."""


@dataclass(frozen=True)
class Checked(Generic[T]):
    """The outcome of checking a file: the value to record, or every problem.

    ``recorded`` is set when the file's declaration is on the ledger already (the API
    answers 409 naming it).
    """

    value: T | None
    problems: list[Problem]
    recorded: RecordedDeclaration | None = None

    @property
    def ok(self) -> bool:
        return self.value is not None and not self.problems


@dataclass
class Cells:
    """Reads one table's cells through parsers and keeps the problems found."""

    table: Table
    layout: Layout
    problems: list[Problem] = field(default_factory=list)
    _blank_header: set[str] = field(default_factory=set)

    def value(self, row: Row, column: str, parse: Callable[[str], Any]) -> Any:
        """The parsed cell; None when an optional cell is blank; INVALID when reported."""
        if (row.number, column) in self.table.spoiled:
            return INVALID
        text = row.cells.get(column, "").strip()
        if not text:
            if column in self.layout.optional:
                return None
            # A header field left blank on every row is one problem, like any other.
            if column not in self._blank_header:
                self.problems.append(Problem(row.number, column, "the cell is blank"))
            if column in self.layout.header:
                self._blank_header.add(column)
            return INVALID
        try:
            return parse(text)
        except AlreadyReported:
            return INVALID
        except ValueError as exc:
            self.problems.append(Problem(row.number, column, str(exc)))
            return INVALID

    def report(self, row: int | None, column: str | None, reason: str) -> None:
        self.problems.append(Problem(row, column, reason))

    def sorted_problems(self) -> list[Problem]:
        order = {name: i for i, name in enumerate(self.layout.columns)}
        everything = [*self.table.problems, *self.problems]
        return sorted(
            everything, key=lambda p: (p.row or 0, order.get(p.column or "", len(order)), p.column or "", p.reason)
        )


def structure_problems(table: Table, layout: Layout) -> list[Problem]:
    """What keeps the rows from being read at all: the header's columns, no lines."""
    problems = check_columns(table, layout)
    if not problems and not table.rows and not table.problems:
        problems.append(Problem(None, None, f"the {layout.kind} has no lines"))
    return problems


def duplicate_lots(cells: Cells, lots: Iterable[tuple[int, Any, Any]]) -> None:
    """Report each (GTIN, lot) that an earlier row has already: the second batch could not
    be registered."""
    first_row: dict[tuple[str, str], int] = {}
    for row, gtin, lot in lots:
        if gtin is INVALID or lot is INVALID:
            continue
        earlier = first_row.setdefault((gtin, lot), row)
        if earlier != row:
            cells.report(row, "lot", f"lot {lot} of GTIN {gtin} is also on row {earlier}")


def registered_lots(cells: Cells, found: set[tuple[str, str]], lots: Iterable[tuple[int, str, str]]) -> None:
    for row, gtin, lot in lots:
        if (gtin, lot) in found:
            cells.report(row, "lot", f"lot {lot} of GTIN {gtin} is already registered")
