"""``trace_forward(batch_id)``: every descendant batch, sale and holder of a lot, the set a
recall must cover (EU 178/2002 "one step forward", taken all the way to the stalls)."""

from __future__ import annotations

from collections.abc import Mapping
from operator import itemgetter
from typing import Any

from sqlalchemy import Engine, bindparam, select

from ledger.errors import NotFound
from ledger.queries.lineage import descendants
from ledger.queries.rows import IN_CHUNK, Parties, as_of_block, batch_rows, batch_view
from ledger.queries.views import Party, SaleView, TraceResult
from ledger.store import models

_SALES = models.Sale.__table__
_PARTICIPANTS = models.Participant.__table__
VENDOR_BIT = 8


#: Ids per ``IN`` list when fetching sales, as the other queries chunk them (IN_CHUNK): far
#: below SQLite's and PostgreSQL's bound-parameter limits, and larger lists measured no faster.
SALES_IN_CHUNK = IN_CHUNK
#: Built once, only the columns a SaleView needs, as plain tuples: at 10,000 sales the
#: statement building and the mapping rows cost more than the database did.
_SALES_OF = select(
    _SALES.c.sale_id,
    _SALES.c.serial,
    _SALES.c.batch_id,
    _SALES.c.vendor,
    _SALES.c.quantity,
    _SALES.c.price,
    _SALES.c.currency,
    _SALES.c.block_time,
    _SALES.c.block_number,
    _SALES.c.tx_hash,
    _SALES.c.log_index,
).where(_SALES.c.batch_id.in_(bindparam("batch_ids", expanding=True)))


def trace_forward(engine: Engine, batch_id: str) -> TraceResult:
    """Descendants, sales and holders of `batch_id`; raises :class:`NotFound` if unknown."""
    with engine.connect() as conn:
        lineage = descendants(conn, batch_id)
        batches = batch_rows(conn, lineage)
        if batch_id not in batches:
            raise NotFound(f"no batch {batch_id}")
        ids = sorted(lineage, key=lambda b: (lineage[b], batches[b]["created_block"], batches[b]["created_log_index"]))
        rows = []
        for start in range(0, len(ids), SALES_IN_CHUNK):
            rows.extend(conn.execute(_SALES_OF, {"batch_ids": ids[start : start + SALES_IN_CHUNK]}).all())
        rows.sort(key=itemgetter(8, 10))  # block_number, log_index: chain order
        sale_vendors = {row[3] for row in rows}
        holders = sorted({b["custodian"] for b in batches.values() if int(b["remaining"]) > 0})
        parties = Parties(conn, [*holders, *sale_vendors, *(b["pending_recipient"] for b in batches.values())])
        vendors = _vendors(conn, {*holders, *sale_vendors})
        return TraceResult(
            batch=batch_view(batches[batch_id], parties),
            descendants=[batch_view(batches[b], parties) for b in ids if b != batch_id],
            sales=_sale_views(rows, batches, parties),
            holders=[parties[h] for h in holders],
            stalls=[parties[v] for v in sorted(vendors)],
            as_of_block=as_of_block(conn),
        )


def _sale_views(rows: list[tuple], batches: dict[str, Mapping[str, Any]], parties: Parties) -> list[SaleView]:
    """The same views as :func:`ledger.queries.rows.sale_view`, in one tight loop: a recall
    reaches thousands of sales of a few hundred batches and a few dozen vendors."""
    products = {b: (row["gtin"], row["lot"], row["unit"]) for b, row in batches.items()}
    vendors: dict[str, Party] = {}
    views = []
    for sale_id, serial, batch, vendor, quantity, price, currency, block_time, block_number, tx_hash, _ in rows:
        gtin, lot, unit = products[batch]
        party = vendors.get(vendor)
        if party is None:
            party = vendors[vendor] = parties[vendor]
        views.append(
            SaleView(
                sale_id=sale_id,
                serial=int(serial),
                batch_id=batch,
                gtin=gtin,
                lot=lot,
                vendor=party,
                quantity=int(quantity),
                unit=unit,
                price=int(price),
                currency=currency,
                time=int(block_time),
                block_number=int(block_number),
                tx_hash=tx_hash,
            )
        )
    return views


def _vendors(conn, addresses: set[str]) -> set[str]:
    found: set[str] = set()
    wanted = sorted(addresses)
    for start in range(0, len(wanted), IN_CHUNK):
        query = select(_PARTICIPANTS.c.address, _PARTICIPANTS.c.roles).where(
            _PARTICIPANTS.c.address.in_(wanted[start : start + IN_CHUNK])
        )
        found.update(row.address for row in conn.execute(query) if row.roles & VENDOR_BIT)
    return found
