"""The market board's queries: one market day's prices, arrivals, lab tests and alerts, the
stall directory, the screen above one stall, and the regulators' view of stalls.

A market day is a half-open window ``[start, end)`` of Unix seconds, from :func:`day_window`
in the market's time zone; each query is an index range scan over ``block_time``
(``ix_sales_block_time``, ``ix_inspections_block_time``, ``ix_custody_events_kind_time``,
``ix_imports_block_time``, ``ix_recalls_block_time``), so a day costs what that day holds,
not what the database holds. Medians are computed in Python: neither SQLite nor PostgreSQL
share a median aggregate, and a day's sales of one product are few.

Prices are per unit of the batch's unit (``KGM``, ``H87``) in minor units of the currency,
from each sale's price divided by its quantity; a product's median and range are over its
sales of the day. Arrivals are the quantities of accepted hand-offs and customs imports: a lot
moved farm -> wholesaler -> stall arrives twice (at each receiving party), as the market's
weighbridge would count it.

Participants have no location field on-chain (``ParticipantRegistered`` carries a name and a
GLN or licence number). A stall's place in the market and its owner are read from its
registered name when the authority writes them there, as the market's own signs do: ``Stall
A12 Fresh Greens (Wang Li)`` is place ``A12``, owner ``Wang Li``, sign ``Stall A12 Fresh
Greens``; the licence is the registered identifier. See :func:`describe_stall`.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import Engine, case, func, select
from sqlalchemy.engine import Connection

from ledger.errors import NotFound
from ledger.queries.lineage import ancestors
from ledger.queries.rows import IN_CHUNK, Parties, as_of_block, batch_rows
from ledger.queries.views import Party
from ledger.store import models
from ledger.store.ratings import StallRating, stall_ratings
from ledger.vocabulary import ROLE_BITS, Residue, shown_status

_PARTICIPANTS = models.Participant.__table__
_BATCHES = models.Batch.__table__
_SALES = models.Sale.__table__
_CUSTODY = models.CustodyEvent.__table__
_IMPORTS = models.Import.__table__
_HARVESTS = models.Harvest.__table__
_INSPECTIONS = models.Inspection.__table__
_RESIDUES = models.Residue.__table__
_RECALLS = models.Recall.__table__
_RELEASES = models.QuarantineRelease.__table__
_CHECKPOINT = models.Checkpoint.__table__

#: The participant record's role bit of a vendor (a stall).
VENDOR_BIT = ROLE_BITS["VENDOR"]

# "Stall A12 ...", "摊位 A12", "A12号摊位", "매장 A12": a row letter or two and a number.
_PLACE = re.compile(r"(?:stall|摊位|摊|档口|매장|점포)\s*(?:no\.?\s*)?([A-Z]{1,2}-?\d{1,4})\b", re.IGNORECASE)
_PLACE_BEFORE = re.compile(r"\b([A-Z]{1,2}-?\d{1,4})\s*号?(?:摊位|档口)")
# A trailing "(Wang Li)", or the same in full-width parentheses (U+FF08, U+FF09).
_OWNER = re.compile(r"\s*[(\uff08]([^()\uff08\uff09]+)[)\uff09]\s*$")


# ------------------------------------------------------------------ views


@dataclass(frozen=True)
class StallName:
    """A stall's registered name read as its sign, its place in the market and its owner."""

    sign: str
    place: str | None
    owner: str | None


@dataclass(frozen=True)
class PriceRow:
    """One product's prices on one day, market-wide (``vendor`` None) or at one stall.

    ``median``, ``low`` and ``high`` are per unit of ``unit``, in minor units of ``currency``
    (rounded to a whole minor unit); ``sales`` is how many sales, ``quantity`` how much sold.
    """

    day: date
    gtin: str
    unit: str
    currency: str
    vendor: str | None
    sales: int
    quantity: int
    median: int
    low: int
    high: int
    lots: tuple[str, ...]


@dataclass(frozen=True)
class SupplyRow:
    """One product's arrivals on one day: accepted hand-offs and customs imports."""

    day: date
    gtin: str
    unit: str
    received: int
    handoffs: int
    imported: int
    imports: int
    lots: tuple[str, ...]

    @property
    def total(self) -> int:
        return self.received + self.imported


@dataclass(frozen=True)
class BoardInspection:
    """A lab test as the board shows it: the lot, its product, who holds it now, the verdict."""

    batch_id: str
    gtin: str
    lot: str
    holder: Party
    lab: Party
    passed: bool
    time: int
    residues: list[Residue]


