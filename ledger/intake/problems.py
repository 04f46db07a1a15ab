"""What is wrong with a file: every problem at once, each with its row, column and reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.errors import FileRefused

__all__ = ["FileRefused", "Problem", "shown"]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a file.

    ``row`` is the spreadsheet row (the header is row 1, the first line row 2; in a JSON
    array the first object is row 1); None for the file as a whole. ``column`` is None when
    the problem is not one cell's.
    """

    row: int | None
    column: str | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "reason": self.reason}

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(self.column)
        return f"{', '.join(where)}: {self.reason}" if where else self.reason


def shown(value: object, limit: int = 40) -> str:
    """A cell's value quoted for a message, cut to `limit` characters."""
    text = str(value)
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")
