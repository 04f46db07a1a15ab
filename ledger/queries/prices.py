"""The market's prices and supply of a window of market days (see :mod:`ledger.queries.days`).

Each query is an index range scan over ``block_time`` (``ix_sales_block_time``,
``ix_custody_events_kind_time``, ``ix_imports_block_time``), so a day costs what that day
holds, not what the database holds. Medians are computed in Python: neither SQLite nor
PostgreSQL share a median aggregate, and a day's sales of one product are few.

Prices are per unit of the batch's unit (``KGM``, ``H87``) in minor units of the currency,
from each sale's price divided by its quantity; a product's median and range are over its
sales of the day. Arrivals are the quantities of accepted hand-offs and customs imports: a lot
moved farm -> wholesaler -> stall arrives twice (at each receiving party), as the market's
weighbridge would count it.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date, tzinfo
from typing import Any

from sqlalchemy import Engine, select

from ledger.queries.days import market_day
from ledger.queries.views import PriceRow, SupplyRow
from ledger.store import models

_BATCHES = models.Batch.__table__
_SALES = models.Sale.__table__
_CUSTODY = models.CustodyEvent.__table__
_IMPORTS = models.Import.__table__


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