@dataclass(frozen=True)
class LotAlert:
    """A lot quarantined (failed test) or recalled in the window, and whether it still is."""

    kind: str  # quarantined or recalled
    batch_id: str
    gtin: str
    lot: str
    holder: Party
    time: int
    reason: str  # the recall's reason; for a quarantine, the substances over their limits
    status: str  # the lot's status now: quarantined, recalled, active (released), ...
    residues: list[Residue]
    block_number: int
    log_index: int


@dataclass(frozen=True)
class StallEntry:
    """One stall of the directory."""

    address: str
    name: str
    sign: str
    place: str | None
    owner: str | None
    licence: str
    suspended: bool
    rating: StallRating


@dataclass(frozen=True)
class StockLot:
    """A lot a stall holds now: where it came from and its latest lab test (its own or the
    nearest ancestor's)."""

    batch_id: str
    gtin: str
    lot: str
    unit: str
    remaining: int
    status: str
    origins: list[str]  # farm names (harvests) or ISO country codes (imports)
    origin_kinds: list[str]  # harvest or import, one per origin
    last_inspection: BoardInspection | None


@dataclass(frozen=True)
class StallScreen:
    stall: StallEntry
    stock: list[StockLot]
    prices: list[PriceRow]
    as_of_block: int | None


@dataclass(frozen=True)
class StallOversight:
    """What a regulator sees per stall: ratings next to the lab tests of its lots."""

    stall: StallEntry
    inspections: int
    failed_inspections: int
    last_failed_at: int | None


# ------------------------------------------------------------------ days and names


def day_window(day: date, tz: tzinfo) -> tuple[int, int]:
    """The market day `day` in zone `tz` as ``[start, end)`` Unix seconds (23 to 25 hours
    long on a daylight-saving change)."""
    start = datetime.combine(day, time(0), tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tz)
    return int(start.timestamp()), int(end.timestamp())


def market_day(timestamp: float, tz: tzinfo) -> date:
    """The market day (in `tz`) that `timestamp` falls on."""
    return datetime.fromtimestamp(timestamp, tz).date()


def describe_stall(name: str) -> StallName:
    """A stall's sign, place and owner read from its registered name (see the module notes).

    >>> describe_stall("Stall A12 Fresh Greens (Wang Li)")
    StallName(sign='Stall A12 Fresh Greens', place='A12', owner='Wang Li')
    >>> describe_stall("Fruit Corner")
    StallName(sign='Fruit Corner', place=None, owner=None)
    """
    sign, owner = name.strip(), None
    if match := _OWNER.search(sign):
        owner, sign = match.group(1).strip(), sign[: match.start()].strip() or sign
    match = _PLACE.search(sign) or _PLACE_BEFORE.search(sign)
    return StallName(sign, match.group(1).upper() if match else None, owner)


def checkpoint(engine: Engine) -> tuple[int, str] | None:
    """The indexer's checkpoint (block number and hash): every chain-derived answer here stays
    the same until it moves, so callers may cache by it (the hash covers a reorg to the same
    height)."""
    with engine.connect() as conn:
        row = conn.execute(select(_CHECKPOINT.c.block_number, _CHECKPOINT.c.block_hash)).first()
    return (int(row.block_number), row.block_hash) if row else None


# ------------------------------------------------------------------ prices and supply


def prices(
    engine: Engine, start: int, end: int, tz: tzinfo, *, vendor: str | None = None, by_stall: bool = False
) -> list[PriceRow]:
    """Per product and day in ``[start, end)``: the median and range of the unit price of its
    sales, market-wide, or per stall with `by_stall`, or at one stall with `vendor`."""
    query = (
        select(
            _SALES.c.block_time,
            _SALES.c.vendor,
            _SALES.c.quantity,
            _SALES.c.price,
            _SALES.c.currency,
            _BATCHES.c.gtin,
            _BATCHES.c.unit,
            _BATCHES.c.lot,
        )
        .join(_BATCHES, _BATCHES.c.batch_id == _SALES.c.batch_id)
        .where(_SALES.c.block_time >= start, _SALES.c.block_time < end)
    )
    if vendor is not None:
        query = query.where(_SALES.c.vendor == vendor)
    groups: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    with engine.connect() as conn:
        for row in conn.execute(query):
            seller = row.vendor if (by_stall or vendor is not None) else None
            groups[(market_day(row.block_time, tz), row.gtin, row.unit, row.currency, seller)].append(row)
    found = []
    for (day, gtin, unit, currency, seller), rows in groups.items():
        # Floats are exact enough here: a price in minor units divided by a whole quantity,
        # rounded back to a whole minor unit (and four times faster than Fractions).
        unit_prices = [int(r.price) / int(r.quantity) for r in rows]
        found.append(
            PriceRow(
                day=day,
                gtin=gtin,
                unit=unit,
                currency=currency,
                vendor=seller,
                sales=len(rows),
                quantity=sum(int(r.quantity) for r in rows),
                median=round(statistics.median(unit_prices)),
                low=round(min(unit_prices)),
                high=round(max(unit_prices)),
                lots=tuple(sorted({r.lot for r in rows})),
            )
        )
    return sorted(found, key=lambda p: (p.day, p.gtin, p.unit, p.currency, p.vendor or ""))


