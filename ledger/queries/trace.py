"""``trace_forward(batch_id)``: every descendant batch, sale and holder of a lot, the set a
recall must cover (EU 178/2002 "one step forward", taken all the way to the stalls)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, select

from ledger.errors import NotFound
from ledger.queries.lineage import descendant_batches, descendant_sales
from ledger.queries.rows import IN_CHUNK, Parties, batch_view
from ledger.queries.status import indexed_block
from ledger.queries.views import Party, SaleView, TraceResult, sale_views
from ledger.store import models
from ledger.vocabulary import has_role

_PARTICIPANTS = models.Participant.__table__


def trace_forward(engine: Engine, batch_id: str) -> TraceResult:
    """Descendants, sales and holders of `batch_id`; raises :class:`NotFound` if unknown."""
    with engine.connect() as conn:
        found = descendant_batches(conn, batch_id)
        lineage = {row["batch_id"]: row["depth"] for row in found}
        batches = {row["batch_id"]: row for row in found}
        if batch_id not in batches:
            raise NotFound(f"no batch {batch_id}")
        ids = sorted(lineage, key=lambda b: (lineage[b], batches[b]["created_block"], batches[b]["created_log_index"]))
        rows = descendant_sales(conn, batch_id)  # in chain order
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
            as_of_block=indexed_block(conn),
        )


def _sale_views(
    rows: Sequence[tuple[Any, ...]], batches: dict[str, Mapping[str, Any]], parties: Parties
) -> list[SaleView]:
    """The same views as :func:`ledger.queries.rows.sale_view`, in one tight loop: a recall
    reaches thousands of sales of a few hundred batches and a few dozen vendors. Rows are
    :data:`ledger.queries.lineage.DESCENDANT_SALE_COLUMNS`; integer columns come back as int
    from both drivers, only the NUMERIC price may be a Decimal."""
    products = {b: (row["gtin"], row["lot"], row["unit"]) for b, row in batches.items()}
    vendors: dict[str, Party] = {}

    def fields() -> Iterator[tuple[Any, ...]]:
        for sale_id, serial, batch, vendor, quantity, price, currency, block_time, block_number, tx_hash, _ in rows:
            gtin, lot, unit = products[batch]
            party = vendors.get(vendor)
            if party is None:
                party = vendors[vendor] = parties[vendor]
            yield (
                sale_id,
                serial,
                batch,
                gtin,
                lot,
                party,
                quantity,
                unit,
                int(price),
                currency,
                block_time,
                block_number,
                tx_hash,
            )

    return sale_views(fields())


def _vendors(conn, addresses: set[str]) -> set[str]:
    found: set[str] = set()
    wanted = sorted(addresses)
    for start in range(0, len(wanted), IN_CHUNK):
        query = select(_PARTICIPANTS.c.address, _PARTICIPANTS.c.roles).where(
            _PARTICIPANTS.c.address.in_(wanted[start : start + IN_CHUNK])
        )
        found.update(row.address for row in conn.execute(query) if has_role(row.roles, "VENDOR"))
    return found
