"""Batches, sales and participants by key, and the batch search behind the API's lists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import CompoundSelect, Engine, and_, exists, func, select

from ledger.errors import NotFound
from ledger.queries.rows import Parties, batch_rows, batch_view, sale_view
from ledger.queries.status import indexed_block
from ledger.queries.views import BatchView, Party, SaleView
from ledger.store import models

_BATCHES = models.Batch.__table__
_SALES = models.Sale.__table__
_PARTICIPANTS = models.Participant.__table__
_HARVESTS = models.Harvest.__table__
_IMPORTS = models.Import.__table__

MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class Page:
    """One page of results, the total count and the block the data is current to."""

    items: list[Any]
    total: int
    as_of_block: int | None


@dataclass(frozen=True)
class ParticipantView:
    party: Party
    index: int
    roles: int
    suspended: bool
    suspension_reason: str | None
    registered_at: int


def get_batch(engine: Engine, batch_id: str) -> tuple[BatchView, int | None]:
    with engine.connect() as conn:
        rows = batch_rows(conn, [batch_id])
        if batch_id not in rows:
            raise NotFound(f"no batch {batch_id}")
        row = rows[batch_id]
        parties = Parties(conn, [row["custodian"], row["pending_recipient"]])
        return batch_view(row, parties), indexed_block(conn)


def get_sale(engine: Engine, sale_id: str) -> tuple[SaleView, int | None]:
    with engine.connect() as conn:
        row = conn.execute(select(_SALES).where(models.sale_id_is(sale_id))).mappings().first()
        if row is None:
            raise NotFound(f"no sale {sale_id}")
        batch = batch_rows(conn, [row["batch_id"]])[row["batch_id"]]
        return sale_view(row, batch, Parties(conn, [row["vendor"]])), indexed_block(conn)


def search_batches(
    engine: Engine,
    *,
    gtin: str | None = None,
    lot: str | None = None,
    origin: str | None = None,
    status: str | None = None,
    created_from: int | None = None,
    created_to: int | None = None,
    custodian: str | None = None,
    within: CompoundSelect | None = None,
    offset: int = 0,
    limit: int = 50,
) -> Page:
    """Batches matching every given filter, newest first. `origin` matches a harvest's
    location or an import's country of origin; `status` may be ``in_transit``; `within`
    (a ``SELECT batch_id``, e.g. :func:`ledger.queries.scope.visible_batches_query`) keeps
    only the batches it selects."""
    conditions = []
    if within is not None:
        conditions.append(_BATCHES.c.batch_id.in_(within))
    if gtin:
        conditions.append(_BATCHES.c.gtin == gtin)
    if lot:
        conditions.append(_BATCHES.c.lot == lot)
    if status == "in_transit":
        conditions += [_BATCHES.c.status == "active", _BATCHES.c.pending_recipient.is_not(None)]
    elif status == "active":
        conditions += [_BATCHES.c.status == "active", _BATCHES.c.pending_recipient.is_(None)]
    elif status:
        conditions.append(_BATCHES.c.status == status)
    if created_from is not None:
        conditions.append(_BATCHES.c.created_at >= created_from)
    if created_to is not None:
        conditions.append(_BATCHES.c.created_at < created_to)
    if custodian:
        conditions.append(_BATCHES.c.custodian == custodian)
    if origin:
        conditions.append(
            exists().where(_HARVESTS.c.batch_id == _BATCHES.c.batch_id, _HARVESTS.c.origin == origin)
            | exists().where(_IMPORTS.c.batch_id == _BATCHES.c.batch_id, _IMPORTS.c.origin_country == origin)
        )
    where = and_(*conditions) if conditions else None
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    with engine.connect() as conn:
        count = select(func.count()).select_from(_BATCHES)
        query = select(_BATCHES).order_by(_BATCHES.c.created_block.desc(), _BATCHES.c.created_log_index.desc())
        if where is not None:
            count, query = count.where(where), query.where(where)
        total = conn.execute(count).scalar_one()
        rows = list(conn.execute(query.offset(offset).limit(limit)).mappings())
        parties = Parties(conn, [a for r in rows for a in (r["custodian"], r["pending_recipient"])])
        return Page([batch_view(r, parties) for r in rows], int(total), indexed_block(conn))


def list_participants(engine: Engine, *, role_bit: int | None = None) -> Page:
    with engine.connect() as conn:
        rows = list(conn.execute(select(_PARTICIPANTS).order_by(_PARTICIPANTS.c.index)).mappings())
        items = [
            ParticipantView(
                party=Party(r["address"], r["name"], r["identifier"]),
                index=int(r["index"]),
                roles=int(r["roles"]),
                suspended=bool(r["suspended"]),
                suspension_reason=r["suspension_reason"],
                registered_at=int(r["registered_at"]),
            )
            for r in rows
            if role_bit is None or int(r["roles"]) & role_bit
        ]
        return Page(items, len(items), indexed_block(conn))


def latest_failed_inspection_time(engine: Engine, batch_id: str) -> int | None:
    """When `batch_id` last failed a residue test (for error messages)."""
    inspections = models.Inspection.__table__
    with engine.connect() as conn:
        return conn.execute(
            select(func.max(inspections.c.block_time)).where(
                inspections.c.batch_id == batch_id, inspections.c.passed.is_(False)
            )
        ).scalar()
