"""What ``trace_forward`` must return, built the plain way: the lineage walk, then each batch
and sale as a whole table row made into its view one at a time (``ledger.queries.rows``), to
compare the trace's results with whole."""

from __future__ import annotations

from sqlalchemy import Engine, select

from ledger.queries.lineage import descendants
from ledger.queries.rows import Parties, batch_rows, batch_view, sale_view
from ledger.queries.status import indexed_block
from ledger.queries.views import TraceResult
from ledger.store import models
from ledger.vocabulary import has_role

_SALES = models.Sale.__table__
_PARTICIPANTS = models.Participant.__table__


def expected_trace(engine: Engine, batch_id: str) -> TraceResult:
    """`batch_id`'s trace forward: descendants nearest first then in chain order, sales in
    chain order, holders (stock left) by address, and the vendors among holders and sellers."""
    with engine.connect() as conn:
        depths = descendants(conn, batch_id)
        rows = batch_rows(conn, depths)
        sales = [
            row
            for row in conn.execute(select(_SALES).order_by(_SALES.c.block_number, _SALES.c.log_index)).mappings()
            if row["batch_id"] in depths
        ]
        holders = sorted({row["custodian"] for row in rows.values() if row["remaining"] > 0})
        sellers = {row["vendor"] for row in sales}
        vendors = {row.address for row in conn.execute(select(_PARTICIPANTS)) if has_role(row.roles, "VENDOR")} & {
            *holders,
            *sellers,
        }
        parties = Parties(conn, [*holders, *sellers, *(row["pending_recipient"] for row in rows.values())])
        order = sorted(
            (b for b in depths if b != batch_id),
            key=lambda b: (depths[b], rows[b]["created_block"], rows[b]["created_log_index"]),
        )
        return TraceResult(
            batch=batch_view(rows[batch_id], parties),
            descendants=[batch_view(rows[b], parties) for b in order],
            sales=[sale_view(row, rows[row["batch_id"]], parties) for row in sales],
            holders=[parties[h] for h in holders],
            stalls=[parties[v] for v in sorted(vendors)],
            as_of_block=indexed_block(conn),
        )
