"""Audit: is the database what the chain says, are the documents what the chain recorded,
and does every sale come from a farm or a customs entry?

1. Rebuild every projection from the chain's logs into a fresh temporary database with the
   indexer itself (:mod:`ledger.audit.rebuild`), up to the audited database's checkpoint,
   and compare the two table by table, row by row (:mod:`ledger.audit.compare`).
2. Re-hash every document the chain references from the document store
   (:mod:`ledger.audit.documents`).
3. Walk every sale's lineage back to a harvest or an import (:mod:`ledger.audit.origins`).

The audited database is only read; the chain is only read. Example::

    report = audit(engine, rpc_url=url, source=source, documents=open_store())
    report.clean          # False on any mismatch
    report.findings       # typed records (ledger.audit.findings)
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ledger.audit.compare import compare_projections
from ledger.audit.documents import check_documents
from ledger.audit.findings import (
    DocumentMissing,
    DocumentTampered,
    DocumentUnverifiable,
    Finding,
    RowDifferent,
    RowExtra,
    RowMissing,
    SaleWithoutOrigin,
)
from ledger.audit.origins import check_origins
from ledger.audit.rebuild import rebuild
from ledger.documents import DocumentStore
from ledger.indexer.sync import Source
from ledger.queries.audit import document_references
from ledger.store.writer import IndexStore

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = [
    "AuditReport",
    "DocumentMissing",
    "DocumentTampered",
    "DocumentUnverifiable",
    "Finding",
    "RowDifferent",
    "RowExtra",
    "RowMissing",
    "SaleWithoutOrigin",
    "audit",
]


@dataclass(frozen=True)
class AuditReport:
    """The findings and what was checked."""

    findings: list[Finding]
    as_of_block: int | None  # the audited database's checkpoint: the rebuild stopped there
    rows_compared: int
    documents_checked: int

    @property
    def clean(self) -> bool:
        """True when nothing is wrong (warnings allowed)."""
        return not any(f.severity == "error" for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "clean": self.clean,
            "as_of_block": self.as_of_block,
            "rows_compared": self.rows_compared,
            "documents_checked": self.documents_checked,
            "errors": sum(f.severity == "error" for f in self.findings),
            "warnings": sum(f.severity == "warning" for f in self.findings),
            "findings": [f.to_dict() for f in self.findings],
        }


def audit(engine: Engine, *, rpc_url: str, source: Source, documents: DocumentStore) -> AuditReport:
    """Audit the database behind `engine` against the contract `source` on the node at
    `rpc_url` and the documents in `documents`."""
    checkpoint = IndexStore(engine).checkpoint()
    up_to = None if checkpoint is None else checkpoint.block_number
    with tempfile.TemporaryDirectory(prefix="freshledger-audit-") as folder:
        rebuilt = rebuild(rpc_url, source, up_to, Path(folder))
        try:
            findings, compared = compare_projections(rebuilt, engine)
            references = document_references(rebuilt)  # the chain's word, not the database's
        finally:
            rebuilt.dispose()
    findings += check_documents(references, documents)
    findings += check_origins(engine)
    return AuditReport(findings, up_to, compared, len(references))
