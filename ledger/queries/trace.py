"""``trace_forward(batch_id)``: every descendant batch, sale and holder of a lot, the set a
recall must cover (EU 178/2002 "one step forward", taken all the way to the stalls)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, select

from ledger.collection import collection_paused
from ledger.errors import NotFound
from ledger.queries.lineage import descendant_batches, sales_of_batches
from ledger.queries.rows import IN_CHUNK
from ledger.queries.status import indexed_block
from ledger.queries.views import BatchView, Party, SaleView, TraceResult, frozen_views, view_fields
from ledger.store import models
from ledger.vocabulary import has_role, shown_status

_PARTICIPANTS = models.Participant.__table__
_PARTICIPANTS_BY_ADDRESS = select(
    _PARTICIPANTS.c.address, _PARTICIPANTS.c.name, _PARTICIPANTS.c.identifier, _PARTICIPANTS.c.roles
).where(_PARTICIPANTS.c.address.in_(bindparam("addresses", expanding=True)))


def trace_forward(engine: Engine, batch_id: str) -> TraceResult:
    """Descendants, sales and holders of `batch_id`; raises :class:`NotFound` if unknown.

    One lineage walk: its batches' rows come back with it, and their ids go back as one
    parameter for the sales (rows of :data:`ledger.queries.lineage.DESCENDANT_BATCH_COLUMNS`
    and :data:`ledger.queries.lineage.SALE_OF_BATCHES_COLUMNS`). The cyclic garbage
    collector waits while the rows and views are made (:mod:`ledger.collection`)."""
    with engine.connect() as conn, collection_paused():
        return _trace(conn, batch_id)


def _trace(conn: Connection, batch_id: str) -> TraceResult:
    """:func:`trace_forward` on `conn`. The rows are freed when this returns, before the
    collector resumes: its first pass then walks the views only, not also 11,000 rows and
    their 120,000 values (about a third of that pass)."""
    batches = descendant_batches(conn, batch_id)
    root = next((row for row in batches if row[0] == batch_id), None)
    if root is None:
        raise NotFound(f"no batch {batch_id}")
    sales = sales_of_batches(conn, [row[0] for row in batches])
    sale_vendors = {row[3] for row in sales}
    holders = sorted({row[8] for row in batches if int(row[6]) > 0})
    parties, vendors = _participants(
        conn, {*holders, *sale_vendors, *(row[9] for row in batches if row[9] is not None)}
    )
    views = dict(zip((row[0] for row in batches), _batch_views(batches, parties), strict=True))
    # Nearest first, then in chain order: depth, created block, created log index.
    descendants = sorted((row for row in batches if row is not root), key=lambda row: (row[1], row[12], row[13]))
    return TraceResult(
        batch=views[batch_id],
        descendants=[views[row[0]] for row in descendants],
        sales=_sale_views(sales, batches, parties),
        holders=[parties[h] for h in holders],
        stalls=[parties[v] for v in sorted(vendors & {*holders, *sale_vendors})],
        as_of_block=indexed_block(conn),
    )


def _participants(conn: Connection, addresses: set[str]) -> tuple[dict[str, Party], set[str]]:
    """Each of `addresses` as a party (a bare address when no participant has it), and which of
    them have the vendor role: one lookup for both."""
    parties = {address: Party(address) for address in addresses}
    vendors = set()
    wanted = sorted(addresses)
    for start in range(0, len(wanted), IN_CHUNK):
        for row in conn.execute(_PARTICIPANTS_BY_ADDRESS, {"addresses": wanted[start : start + IN_CHUNK]}):
            parties[row.address] = Party(row.address, row.name, row.identifier)
            if has_role(row.roles, "VENDOR"):
                vendors.add(row.address)
    return parties, vendors


def _batch_views(rows: Sequence[tuple[Any, ...]], parties: dict[str, Party]) -> list[BatchView]:
    """The same views as :func:`ledger.queries.rows.batch_view`, from rows of
    :data:`ledger.queries.lineage.DESCENDANT_BATCH_COLUMNS`."""
    return frozen_views(
        BatchView,
        (
            {
                "batch_id": batch,
                "gtin": gtin,
                "lot": lot,
                "unit": unit,
                "quantity": int(quantity),
                "remaining": int(remaining),
                "status": shown_status(status, pending),
                "custodian": parties.get(custodian) or Party(custodian),
                "pending_recipient": (parties.get(pending) or Party(pending)) if pending is not None else None,
                "origin_kind": origin_kind,
                "created_at": int(created_at),
                "created_block": int(created_block),
            }
            for batch, _, gtin, lot, unit, quantity, remaining, status, custodian, pending, origin_kind, created_at, created_block, _ in rows  # noqa: E501
        ),
    )


def _sale_views(
    rows: Sequence[tuple[Any, ...]], batches: Sequence[tuple[Any, ...]], parties: dict[str, Party]
) -> list[SaleView]:
    """The same views as :func:`ledger.queries.rows.sale_view`, in one tight loop: a recall
    reaches thousands of sales of a few hundred batches and a few dozen vendors. Each row's
    first column is its batch's place in `batches`; integer columns come back as int from both
    drivers, only the price may be text (PostgreSQL's NUMERIC, see the statement). Each view's
    fields are a copy of :func:`ledger.queries.views.view_fields`, set in place."""
    products = [(row[0], row[2], row[3], row[4]) for row in batches]
    fresh = view_fields(SaleView).copy
    fields = []
    for batch, sale_id, serial, vendor, quantity, price, currency, block_time, block_number, tx_hash, _ in rows:
        batch_id, gtin, lot, unit = products[batch]
        view = fresh()
        view["sale_id"] = sale_id
        view["serial"] = serial
        view["batch_id"] = batch_id
        view["gtin"] = gtin
        view["lot"] = lot
        view["vendor"] = parties[vendor]
        view["quantity"] = quantity
        view["unit"] = unit
        view["price"] = int(price)
        view["currency"] = currency
        view["time"] = block_time
        view["block_number"] = block_number
        view["tx_hash"] = tx_hash
        fields.append(view)
    return frozen_views(SaleView, fields)