def supply(engine: Engine, start: int, end: int, tz: tzinfo) -> list[SupplyRow]:
    """Per product and day in ``[start, end)``: quantities received by accepted hand-off and
    registered by customs import."""
    received = (
        select(_CUSTODY.c.block_time, _CUSTODY.c.quantity, _BATCHES.c.gtin, _BATCHES.c.unit, _BATCHES.c.lot)
        .join(_BATCHES, _BATCHES.c.batch_id == _CUSTODY.c.batch_id)
        .where(_CUSTODY.c.kind == "received", _CUSTODY.c.block_time >= start, _CUSTODY.c.block_time < end)
    )
    imported = (
        select(_IMPORTS.c.block_time, _BATCHES.c.quantity, _BATCHES.c.gtin, _BATCHES.c.unit, _BATCHES.c.lot)
        .join(_BATCHES, _BATCHES.c.batch_id == _IMPORTS.c.batch_id)
        .where(_IMPORTS.c.block_time >= start, _IMPORTS.c.block_time < end)
    )
    # day, gtin, unit -> [received, hand-offs, imported, imports, lots]
    totals: dict[tuple[date, str, str], list[Any]] = defaultdict(lambda: [0, 0, 0, 0, set()])
    with engine.connect() as conn:
        for offset, query in ((0, received), (2, imported)):
            for row in conn.execute(query):
                entry = totals[(market_day(row.block_time, tz), row.gtin, row.unit)]
                entry[offset] += int(row.quantity or 0)
                entry[offset + 1] += 1
                entry[4].add(row.lot)
    return [
        SupplyRow(day, gtin, unit, received=r, handoffs=h, imported=i, imports=n, lots=tuple(sorted(lots)))
        for (day, gtin, unit), (r, h, i, n, lots) in sorted(totals.items())
    ]


# ------------------------------------------------------------------ lab tests and alerts


