"""The market's status for the public: its licensed stalls (active, suspended), where each
stall's produce came from (the suppliers that handed it over, the countries of imported lots,
by share of quantity), what arrived and sold per market day, the lab tests of the window, open
quarantines and recalls.

Every figure is a grouped query over an index range (``ix_custody_events_kind_time``,
``ix_sales_block_time``, ``ix_inspections_block_time``, ``ix_recalls_block_time``), by market
day: the database sums, Python only adds the days up. A day's sums no longer change once the
day is well past (see :data:`SETTLE_S`), so the caller may keep them (``settled``) and only
today is summed again. Days are market days in a zone without daylight saving (the offset at
the window's end), so a day is ``(block_time + offset) // 86400``.

Origins are the direct ones: the participant that handed a lot to the stall, and the import's
country when the lot received is the imported lot itself (a lot split after import counts as
from its sender only).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from sqlalchemy import Engine, and_, case, func, select
from sqlalchemy.engine import Connection

from ledger.queries.stalls import vendor_rows
from ledger.queries.status import indexed_block
from ledger.store import models
from ledger.vocabulary import QUARANTINED, RECALLED

_CUSTODY = models.CustodyEvent.__table__
_SALES = models.Sale.__table__
_IMPORTS = models.Import.__table__
_INSPECTIONS = models.Inspection.__table__
_RECALLS = models.Recall.__table__
_BATCHES = models.Batch.__table__
_PARTICIPANTS = models.Participant.__table__
DAY = 86_400


@dataclass(frozen=True)
class DayFlow:
    """Quantities arrived (accepted hand-offs) and sold on one market day."""

    day: date
    arrived: int
    sold: int


@dataclass(frozen=True)
class StallStatus:
    """One licensed stall over the window; `suppliers` and `countries` are (name or code,
    quantity), largest first; a country of ``""`` is produce not imported."""

    address: str
    name: str
    licence: str
    suspended: bool
    days: list[DayFlow]
    suppliers: list[tuple[str, int]] = field(default_factory=list)
    countries: list[tuple[str, int]] = field(default_factory=list)

    @property
    def arrived(self) -> int:
        return sum(d.arrived for d in self.days)

    @property
    def sold(self) -> int:
        return sum(d.sold for d in self.days)


@dataclass(frozen=True)
class MarketStatus:
    start: int
    end: int
    stalls: list[StallStatus]
    days: list[DayFlow]
    tests: int
    failed_tests: int
    open_quarantines: int
    recalls: int
    recalled_lots: int
    as_of_block: int | None

    @property
    def active(self) -> int:
        return sum(not s.suspended for s in self.stalls)

    @property
    def suspended(self) -> int:
        return sum(s.suspended for s in self.stalls)


@dataclass
class DayFigures:
    """One market day's sums, by stall: what arrived (by sender and by country of import) and
    what sold; the day's lab tests, failed tests and recalls."""

    arrived: dict[str, int] = field(default_factory=dict)
    sold: dict[str, int] = field(default_factory=dict)
    senders: dict[tuple[str, str], int] = field(default_factory=dict)
    countries: dict[tuple[str, str], int] = field(default_factory=dict)
    tests: int = 0
    failed: int = 0
    recalls: int = 0


#: A day is settled (its sums no longer change) this long after it ended: far beyond the
#: chain's finality depth, so no reorg reaches back into it.
SETTLE_S = 3600


def market_status(
    engine: Engine,
    start: int,
    end: int,
    tz: tzinfo,
    *,
    settled: MutableMapping[int, DayFigures] | None = None,
    now: int | None = None,
) -> MarketStatus:
    """The market's status over the window ``[start, end)`` (whole market days in `tz`).

    `settled` (the caller's, kept between calls) holds the sums of days that can no longer
    change: ended :data:`SETTLE_S` before `now` and before the newest indexed sale. Those days
    are read from it (or computed once into it), so a page over 30 days costs one query over
    today's rows plus the stall list.
    """
    offset = int((datetime.fromtimestamp(end - 1, UTC).astimezone(tz).utcoffset() or 0).total_seconds())
    first_day, last_day = (start + offset) // DAY, (end - 1 + offset) // DAY
    with engine.connect() as conn:
        vendors = vendor_rows(conn)
        newest = conn.execute(select(func.max(_SALES.c.block_time))).scalar_one_or_none()
        settled_until = min(int(time.time() if now is None else now) - SETTLE_S, int(newest or 0))
        known = {} if settled is None else settled
        open_from = first_day
        while open_from <= last_day and (open_from + 1) * DAY - offset <= settled_until:
            open_from += 1
        missing = [d for d in range(first_day, open_from) if d not in known]
        if missing:
            computed = _figures(conn, missing[0] * DAY - offset, (missing[-1] + 1) * DAY - offset, offset)
            for d in missing:
                known[d] = computed.get(d, DayFigures())
        live = _figures(conn, max(start, open_from * DAY - offset), end, offset) if open_from <= last_day else {}
        per_day = {d: known[d] if d < open_from else live.get(d, DayFigures()) for d in range(first_day, last_day + 1)}
        sender_addresses = {sender for f in per_day.values() for _, sender in f.senders}
        names = dict(
            conn.execute(
                select(_PARTICIPANTS.c.address, _PARTICIPANTS.c.name).where(
                    _PARTICIPANTS.c.address.in_(sender_addresses)
                )
            ).all()
        )
        statuses = dict(
            conn.execute(
                select(_BATCHES.c.status, func.count())
                .where(_BATCHES.c.status.in_([QUARANTINED, RECALLED]))
                .group_by(_BATCHES.c.status)
            ).all()
        )
        block = indexed_block(conn)
    return _status(start, end, vendors, per_day, names, statuses, block)


