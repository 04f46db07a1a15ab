"""``trace_forward(batch_id)``: every descendant batch, sale and holder of a lot, the set a
recall must cover (EU 178/2002 "one step forward", taken all the way to the stalls)."""

from __future__ import annotations

from sqlalchemy import Engine, select

from ledger.errors import NotFound
from ledger.queries.lineage import descendants
from ledger.queries.rows import IN_CHUNK, Parties, as_of_block, batch_rows, batch_view, sale_view
from ledger.queries.views import TraceResult
from ledger.store import models

_SALES = models.Sale.__table__
_PARTICIPANTS = models.Participant.__table__
VENDOR_BIT = 8


def trace_forward(engine: Engine, batch_id: str) -> TraceResult:
    """Descendants, sales and holders of `batch_id`; raises :class:`NotFound` if unknown."""
    with engine.connect() as conn:
        lineage = descendants(conn, batch_id)
        batches = batch_rows(conn, lineage)
        if batch_id not in batches:
            raise NotFound(f"no batch {batch_id}")
        ids = sorted(lineage, key=lambda b: (lineage[b], batches[b]["created_block"], batches[b]["created_log_index"]))
        sales = []
        for start in range(0, len(ids), IN_CHUNK):
            query = select(_SALES).where(_SALES.c.batch_id.in_(ids[start : start + IN_CHUNK]))
            sales.extend(conn.execute(query).mappings())
        sales.sort(key=lambda r: (r["block_number"], r["log_index"]))
        holders = sorted({b["custodian"] for b in batches.values() if int(b["remaining"]) > 0})
        parties = Parties(
            conn, [*holders, *(s["vendor"] for s in sales), *(b["pending_recipient"] for b in batches.values())]
        )
        vendors = _vendors(conn, {*holders, *(s["vendor"] for s in sales)})
        return TraceResult(
            batch=batch_view(batches[batch_id], parties),
            descendants=[batch_view(batches[b], parties) for b in ids if b != batch_id],
            sales=[sale_view(s, batches[s["batch_id"]], parties) for s in sales],
            holders=[parties[h] for h in holders],
            stalls=[parties[v] for v in sorted(vendors)],
            as_of_block=as_of_block(conn),
        )


def _vendors(conn, addresses: set[str]) -> set[str]:
    found: set[str] = set()
    wanted = sorted(addresses)
    for start in range(0, len(wanted), IN_CHUNK):
        query = select(_PARTICIPANTS.c.address, _PARTICIPANTS.c.roles).where(
            _PARTICIPANTS.c.address.in_(wanted[start : start + IN_CHUNK])
        )
        found.update(row.address for row in conn.execute(query) if row.roles & VENDOR_BIT)
    return found