def inspections_between(engine: Engine, start: int, end: int, *, limit: int = 200) -> list[BoardInspection]:
    """The lab tests recorded in ``[start, end)``, newest first (at most `limit`)."""
    query = (
        select(_INSPECTIONS)
        .where(_INSPECTIONS.c.block_time >= start, _INSPECTIONS.c.block_time < end)
        .order_by(_INSPECTIONS.c.block_time.desc(), _INSPECTIONS.c.log_index.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        rows = list(conn.execute(query).mappings())
        return _inspection_views(conn, rows)


def alerts_between(engine: Engine, start: int, end: int) -> list[LotAlert]:
    """Lots quarantined (a failed test) or recalled in ``[start, end)``, newest first."""
    failed = select(_INSPECTIONS).where(
        _INSPECTIONS.c.block_time >= start, _INSPECTIONS.c.block_time < end, _INSPECTIONS.c.passed.is_(False)
    )
    recalled = select(_RECALLS).where(_RECALLS.c.block_time >= start, _RECALLS.c.block_time < end)
    with engine.connect() as conn:
        failures = list(conn.execute(failed).mappings())
        recalls = list(conn.execute(recalled).mappings())
        batches = batch_rows(conn, [r["batch_id"] for r in (*failures, *recalls)])
        parties = Parties(conn, [b["custodian"] for b in batches.values()])
        residues = _residues(conn, failures)
        alerts = [
            _alert("quarantined", r, batches[r["batch_id"]], parties, residues.get(_key(r), []), reason="")
            for r in failures
        ]
        alerts += [_alert("recalled", r, batches[r["batch_id"]], parties, [], reason=r["reason"]) for r in recalls]
    return sorted(alerts, key=lambda a: (-a.block_number, -a.log_index))


def _alert(
    kind: str,
    row: Mapping[str, Any],
    batch: Mapping[str, Any],
    parties: Parties,
    residues: list[Residue],
    reason: str,
) -> LotAlert:
    over = [r for r in residues if r.exceeded]
    if not reason and over:
        reason = ", ".join(f"{r.substance} {r.measured}/{r.limit} {r.unit}" for r in over)
    return LotAlert(
        kind=kind,
        batch_id=row["batch_id"],
        gtin=batch["gtin"],
        lot=batch["lot"],
        holder=parties[batch["custodian"]],
        time=int(row["block_time"]),
        reason=reason,
        status=batch["status"],
        residues=over or residues,
        block_number=int(row["block_number"]),
        log_index=int(row["log_index"]),
    )


def _key(row: Mapping[str, Any]) -> tuple[int, int]:
    return int(row["block_number"]), int(row["log_index"])


def _residues(conn: Connection, inspections: list[Mapping[str, Any]]) -> dict[tuple[int, int], list[Residue]]:
    """The residues of each inspection, by (block, log index), through the residues' primary key."""
    found: dict[tuple[int, int], list[Residue]] = {}
    keys = sorted({_key(i) for i in inspections})
    for begin in range(0, len(keys), IN_CHUNK):
        chunk = keys[begin : begin + IN_CHUNK]
        blocks = sorted({b for b, _ in chunk})
        query = (
            select(_RESIDUES)
            .where(_RESIDUES.c.block_number.in_(blocks))
            .order_by(_RESIDUES.c.block_number, _RESIDUES.c.log_index, _RESIDUES.c.position)
        )
        wanted = set(chunk)
        for r in conn.execute(query).mappings():
            if _key(r) in wanted:
                found.setdefault(_key(r), []).append(Residue.from_row(r))
    return found


def _inspection_views(conn: Connection, rows: list[Mapping[str, Any]]) -> list[BoardInspection]:
    batches = batch_rows(conn, [r["batch_id"] for r in rows])
    parties = Parties(conn, [*(b["custodian"] for b in batches.values()), *(r["lab"] for r in rows)])
    residues = _residues(conn, rows)
    return [
        BoardInspection(
            batch_id=r["batch_id"],
            gtin=batches[r["batch_id"]]["gtin"],
            lot=batches[r["batch_id"]]["lot"],
            holder=parties[batches[r["batch_id"]]["custodian"]],
            lab=parties[r["lab"]],
            passed=bool(r["passed"]),
            time=int(r["block_time"]),
            residues=residues.get(_key(r), []),
        )
        for r in rows
    ]


# ------------------------------------------------------------------ stalls


def stall_directory(engine: Engine, *, include_suspended: bool = True) -> list[StallEntry]:
    """Every participant holding the vendor role, by place in the market, then name."""
    query = select(_PARTICIPANTS).where(_PARTICIPANTS.c.roles.op("&")(VENDOR_BIT) != 0)
    if not include_suspended:
        query = query.where(_PARTICIPANTS.c.suspended.is_(False))
    with engine.connect() as conn:
        rows = list(conn.execute(query).mappings())
    return _entries(engine, rows)


def _entries(engine: Engine, rows: Iterable[Mapping[str, Any]]) -> list[StallEntry]:
    rows = list(rows)
    ratings = stall_ratings(engine, [r["address"] for r in rows])
    entries = []
    for row in rows:
        named = describe_stall(row["name"])
        entries.append(
            StallEntry(
                address=row["address"],
                name=row["name"],
                sign=named.sign,
                place=named.place,
                owner=named.owner,
                licence=row["identifier"],
                suspended=bool(row["suspended"]),
                rating=ratings[row["address"]],
            )
        )
    return sorted(entries, key=lambda e: (e.place is None, e.place or "", e.sign, e.address))


def stall_entry(engine: Engine, address: str) -> StallEntry:
    """One stall's directory entry; :class:`NotFound` for an address that is not a vendor."""
    query = select(_PARTICIPANTS).where(_PARTICIPANTS.c.address == address)
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    if row is None or not int(row["roles"]) & VENDOR_BIT:
        raise NotFound(f"no stall {address}")
    return _entries(engine, [row])[0]


#: Lots a stall's screen lists, newest first: more than a stall holds, fewer than a screen
#: could not show anyway.
STOCK_LIMIT = 40


def stall_screen(
    engine: Engine, address: str, start: int, end: int, tz: tzinfo, *, stock_limit: int = STOCK_LIMIT
) -> StallScreen:
    """The screen above stall `address`: its entry, its newest `stock_limit` lots in stock with
    origins and latest lab test per lot, and its prices of the day ``[start, end)``."""
    entry = stall_entry(engine, address)
    with engine.connect() as conn:
        stock_rows = list(
            conn.execute(
                select(_BATCHES)
                .where(_BATCHES.c.custodian == address, _BATCHES.c.remaining > 0)
                .order_by(_BATCHES.c.created_block.desc())
                .limit(stock_limit)
            ).mappings()
        )
        stock = [_stock_lot(conn, row) for row in stock_rows]
        block = as_of_block(conn)
    return StallScreen(entry, stock, prices(engine, start, end, tz, vendor=address), block)


def _stock_lot(conn: Connection, row: Mapping[str, Any]) -> StockLot:
    lineage = ancestors(conn, row["batch_id"])
    ids = sorted(lineage)
    origins: list[tuple[int, str, str]] = []  # (block, kind, text)
    harvests = select(_HARVESTS.c.block_number, _HARVESTS.c.supplier).where(_HARVESTS.c.batch_id.in_(ids))
    farms = list(conn.execute(harvests))
    parties = Parties(conn, [f.supplier for f in farms])
    origins += [(f.block_number, "harvest", parties[f.supplier].name or f.supplier) for f in farms]
    imports = select(_IMPORTS.c.block_number, _IMPORTS.c.origin_country).where(_IMPORTS.c.batch_id.in_(ids))
    origins += [(i.block_number, "import", i.origin_country) for i in conn.execute(imports)]
    origins.sort()
    # The latest test of the lot itself, else of its nearest tested ancestor.
    tests = list(
        conn.execute(
            select(_INSPECTIONS)
            .where(_INSPECTIONS.c.batch_id.in_(ids))
            .order_by(_INSPECTIONS.c.block_number.desc(), _INSPECTIONS.c.log_index.desc())
        ).mappings()
    )
    tests.sort(key=lambda t: lineage[t["batch_id"]])  # stable: newest first within one depth
    last = _inspection_views(conn, tests[:1])
    return StockLot(
        batch_id=row["batch_id"],
        gtin=row["gtin"],
        lot=row["lot"],
        unit=row["unit"],
        remaining=int(row["remaining"]),
        status=shown_status(row["status"], row["pending_recipient"]),
        origins=[text for _, _, text in origins],
        origin_kinds=[kind for _, kind, _ in origins],
        last_inspection=last[0] if last else None,
    )


def stall_oversight(engine: Engine) -> list[StallOversight]:
    """Per stall, its rating next to the lab tests of every lot it has held (received by
    hand-off, or holds now, e.g. its own repacks), failed tests first."""
    with engine.connect() as conn:
        vendors = list(
            conn.execute(select(_PARTICIPANTS).where(_PARTICIPANTS.c.roles.op("&")(VENDOR_BIT) != 0)).mappings()
        )
        addresses = [v["address"] for v in vendors]
        # The stall filter sits inside each half of the union: SQLite does not push it down.
        held = (
            select(_CUSTODY.c.to_address.label("vendor"), _CUSTODY.c.batch_id)
            .where(_CUSTODY.c.kind == "received", _CUSTODY.c.to_address.in_(addresses))
            .union(select(_BATCHES.c.custodian, _BATCHES.c.batch_id).where(_BATCHES.c.custodian.in_(addresses)))
            .subquery()
        )
        failed = _INSPECTIONS.c.passed.is_(False)
        counts = (
            select(
                held.c.vendor,
                func.count(_INSPECTIONS.c.block_number),
                func.sum(case((failed, 1), else_=0)),
                func.max(case((failed, _INSPECTIONS.c.block_time), else_=None)),
            )
            .select_from(held.join(_INSPECTIONS, _INSPECTIONS.c.batch_id == held.c.batch_id))
            .group_by(held.c.vendor)
        )
        tallies = {row[0]: row[1:] for row in conn.execute(counts)} if vendors else {}
    found = []
    for entry in _entries(engine, vendors):
        total, failed, last_failed = tallies.get(entry.address, (0, 0, None))
        found.append(
            StallOversight(
                stall=entry,
                inspections=int(total or 0),
                failed_inspections=int(failed or 0),
                last_failed_at=int(last_failed) if last_failed else None,
            )
        )
    return sorted(
        found, key=lambda o: (-o.failed_inspections, o.stall.place is None, o.stall.place or "", o.stall.sign)
    )
