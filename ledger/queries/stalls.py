"""Market stalls: the directory, one stall's entry, and the screen above a stall.

A stall is a participant holding the vendor role. Participants have no location field
on-chain (``ParticipantRegistered`` carries a name and a GLN or licence number): the entry
carries the registered name as it is, and the pages read a place and an owner from it
(``api.pages.stall_names``); the licence is the registered identifier.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import UTC, tzinfo
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection

from ledger.errors import NotFound
from ledger.queries.board import board_inspections
from ledger.queries.lineage import ancestors
from ledger.queries.prices import prices
from ledger.queries.rows import Parties, batch_rows, batch_view, inspection_key, residue_views, sale_view
from ledger.queries.status import indexed_block
from ledger.queries.views import BatchView, InspectionView, StallEntry, StallProfile, StockLot
from ledger.store import models
from ledger.store.ratings import stall_ratings
from ledger.vocabulary import ROLE_BITS

_PARTICIPANTS = models.Participant.__table__
_BATCHES = models.Batch.__table__
_HARVESTS = models.Harvest.__table__
_IMPORTS = models.Import.__table__
_INSPECTIONS = models.Inspection.__table__
_SALES = models.Sale.__table__

#: The participant record's role bit of a vendor (a stall).
VENDOR_BIT = ROLE_BITS["VENDOR"]
#: Lots a stall's screen lists, newest first: more than a stall holds, fewer than a screen
#: could not show anyway.
STOCK_LIMIT = 40
#: Recent tests and sales a stall's screen lists, newest first.
RECENT = 20


def vendor_rows(conn: Connection, *, include_suspended: bool = True) -> list[Mapping[str, Any]]:
    """The participant rows of every stall."""
    query = select(_PARTICIPANTS).where(_PARTICIPANTS.c.roles.op("&")(VENDOR_BIT) != 0)
    if not include_suspended:
        query = query.where(_PARTICIPANTS.c.suspended.is_(False))
    return list(conn.execute(query).mappings())


def stall_entries(engine: Engine, rows: Iterable[Mapping[str, Any]]) -> list[StallEntry]:
    """Participant rows as directory entries with their ratings, by name, then address."""
    rows = list(rows)
    ratings = stall_ratings(engine, [r["address"] for r in rows])
    entries = [
        StallEntry(
            address=row["address"],
            name=row["name"],
            licence=row["identifier"],
            suspended=bool(row["suspended"]),
            rating=ratings[row["address"]],
        )
        for row in rows
    ]
    return sorted(entries, key=lambda e: (e.name, e.address))


def stall_directory(engine: Engine, *, include_suspended: bool = True) -> list[StallEntry]:
    """Every participant holding the vendor role, by name, then address (the pages order
    them by their place in the market)."""
    with engine.connect() as conn:
        rows = vendor_rows(conn, include_suspended=include_suspended)
    return stall_entries(engine, rows)


def _vendor_row(conn: Connection, address: str) -> Mapping[str, Any]:
    row = conn.execute(select(_PARTICIPANTS).where(_PARTICIPANTS.c.address == address)).mappings().first()
    if row is None or not int(row["roles"]) & VENDOR_BIT:
        raise NotFound(f"no stall {address}")
    return row


def stall_entry(engine: Engine, address: str) -> StallEntry:
    """One stall's directory entry; :class:`NotFound` for an address that is not a vendor."""
    with engine.connect() as conn:
        row = _vendor_row(conn, address)
    return stall_entries(engine, [row])[0]


def stall_profile(
    engine: Engine,
    address: str,
    start: int | None = None,
    end: int | None = None,
    tz: tzinfo = UTC,
    *,
    recent: int = RECENT,
    stock_limit: int = STOCK_LIMIT,
) -> StallProfile:
    """The screen above stall `address`: its licence and rating, its newest `stock_limit` lots
    in stock with origins and the latest lab test per lot, the `recent` latest tests of its
    stock and sales, and its prices of the market day ``[start, end)`` (none without one).

    Raises :class:`NotFound` for an address that is not a vendor.
    """
    with engine.connect() as conn:
        vendor = _vendor_row(conn, address)
        stock_rows = list(
            conn.execute(
                select(_BATCHES)
                .where(_BATCHES.c.custodian == address, _BATCHES.c.remaining > 0)
                .order_by(_BATCHES.c.created_block.desc())
                .limit(stock_limit)
            ).mappings()
        )
        inspections = list(
            conn.execute(
                select(_INSPECTIONS)
                .where(_INSPECTIONS.c.batch_id.in_([row["batch_id"] for row in stock_rows]))
                .order_by(_INSPECTIONS.c.block_number.desc(), _INSPECTIONS.c.log_index.desc())
                .limit(recent)
            ).mappings()
        )
        sales = list(
            conn.execute(
                select(_SALES)
                .where(_SALES.c.vendor == address)
                .order_by(_SALES.c.block_number.desc(), _SALES.c.log_index.desc())
                .limit(recent)
            ).mappings()
        )
        batches = {row["batch_id"]: row for row in stock_rows}
        batches.update(batch_rows(conn, [s["batch_id"] for s in sales if s["batch_id"] not in batches]))
        parties = Parties(
            conn, [address, *(i["lab"] for i in inspections), *(row["pending_recipient"] for row in stock_rows)]
        )
        residues = residue_views(conn, inspections)
        stock = [stock_lot(conn, row, batch_view(row, parties)) for row in stock_rows]
        block = indexed_block(conn)
    (entry,) = stall_entries(engine, [vendor])
    return StallProfile(
        vendor=parties[address],
        roles=int(vendor["roles"]),
        suspended=bool(vendor["suspended"]),
        rating=entry.rating,
        stock=stock,
        recent_inspections=[
            InspectionView(
                batch_id=i["batch_id"],
                lot=batches[i["batch_id"]]["lot"],
                lab=parties[i["lab"]],
                passed=bool(i["passed"]),
                time=int(i["block_time"]),
                block_number=int(i["block_number"]),
                residues=residues.get(inspection_key(i), []),
                report_cid=i["report_cid"],
            )
            for i in inspections
        ],
        recent_sales=[sale_view(s, batches[s["batch_id"]], parties) for s in sales],
        prices=prices(engine, start, end, tz, vendor=address) if start is not None and end is not None else [],
        as_of_block=block,
    )


def stock_lot(conn: Connection, row: Mapping[str, Any], view: BatchView) -> StockLot:
    """Lot `row` (shown as `view`) with its origins and its latest lab test."""
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
    last = board_inspections(conn, tests[:1])
    return StockLot(
        **{f.name: getattr(view, f.name) for f in dataclasses.fields(view)},
        origins=[text for _, _, text in origins],
        origin_kinds=[kind for _, kind, _ in origins],
        last_inspection=last[0] if last else None,
    )
