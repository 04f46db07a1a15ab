"""Every document the chain references, re-hashed from the document store."""

from __future__ import annotations

from ledger.audit.findings import DocumentMissing, DocumentTampered, DocumentUnverifiable, Finding
from ledger.documents import DocumentStore
from ledger.errors import DocumentIntegrityError, DocumentNotFound, InvalidCid


def check_documents(references: dict[str, list[tuple[str, str]]], store: DocumentStore) -> list[Finding]:
    """Findings for the CIDs in `references` (CID: [(batch id, step)]) whose stored copy is
    altered, absent or unverifiable. A store that cannot be reached raises (retryable)."""
    findings: list[Finding] = []
    for cid, named in sorted(references.items()):
        where = tuple(named)
        try:
            store.verify(cid)
        except DocumentIntegrityError as exc:
            findings.append(DocumentTampered(cid, exc.actual, where))
        except DocumentNotFound:
            findings.append(DocumentMissing(cid, where))
        except InvalidCid as exc:
            findings.append(DocumentUnverifiable(cid, where, str(exc)))
    return findings
