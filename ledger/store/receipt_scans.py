"""Receipt scans, kept by the API (not on-chain): how often each sale's receipt was scanned,
from how many networks, and which receipts look copied.

A copied receipt (a photo of a real one printed again for goods of another origin) is scanned
by many shoppers, each from a network of their own, in a short time; a real one by one
shopper, a few times, from one or two networks. The scans arrive here in tallies (many scans of
one receipt from one network, summed in memory by the API), so a scan costs the database
nothing on its way. A network is stored as a prefix (/24, /48) and only for the retention:
:func:`prune_scans` drops per-network rows last seen before it; the totals, which name no
network, stay.

Example::

    add_scans(engine, [ScanTally(sale_id, "203.0.113.0/24", 1_800_000_000, 1_800_000_000, 2)],
              rule=CopyRule(networks=5, window_s=3600))
    scan_summary(engine, sale_id)  # ScanSummary(first_at=..., scans=2, networks=1, flagged_at=None)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from ledger.store import models
from ledger.store.change_marks import mark_changed, scans_key

_SCANS = models.ReceiptScan.__table__
_TOTALS = models.ReceiptScanTotal.__table__
#: Receipts per ``IN (...)`` list.
CHUNK = 500


@dataclass(frozen=True)
class ScanTally:
    """`scans` scans of sale `sale_id`'s receipt from `network`, first and last at (Unix s)."""

    sale_id: str
    network: str
    first_at: int
    last_at: int
    scans: int


@dataclass(frozen=True)
class CopyRule:
    """A receipt is possibly copied once `networks` different networks first scanned it within
    `window_s` seconds of each other."""

    networks: int
    window_s: int


@dataclass(frozen=True)
class ScanSummary:
    """A receipt's scans in all; `networks` is the most networks seen within the rule's window
    when it was flagged (0 while not flagged)."""

    sale_id: str
    first_at: int
    last_at: int
    scans: int
    networks: int
    flagged_at: int | None

    @property
    def flagged(self) -> bool:
        return self.flagged_at is not None


def add_scans(engine: Engine, tallies: Sequence[ScanTally], *, rule: CopyRule) -> list[str]:
    """Add `tallies` (at most one per sale and network) in one transaction and flag the sales
    they make look copied under `rule`; answers the sales newly flagged."""
    if not tallies:
        return []
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    per_sale: dict[str, list[ScanTally]] = defaultdict(list)
    for tally in tallies:
        per_sale[tally.sale_id].append(tally)
    # Two-argument MIN/MAX are SQLite's LEAST/GREATEST.
    least, greatest = (func.min, func.max) if dialect is sqlite else (func.least, func.greatest)
    with engine.begin() as conn:
        # executemany: the driver batches the rows, whatever the database's parameter limit.
        scans = dialect.insert(_SCANS)
        scans = scans.on_conflict_do_update(
            index_elements=[_SCANS.c.sale_id, _SCANS.c.network],
            set_={
                "first_at": least(_SCANS.c.first_at, scans.excluded.first_at),
                "last_at": greatest(_SCANS.c.last_at, scans.excluded.last_at),
                "scans": _SCANS.c.scans + scans.excluded.scans,
            },
        )
        conn.execute(scans, [_row(t) for t in tallies])
        totals = dialect.insert(_TOTALS)
        totals = totals.on_conflict_do_update(
            index_elements=[_TOTALS.c.sale_id],
            set_={
                "first_at": least(_TOTALS.c.first_at, totals.excluded.first_at),
                "last_at": greatest(_TOTALS.c.last_at, totals.excluded.last_at),
                "scans": _TOTALS.c.scans + totals.excluded.scans,
            },
        )
        conn.execute(
            totals,
            [
                {
                    "sale_id": sale,
                    "first_at": min(t.first_at for t in group),
                    "last_at": max(t.last_at for t in group),
                    "scans": sum(t.scans for t in group),
                    "networks": 0,
                    "flagged_at": None,
                }
                for sale, group in per_sale.items()
            ],
        )
        now = max(t.last_at for t in tallies)
        flagged = _judge(conn, sorted(per_sale), rule, now=now)
        # A receipt's cached page is stale at once when it is flagged; its count may lag by the
        # cache's SCAN_COUNT_FRESH_S (api.routes.resolver). Marking every scanned receipt on each
        # write would make every busy receipt's page be made again after each write.
        mark_changed(conn, [scans_key(sale) for sale in flagged], now)
        return flagged