def _status(
    start: int,
    end: int,
    vendors: list[Mapping[str, Any]],
    per_day: dict[int, DayFigures],
    names: dict[str, str],
    statuses: dict[str, int],
    block: int | None,
) -> MarketStatus:
    licensed = {v["address"] for v in vendors}
    senders: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    countries: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for figures in per_day.values():
        for (stall, sender), quantity in figures.senders.items():
            senders[stall][names.get(sender) or sender] += quantity
        for (stall, code), quantity in figures.countries.items():
            countries[stall][code] += quantity

    def ranked(shares: dict[str, int]) -> list[tuple[str, int]]:
        return sorted(shares.items(), key=lambda s: (-s[1], s[0]))

    stalls = [
        StallStatus(
            address=v["address"],
            name=v["name"],
            licence=v["identifier"],
            suspended=bool(v["suspended"]),
            days=[
                DayFlow(_date(d), f.arrived.get(v["address"], 0), f.sold.get(v["address"], 0))
                for d, f in per_day.items()
            ],
            suppliers=ranked(senders.get(v["address"], {})),
            countries=ranked(countries.get(v["address"], {})),
        )
        for v in sorted(vendors, key=lambda v: (v["name"], v["address"]))
    ]
    # Hand-offs between suppliers are not the market's arrivals: only the stalls' count.
    days = [
        DayFlow(
            _date(d),
            sum(q for stall, q in f.arrived.items() if stall in licensed),
            sum(q for stall, q in f.sold.items() if stall in licensed),
        )
        for d, f in per_day.items()
    ]
    return MarketStatus(
        start=start,
        end=end,
        stalls=stalls,
        days=days,
        tests=sum(f.tests for f in per_day.values()),
        failed_tests=sum(f.failed for f in per_day.values()),
        open_quarantines=int(statuses.get(QUARANTINED, 0)),
        recalls=sum(f.recalls for f in per_day.values()),
        recalled_lots=int(statuses.get(RECALLED, 0)),
        as_of_block=block,
    )


def _figures(conn: Connection, start: int, end: int, offset: int) -> dict[int, DayFigures]:
    """The sums of ``[start, end)`` by market day (grouped in the database)."""
    found: dict[int, DayFigures] = defaultdict(DayFigures)
    received = and_(_CUSTODY.c.kind == "received", _CUSTODY.c.block_time >= start, _CUSTODY.c.block_time < end)
    received_day = ((_CUSTODY.c.block_time + offset) // DAY).label("d")
    quantity = func.sum(_CUSTODY.c.quantity)
    for stall, sender, day, total in conn.execute(
        select(_CUSTODY.c.to_address, _CUSTODY.c.from_address, received_day, quantity)
        .where(received)
        .group_by(_CUSTODY.c.to_address, _CUSTODY.c.from_address, received_day)
    ):
        figures = found[int(day)]
        figures.senders[(stall, sender)] = int(total or 0)
        figures.arrived[stall] = figures.arrived.get(stall, 0) + int(total or 0)
    country = func.coalesce(_IMPORTS.c.origin_country, "")
    for stall, code, day, total in conn.execute(
        select(_CUSTODY.c.to_address, country, received_day, quantity)
        .select_from(_CUSTODY.outerjoin(_IMPORTS, _IMPORTS.c.batch_id == _CUSTODY.c.batch_id))
        .where(received)
        .group_by(_CUSTODY.c.to_address, country, received_day)
    ):
        found[int(day)].countries[(stall, code)] = int(total or 0)
    sold_day = ((_SALES.c.block_time + offset) // DAY).label("d")
    for stall, day, total in conn.execute(
        select(_SALES.c.vendor, sold_day, func.sum(_SALES.c.quantity))
        .where(_SALES.c.block_time >= start, _SALES.c.block_time < end)
        .group_by(_SALES.c.vendor, sold_day)
    ):
        found[int(day)].sold[stall] = int(total or 0)
    test_day = ((_INSPECTIONS.c.block_time + offset) // DAY).label("d")
    failed = func.sum(case((_INSPECTIONS.c.passed.is_(False), 1), else_=0))
    for day, tests, failures in conn.execute(
        select(test_day, func.count(), failed)
        .where(_INSPECTIONS.c.block_time >= start, _INSPECTIONS.c.block_time < end)
        .group_by(test_day)
    ):
        found[int(day)].tests, found[int(day)].failed = int(tests), int(failures or 0)
    recall_day = ((_RECALLS.c.block_time + offset) // DAY).label("d")
    for day, recalls in conn.execute(
        select(recall_day, func.count())
        .where(_RECALLS.c.block_time >= start, _RECALLS.c.block_time < end)
        .group_by(recall_day)
    ):
        found[int(day)].recalls = int(recalls)
    return found


def _date(day_number: int) -> date:
    return date.fromordinal(date(1970, 1, 1).toordinal() + day_number)
