"""Sale serials reserved when a sale is accepted into the write queue.

A sale's Digital Link (``/01/{gtin}/10/{lot}/21/{serial}``) names its serial. So that a
receipt can carry it before the sale is mined, the queue gives each sale intent its batch's
next serial in the database transaction that stores the intent, and ``recordSales`` pins it
on the chain (the contract takes a serial only above the batch's last one, so it never names
a second sale; a refused sale's serial is simply never used).

One counter row a batch (``sale_serials``). The row is taken with an ``UPDATE`` before the
intents are inserted, which holds its lock (PostgreSQL's row lock; SQLite's one writer)
until the transaction ends: two processes storing sales of one batch are serialized, so
serial order and intent-id order agree, and the submitter, which sends a sender's intents
in id order, sends a batch's sales with rising serials. Batches are locked in sorted order,
so two transactions never wait for each other's rows.

A new row starts at the batch's highest serial known: the chain's sale count when the caller
can read the node (``sale_counts``), and never below the index's highest serial.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence, Set
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ledger.store.intent_models import SaleSerial
from ledger.store.models import Sale

_SERIALS = SaleSerial.__table__
_SALES = Sale.__table__

#: The chain's sale count (the last serial used) of each batch id asked for, by id; raises
#: :class:`ledger.errors.NodeError` when the node does not answer.
SaleCounts = Callable[[Sequence[str]], dict[str, int]]


def batch_key(batch_id: str) -> str:
    """The counter's key of a batch id (0x-hex, any case)."""
    return batch_id.lower()


def missing(conn: Connection, batch_ids: Iterable[str]) -> list[str]:
    """The batches among `batch_ids` without a counter yet."""
    wanted = sorted({batch_key(b) for b in batch_ids})
    if not wanted:
        return []
    have = set(conn.execute(select(_SERIALS.c.batch_id).where(_SERIALS.c.batch_id.in_(wanted))).scalars())
    return [b for b in wanted if b not in have]


def seeds(conn: Connection, batch_ids: Sequence[str], chain_counts: dict[str, int] | None = None) -> dict[str, int]:
    """Where new counters of `batch_ids` start: the highest of the chain's count (when
    known) and the index's highest serial of the batch."""
    found = {b: 0 for b in batch_ids}
    if batch_ids:
        # The index stores batch ids as lower-case hex, like the counters' keys.
        rows = conn.execute(
            select(_SALES.c.batch_id, func.max(_SALES.c.serial))
            .where(_SALES.c.batch_id.in_(list(batch_ids)))
            .group_by(_SALES.c.batch_id)
        ).all()
        for batch_id, serial in rows:
            found[batch_id] = max(found.get(batch_id, 0), int(serial or 0))
    for batch_id, count in (chain_counts or {}).items():
        key = batch_key(batch_id)
        if key in found:
            found[key] = max(found[key], int(count))
    return found


def chain_seeds(
    engine: Engine, batch_ids: Iterable[str], sale_counts: SaleCounts | None, counted: Set[str] = frozenset()
) -> dict[str, int]:
    """Seeds of the batches among `batch_ids` that have no counter: read before the
    reserving transaction, since asking the node inside it would hold the locks that long.
    A node that does not answer leaves the index's serials alone to seed them.

    `counted` names batches (by :func:`batch_key`) known to have a counter already, which are
    not looked for, and when all are, no connection is taken: counters are never deleted, and
    the queue's accepting sells the same few batches burst after burst (looking for their
    counters was a third of a small burst's CPU). Were one gone after all, :func:`reserve`
    would seed it from the index."""
    from ledger.errors import NodeError

    unknown = {batch_key(b) for b in batch_ids} - counted
    if not unknown:
        return {}
    with engine.connect() as conn:
        new = missing(conn, unknown)
        if not new:
            return {}
        counts: dict[str, int] | None = None
        if sale_counts is not None:
            try:
                counts = {batch_key(b): c for b, c in sale_counts(new).items()}
            except NodeError:
                counts = None
        return seeds(conn, new, counts)


def reserve(conn: Connection, wanted: dict[str, int], seeded: dict[str, int] | None = None) -> dict[str, int]:
    """Reserve `wanted[batch]` consecutive serials of each batch inside the caller's
    transaction on `conn`; the first serial of each, by batch key. Must run before the
    transaction inserts the intents the serials are for (see the module's doc).

    A batch without a counter starts at its seed (``seeded``, else the index's highest
    serial, read here). Counters are taken first and made only where taking finds none: a
    counter exists for every batch but a new one's first burst."""
    keys = sorted(batch_key(b) for b in wanted)
    counts = {batch_key(b): n for b, n in wanted.items()}
    firsts = {}
    for key in keys:  # in sorted order: row locks are always taken in the same order
        last = conn.execute(_TAKE, {"key": key, "count": counts[key]}).scalar_one_or_none()
        if last is None:
            seed = (seeded or {}).get(key)
            dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
            conn.execute(
                dialect.insert(_SERIALS).on_conflict_do_nothing(index_elements=["batch_id"]),
                {"batch_id": key, "last_serial": seeds(conn, [key])[key] if seed is None else seed},
            )
            last = conn.execute(_TAKE, {"key": key, "count": counts[key]}).scalar_one()
        firsts[key] = int(last) - counts[key] + 1
    return firsts


#: Takes ``count`` serials of the batch ``key``; the last one taken (no row: no counter yet).
_TAKE = (
    update(_SERIALS)
    .where(_SERIALS.c.batch_id == bindparam("key"))
    .values(last_serial=_SERIALS.c.last_serial + bindparam("count"))
    .returning(_SERIALS.c.last_serial)
)


def assign(conn: Connection, rows: Sequence[dict[str, Any]], seeded: dict[str, int] | None = None) -> None:
    """Give each sale row among `rows` (intent rows about to be inserted, in insertion order)
    its reserved serial in its payload, rising in row order per batch."""
    sales = [row for row in rows if row["kind"] == "sale"]
    if not sales:
        return
    wanted: dict[str, int] = {}
    for row in sales:
        key = batch_key(row["payload"]["batch_id"])
        wanted[key] = wanted.get(key, 0) + 1
    next_serial = reserve(conn, wanted, seeded)
    for row in sales:
        key = batch_key(row["payload"]["batch_id"])
        row["payload"] = {**row["payload"], "serial": next_serial[key]}
        next_serial[key] += 1


def last_reserved(conn: Connection, batch_id: str) -> int | None:
    """The last serial reserved for a sale of `batch_id`, or None before its first."""
    return conn.execute(
        select(_SERIALS.c.last_serial).where(_SERIALS.c.batch_id == batch_key(batch_id))
    ).scalar_one_or_none()
