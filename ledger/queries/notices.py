"""Notices and the floor plan: which notices are current, the latest plan, and each stall's
state on the map.

A notice is current while ``valid_from <= now < valid_until``: an expired notice drops out of
every answer by itself (``ix_notices_valid_until`` keeps the scan to notices not yet over).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, and_, case, func, or_, select

from ledger.queries.stalls import vendor_rows
from ledger.store import models
from ledger.vocabulary import ACTIVE, QUARANTINED

_NOTICES = models.Notice.__table__
_LAYOUTS = models.Layout.__table__
_BATCHES = models.Batch.__table__

#: A stall's state on the map: trading (stock for sale), holding quarantined stock,
#: suspended, or nothing in stock.
OPEN, HELD, SUSPENDED, EMPTY = "open", "quarantined", "suspended", "no_stock"
#: Most notices an answer lists (newest first): more would not fit any screen.
MAX_NOTICES = 50


@dataclass(frozen=True)
class NoticeRow:
    """A published notice: its text is document `cid` (read by the pages, not here)."""

    author: str
    cid: str
    valid_from: int
    valid_until: int
    batch_id: str | None
    stall: str | None
    block_number: int
    log_index: int
    tx_hash: str
    published_at: int


@dataclass(frozen=True)
class LayoutRow:
    authority: str
    cid: str
    block_number: int
    tx_hash: str
    published_at: int


def next_notice_change(engine: Engine, now: int, *, batch_ids: Iterable[str], stalls: Iterable[str]) -> int | None:
    """The first moment after `now` at which the notices :func:`current_notices` gives for
    these lots and stalls change with no new block: a current one expires or a later one
    begins (None: never)."""
    bound = func.min(case((_NOTICES.c.valid_from > now, _NOTICES.c.valid_from), else_=_NOTICES.c.valid_until))
    concerns = [and_(_NOTICES.c.batch_id.is_(None), _NOTICES.c.stall.is_(None))]
    if batch_ids := list(batch_ids):
        concerns.append(_NOTICES.c.batch_id.in_(batch_ids))
    if stalls := list(stalls):
        concerns.append(_NOTICES.c.stall.in_(stalls))
    query = select(bound).where(_NOTICES.c.valid_until > now, or_(*concerns))
    with engine.connect() as conn:
        found = conn.execute(query).scalar()
    return None if found is None else int(found)


def current_notices(
    engine: Engine,
    now: int,
    *,
    batch_ids: Iterable[str] | None = None,
    stalls: Iterable[str] | None = None,
    limit: int = MAX_NOTICES,
) -> list[NoticeRow]:
    """Notices current at `now`, newest first. Without `batch_ids` and `stalls`, all of them;
    with either, those concerning one of them and those concerning nothing in particular."""
    query = select(_NOTICES).where(_NOTICES.c.valid_until > now, _NOTICES.c.valid_from <= now)
    if batch_ids is not None or stalls is not None:
        concerns = [and_(_NOTICES.c.batch_id.is_(None), _NOTICES.c.stall.is_(None))]
        if batch_ids:
            concerns.append(_NOTICES.c.batch_id.in_(list(batch_ids)))
        if stalls:
            concerns.append(_NOTICES.c.stall.in_(list(stalls)))
        query = query.where(or_(*concerns))
    query = query.order_by(_NOTICES.c.block_number.desc(), _NOTICES.c.log_index.desc()).limit(limit)
    with engine.connect() as conn:
        return [
            NoticeRow(
                author=r["author"],
                cid=r["cid"],
                valid_from=int(r["valid_from"]),
                valid_until=int(r["valid_until"]),
                batch_id=r["batch_id"],
                stall=r["stall"],
                block_number=int(r["block_number"]),
                log_index=int(r["log_index"]),
                tx_hash=r["tx_hash"],
                published_at=int(r["block_time"]),
            )
            for r in conn.execute(query).mappings()
        ]


def latest_layout(engine: Engine) -> LayoutRow | None:
    """The floor plan set last, or None before the first."""
    query = select(_LAYOUTS).order_by(_LAYOUTS.c.block_number.desc(), _LAYOUTS.c.log_index.desc()).limit(1)
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    if row is None:
        return None
    return LayoutRow(row["authority"], row["cid"], int(row["block_number"]), row["tx_hash"], int(row["block_time"]))


def stall_states(engine: Engine) -> dict[str, str]:
    """Each stall's state on the map (see :data:`OPEN` and the others): suspended first, then
    quarantined stock, then stock for sale."""
    held = (
        select(_BATCHES.c.custodian, _BATCHES.c.status, func.count())
        .where(_BATCHES.c.remaining > 0, _BATCHES.c.status.in_([ACTIVE, QUARANTINED]))
        .group_by(_BATCHES.c.custodian, _BATCHES.c.status)
    )
    with engine.connect() as conn:
        vendors = vendor_rows(conn)
        stock: dict[str, set[str]] = {}
        for custodian, status, _count in conn.execute(held):
            stock.setdefault(custodian, set()).add(status)
    states = {}
    for row in vendors:
        held_here = stock.get(row["address"], set())
        if row["suspended"]:
            states[row["address"]] = SUSPENDED
        elif QUARANTINED in held_here:
            states[row["address"]] = HELD
        elif ACTIVE in held_here:
            states[row["address"]] = OPEN
        else:
            states[row["address"]] = EMPTY
    return states
