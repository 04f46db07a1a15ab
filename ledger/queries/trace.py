"""``trace_forward(batch_id)``: every descendant batch, sale and holder of a lot, the set a
recall must cover (EU 178/2002 "one step forward", taken all the way to the stalls)."""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Engine

from ledger.collection import collection_paused
from ledger.errors import NotFound
from ledger.queries.lineage import POSITION_BITS, SALE_OF_BATCHES_COLUMNS, descendant_batches, sales_of_batches
from ledger.queries.rows import driver_rows, json_array
from ledger.queries.status import indexed_block
from ledger.queries.views import BatchView, Party, SaleView, TraceResult, draft_class
from ledger.vocabulary import has_role, shown_status

#: The participants among the addresses of one parameter (as the sales' batches), read through
#: the driver: SQLAlchemy's expanding ``IN`` renders its statement anew each time.
_PARTICIPANTS_BY_ADDRESS = {
    "sqlite": "SELECT p.address, p.name, p.identifier, p.roles"
    " FROM json_each(:addresses) a JOIN participants p ON p.address = a.value",
    "postgresql": "SELECT p.address, p.name, p.identifier, p.roles"
    " FROM unnest(CAST(%(addresses)s AS text[])) AS a(address) JOIN participants p ON p.address = a.address",
}
_VENDOR = itemgetter(SALE_OF_BATCHES_COLUMNS.index("vendor"))
_BATCH_DRAFT = draft_class(BatchView)
_SALE_DRAFT = draft_class(SaleView)


def trace_forward(engine: Engine, batch_id: str) -> TraceResult:
    """Descendants, sales and holders of `batch_id`; raises :class:`NotFound` if unknown.

    One lineage walk (on SQLite a statement per level): its batches' rows come back with it,
    and their ids go back as one parameter for the sales (rows of
    :data:`ledger.queries.lineage.DESCENDANT_BATCH_COLUMNS` and
    :data:`ledger.queries.lineage.SALE_OF_BATCHES_COLUMNS`). The cyclic garbage
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
    sale_vendors = set(map(_VENDOR, sales))
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
    wanted = list(addresses)
    dialect = conn.dialect.name
    param = json_array(wanted) if dialect == "sqlite" else wanted
    for address, name, identifier, roles in driver_rows(conn, _PARTICIPANTS_BY_ADDRESS[dialect], {"addresses": param}):
        parties[address] = Party(address, name, identifier)
        if has_role(roles, "VENDOR"):
            vendors.add(address)
    return parties, vendors


def _batch_views(rows: Sequence[tuple[Any, ...]], parties: dict[str, Party]) -> list[BatchView]:
    """The same views as :func:`ledger.queries.rows.batch_view`, from rows of
    :data:`ledger.queries.lineage.DESCENDANT_BATCH_COLUMNS`, built as drafts
    (:func:`ledger.queries.views.draft_class`)."""
    views = []
    for batch, _, gtin, lot, unit, quantity, remaining, status, custodian, pending, kind, at, block, _ in rows:
        view = _BATCH_DRAFT()
        view.batch_id = batch
        view.gtin = gtin
        view.lot = lot
        view.unit = unit
        view.quantity = int(quantity)
        view.remaining = int(remaining)
        view.status = shown_status(status, pending)
        view.custodian = parties.get(custodian) or Party(custodian)
        view.pending_recipient = (parties.get(pending) or Party(pending)) if pending is not None else None
        view.origin_kind = kind
        view.created_at = int(at)
        view.created_block = int(block)
        view.__class__ = BatchView
        views.append(view)
    return views


def _sale_views(
    rows: Sequence[tuple[Any, ...]], batches: Sequence[tuple[Any, ...]], parties: dict[str, Party]
) -> list[SaleView]:
    """The same views as :func:`ledger.queries.rows.sale_view`, in one tight loop: a recall
    reaches thousands of sales of a few hundred batches and a few dozen vendors. Each row's
    first column is its batch's place in `batches`; integer columns come back as int from both
    drivers, only the price may be text (PostgreSQL's NUMERIC, see the statement). Each view is
    a draft (:func:`ledger.queries.views.draft_class`)."""
    products = [(row[0], row[2], row[3], row[4]) for row in batches]
    views = []
    for batch, sale_id, serial, vendor, quantity, price, currency, block_time, tx_hash, position in rows:
        batch_id, gtin, lot, unit = products[batch]
        view = _SALE_DRAFT()
        view.sale_id = sale_id
        view.serial = serial
        view.batch_id = batch_id
        view.gtin = gtin
        view.lot = lot
        view.vendor = parties[vendor]
        view.quantity = quantity
        view.unit = unit
        view.price = int(price)
        view.currency = currency
        view.time = block_time
        view.block_number = position >> POSITION_BITS
        view.tx_hash = tx_hash
        view.__class__ = SaleView
        views.append(view)
    return views
