"""An EPCIS export one page at a time, as the API sends it: at most :data:`MAX_EXPORT_EVENTS`
(250) events an answer, read in chain order with the event query's windows and page tokens, and
only the steps of the batches a reader may see.

The command line's ``freshledger epcis export`` writes the whole document at once
(:func:`ledger.epcis.export.export_document`); an answer over the internet must stay bounded.

Example::

    page = export_page(engine, lot="GV-2611-01", scope=visible_batches(engine, address))
    page.document, page.next_token   # an EPCISDocument, and where the next page starts
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ledger.epcis.export import export_of, lineage_batches
from ledger.epcis.query import EventQuery, decode_token, run_query
from ledger.errors import NotFound

if TYPE_CHECKING:
    from sqlalchemy import Engine

#: Events in one export answer, and the default. GS1's schema check costs about 1.5 ms of CPU
#: an event and holds the GIL (bench/epcis.py ``page_1000_validate_cpu_ms``): 250 events keep
#: one answer's check near 0.4 s, so an export does not stall the QR scans served beside it.
MAX_EXPORT_EVENTS = 250


@dataclass(frozen=True)
class ExportPage:
    """One EPCISDocument and the token of the next page (None: this was the last)."""

    document: dict[str, Any]
    next_token: str | None


def export_page(
    engine: Engine,
    *,
    lot: str | None = None,
    gtin: str | None = None,
    since: int | None = None,
    until: int | None = None,
    scope: Collection[str] | None = None,
    after: str | None = None,
    per_page: int = MAX_EXPORT_EVENTS,
) -> ExportPage:
    """A page of the export of a lot's lineage (or a GTIN's lots, or every batch) with block
    time in [since, until), narrowed to the batches in `scope` (None: every batch).

    Raises :class:`NotFound` when `lot` / `gtin` name no batch the reader may see (a lot
    outside the scope is answered as one that does not exist), and
    :class:`ledger.epcis.query.QueryError` for a token this server did not issue.
    """
    batch_ids = lineage_batches(engine, lot, gtin)
    if batch_ids is not None and scope is not None and not (batch_ids & set(scope)):
        what = " ".join(p for p in (f"GTIN {gtin}" if gtin else "", f"lot {lot}" if lot else "") if p)
        raise NotFound(f"no batch with {what}")
    query = EventQuery(
        {},
        ge_time=since,
        lt_time=until,
        per_page=max(1, min(per_page, MAX_EXPORT_EVENTS)),
        after=decode_token(after) if after is not None else None,
    )
    page = run_query(engine, query, scope=scope, batch_ids=batch_ids)
    return ExportPage(export_of(page.events, page.parties), page.next_token)
