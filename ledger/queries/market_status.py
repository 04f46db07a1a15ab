"""The market's status for the public: its licensed stalls (active, suspended), where each
stall's produce came from (the suppliers that handed it over, the countries of imported lots,
by share of quantity), what arrived and sold per market day, the lab tests of the window, open
quarantines and recalls.

Every figure is one grouped query over an index range (``ix_custody_events_kind_time``,
``ix_sales_block_time``, ``ix_inspections_block_time``, ``ix_recalls_block_time``): the
database sums, Python only arranges the sums. Days are market days in a zone without daylight
saving (the offset at the window's end), so a day is ``(block_time + offset) // 86400``.

Origins are the direct ones: the participant that handed a lot to the stall, and the import's
country when the lot received is the imported lot itself (a lot split after import counts as
from its sender only).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo

from sqlalchemy import Engine, and_, case, func, select

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


def market_status(engine: Engine, start: int, end: int, tz: tzinfo) -> MarketStatus:
    """The market's status over the window ``[start, end)`` (whole market days in `tz`)."""
    offset = int((datetime.fromtimestamp(end - 1, UTC).astimezone(tz).utcoffset() or 0).total_seconds())
    window_custody = and_(_CUSTODY.c.kind == "received", _CUSTODY.c.block_time >= start, _CUSTODY.c.block_time < end)
    received_day = ((_CUSTODY.c.block_time + offset) / DAY).label("d")
    sold_day = ((_SALES.c.block_time + offset) / DAY).label("d")
    with engine.connect() as conn:
        vendors = vendor_rows(conn)
        arrived = conn.execute(
            select(_CUSTODY.c.to_address, received_day, func.sum(_CUSTODY.c.quantity))
            .where(window_custody)
            .group_by(_CUSTODY.c.to_address, received_day)
        ).all()
        sold = conn.execute(
            select(_SALES.c.vendor, sold_day, func.sum(_SALES.c.quantity))
            .where(_SALES.c.block_time >= start, _SALES.c.block_time < end)
            .group_by(_SALES.c.vendor, sold_day)
        ).all()
        senders = conn.execute(
            select(_CUSTODY.c.to_address, _CUSTODY.c.from_address, func.sum(_CUSTODY.c.quantity))
            .where(window_custody)
            .group_by(_CUSTODY.c.to_address, _CUSTODY.c.from_address)
        ).all()
        country = func.coalesce(_IMPORTS.c.origin_country, "")
        countries = conn.execute(
            select(_CUSTODY.c.to_address, country, func.sum(_CUSTODY.c.quantity))
            .select_from(_CUSTODY.outerjoin(_IMPORTS, _IMPORTS.c.batch_id == _CUSTODY.c.batch_id))
            .where(window_custody)
            .group_by(_CUSTODY.c.to_address, country)
        ).all()
        tests, failed = conn.execute(
            select(
                func.count(), func.coalesce(func.sum(case((_INSPECTIONS.c.passed.is_(False), 1), else_=0)), 0)
            ).where(_INSPECTIONS.c.block_time >= start, _INSPECTIONS.c.block_time < end)
        ).one()
        recalls = conn.execute(
            select(func.count()).where(_RECALLS.c.block_time >= start, _RECALLS.c.block_time < end)
        ).scalar_one()
        statuses = dict(
            conn.execute(
                select(_BATCHES.c.status, func.count())
                .where(_BATCHES.c.status.in_([QUARANTINED, RECALLED]))
                .group_by(_BATCHES.c.status)
            ).all()
        )
        names = dict(
            conn.execute(
                select(_PARTICIPANTS.c.address, _PARTICIPANTS.c.name).where(
                    _PARTICIPANTS.c.address.in_({s[1] for s in senders})
                )
            ).all()
        )
        block = indexed_block(conn)
    first_day, last_day = (start + offset) // DAY, (end - 1 + offset) // DAY
    flows: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for stall, day, quantity in arrived:
        flows[stall][int(day)][0] += int(quantity or 0)
    for stall, day, quantity in sold:
        flows[stall][int(day)][1] += int(quantity or 0)
    supplier_shares: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for stall, sender, quantity in senders:
        supplier_shares[stall].append((names.get(sender) or sender, int(quantity or 0)))
    country_shares: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for stall, code, quantity in countries:
        country_shares[stall].append((code, int(quantity or 0)))

    def days_of(per_day: dict[int, list[int]]) -> list[DayFlow]:
        return [
            DayFlow(_date(d), *per_day.get(d, [0, 0]))  # type: ignore[arg-type]
            for d in range(first_day, last_day + 1)
        ]

    stalls = [
        StallStatus(
            address=v["address"],
            name=v["name"],
            licence=v["identifier"],
            suspended=bool(v["suspended"]),
            days=days_of(flows.get(v["address"], {})),
            suppliers=sorted(supplier_shares.get(v["address"], []), key=lambda s: (-s[1], s[0])),
            countries=sorted(country_shares.get(v["address"], []), key=lambda s: (-s[1], s[0])),
        )
        for v in sorted(vendors, key=lambda v: (v["name"], v["address"]))
    ]
    market: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    licensed = {v["address"] for v in vendors}
    for stall, per_day in flows.items():
        if stall not in licensed:  # hand-offs between suppliers are not the market's arrivals
            continue
        for d, (a, s) in per_day.items():
            market[d][0] += a
            market[d][1] += s
    return MarketStatus(
        start=start,
        end=end,
        stalls=stalls,
        days=days_of(market),
        tests=int(tests),
        failed_tests=int(failed),
        open_quarantines=int(statuses.get(QUARANTINED, 0)),
        recalls=int(recalls),
        recalled_lots=int(statuses.get(RECALLED, 0)),
        as_of_block=block,
    )


def _date(day_number: int) -> date:
    return date.fromordinal(date(1970, 1, 1).toordinal() + day_number)
