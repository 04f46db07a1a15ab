"""What an audit can find, as typed records.

::

    Finding
    ├── RowMissing          the chain's logs project a row the database lacks
    ├── RowExtra            the database holds a row no event projects
    ├── RowDifferent        the same key, other values (column: expected, found)
    ├── DocumentTampered    stored bytes hash to another CID than the chain records
    ├── DocumentMissing     the store has no copy of a recorded document (a warning)
    ├── DocumentUnverifiable  the chain records a CID FreshLedger cannot verify (a warning)
    └── SaleWithoutOrigin   a sale's lineage does not reach a harvest or a customs entry

``severity`` is "error" for a mismatch (the audit fails) or "warning" (reported only): a
store without a document is incomplete, not lying.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class Finding:
    kind: ClassVar[str] = "finding"
    severity: ClassVar[str] = "error"

    def message(self) -> str:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: kind, severity, message and the fields."""
        return {"kind": self.kind, "severity": self.severity, "message": self.message(), **_jsonable(asdict(self))}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)


def _key(key: dict[str, Any]) -> str:
    return ", ".join(f"{name}={value}" for name, value in key.items())


@dataclass(frozen=True)
class RowMissing(Finding):
    """Row `key` of `table` follows from the chain's events but is not in the database."""

    kind: ClassVar[str] = "row_missing"
    table: str
    key: dict[str, Any]
    expected: dict[str, Any]

    def message(self) -> str:
        return f"{self.table}: row {_key(self.key)} is on the chain but missing from the database"


@dataclass(frozen=True)
class RowExtra(Finding):
    """Row `key` of `table` is in the database but follows from no event."""

    kind: ClassVar[str] = "row_extra"
    table: str
    key: dict[str, Any]
    found: dict[str, Any]

    def message(self) -> str:
        return f"{self.table}: row {_key(self.key)} is in the database but not on the chain"


@dataclass(frozen=True)
class RowDifferent(Finding):
    """Row `key` of `table` differs: ``differences[column] = (expected, found)``."""

    kind: ClassVar[str] = "row_different"
    table: str
    key: dict[str, Any]
    differences: dict[str, tuple[Any, Any]]

    def message(self) -> str:
        changes = "; ".join(
            f"{c} is {found!r}, the chain says {expected!r}" for c, (expected, found) in self.differences.items()
        )
        return f"{self.table}: row {_key(self.key)} differs: {changes}"


@dataclass(frozen=True)
class DocumentTampered(Finding):
    """The stored bytes of `cid` hash to `actual`."""

    kind: ClassVar[str] = "document_tampered"
    cid: str
    actual: str
    references: tuple[tuple[str, str], ...]  # (batch id, step) naming the document

    def message(self) -> str:
        return f"document {self.cid} ({_steps(self.references)}) was altered: its stored bytes hash to {self.actual}"


@dataclass(frozen=True)
class DocumentMissing(Finding):
    kind: ClassVar[str] = "document_missing"
    severity: ClassVar[str] = "warning"
    cid: str
    references: tuple[tuple[str, str], ...]

    def message(self) -> str:
        return f"document {self.cid} ({_steps(self.references)}) is not in the document store"


@dataclass(frozen=True)
class DocumentUnverifiable(Finding):
    kind: ClassVar[str] = "document_unverifiable"
    severity: ClassVar[str] = "warning"
    cid: str
    references: tuple[tuple[str, str], ...]
    reason: str

    def message(self) -> str:
        return f"document {self.cid} ({_steps(self.references)}) cannot be verified: {self.reason}"


def _steps(references: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{step} of batch {batch_id}" for batch_id, step in references)


@dataclass(frozen=True)
class SaleWithoutOrigin(Finding):
    """Sale `sale_id` of batch `batch_id` comes (in part) from batches that reach no origin."""

    kind: ClassVar[str] = "sale_without_origin"
    sale_id: str
    batch_id: str
    lot: str | None
    orphans: tuple[str, ...]  # batch ids with no parent and no harvest or import
    orphan_lots: tuple[str | None, ...]

    def message(self) -> str:
        lots = ", ".join(lot or batch for lot, batch in zip(self.orphan_lots, self.orphans, strict=True))
        return (
            f"sale {self.sale_id} of lot {self.lot or self.batch_id}: its lineage does not reach a harvest or "
            f"customs entry (stops at {lots})"
        )