def _row(tally: ScanTally) -> dict[str, object]:
    return {
        "sale_id": tally.sale_id,
        "network": tally.network,
        "first_at": tally.first_at,
        "last_at": tally.last_at,
        "scans": tally.scans,
    }


def _judge(conn: Connection, sales: list[str], rule: CopyRule, *, now: int) -> list[str]:
    """Flag those of `sales` (not flagged yet) scanned from enough networks within the rule's
    window. Only receipts with at least that many networks in all are looked at closer: a real
    receipt (one or two networks) costs one grouped count."""
    flagged = []
    for chunk in (sales[i : i + CHUNK] for i in range(0, len(sales), CHUNK)):
        candidates = list(
            conn.execute(
                select(_SCANS.c.sale_id)
                .join(_TOTALS, _TOTALS.c.sale_id == _SCANS.c.sale_id)
                .where(_SCANS.c.sale_id.in_(chunk), _TOTALS.c.flagged_at.is_(None))
                .group_by(_SCANS.c.sale_id)
                .having(func.count() >= rule.networks)
            ).scalars()
        )
        if not candidates:
            continue
        firsts: dict[str, list[int]] = defaultdict(list)
        query = select(_SCANS.c.sale_id, _SCANS.c.first_at).where(_SCANS.c.sale_id.in_(candidates))
        for sale, first_at in conn.execute(query):
            firsts[sale].append(int(first_at))
        for sale in candidates:
            within = most_within(sorted(firsts[sale]), rule.window_s)
            if within >= rule.networks:
                values = {"networks": within, "flagged_at": now}
                conn.execute(update(_TOTALS).where(_TOTALS.c.sale_id == sale).values(**values))
                flagged.append(sale)
    return flagged


def most_within(times: Sequence[int], window_s: int) -> int:
    """The most of sorted `times` that lie within `window_s` seconds of each other.

    >>> most_within([0, 10, 20, 5000, 5001], 60)
    3
    """
    best, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] > window_s:
            start += 1
        best = max(best, end - start + 1)
    return best


def scan_summary(engine: Engine, sale_id: str) -> ScanSummary | None:
    """Sale `sale_id`'s receipt scans in all (None: never scanned, as far as stored)."""
    with engine.connect() as conn:
        row = conn.execute(select(_TOTALS).where(_TOTALS.c.sale_id == sale_id)).mappings().first()
    return None if row is None else _summary(row)


def suspect_receipts(engine: Engine, *, limit: int = 500, since: int | None = None) -> list[ScanSummary]:
    """The receipts flagged as possibly copied (since `since`), newest flag first."""
    query = select(_TOTALS).where(_TOTALS.c.flagged_at.is_not(None))
    if since is not None:
        query = query.where(_TOTALS.c.flagged_at >= since)
    query = query.order_by(_TOTALS.c.flagged_at.desc(), _TOTALS.c.sale_id).limit(limit)
    with engine.connect() as conn:
        return [_summary(row) for row in conn.execute(query).mappings()]


def prune_scans(engine: Engine, before: int) -> int:
    """Drop the per-network rows last seen before `before`; answers how many."""
    with engine.begin() as conn:
        return conn.execute(delete(_SCANS).where(_SCANS.c.last_at < before)).rowcount or 0


def _summary(row: Iterable) -> ScanSummary:
    r = dict(row)  # type: ignore[call-overload]
    return ScanSummary(
        sale_id=r["sale_id"],
        first_at=int(r["first_at"]),
        last_at=int(r["last_at"]),
        scans=int(r["scans"]),
        networks=int(r["networks"]),
        flagged_at=None if r["flagged_at"] is None else int(r["flagged_at"]),
    )
