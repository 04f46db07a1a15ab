"""What the market's touchscreen asks: which catalogued products a name (in any language)
means, and which stalls have a product in stock now, with price, origin and latest test."""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, select

from ledger.queries.rows import Parties, batch_view
from ledger.queries.stalls import stock_lot, vendor_rows
from ledger.queries.views import StockLot
from ledger.store import models
from ledger.store.products import ProductRecord
from ledger.vocabulary import ACTIVE

_BATCHES = models.Batch.__table__
_SALES = models.Sale.__table__


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip()


def matching_products(catalog: Iterable[ProductRecord], query: str) -> list[ProductRecord]:
    """Products whose name, in any language, contains `query` (case and width folded)."""
    wanted = _folded(query)
    if not wanted:
        return []
    return [p for p in catalog if any(wanted in _folded(name) for name in (p.name, *p.names.values()))]


@dataclass(frozen=True)
class StockOffer:
    """A lot of a product a stall has for sale now, with the stall's latest price of the
    product (minor units per unit, from its latest sale; None before any sale)."""

    stall: str
    lot: StockLot
    unit_price: int | None
    currency: str | None


def stock_offers(engine: Engine, gtins: Collection[str], *, limit: int = 100) -> list[StockOffer]:
    """Lots of `gtins` that active stalls hold for sale now (not quarantined, recalled or on
    their way), newest first, each with its origins, latest test and the stall's last price."""
    if not gtins:
        return []
    with engine.connect() as conn:
        stalls = {r["address"] for r in vendor_rows(conn, include_suspended=False)}
        if not stalls:
            return []
        rows = list(
            conn.execute(
                select(_BATCHES)
                .where(
                    _BATCHES.c.gtin.in_(list(gtins)),
                    _BATCHES.c.remaining > 0,
                    _BATCHES.c.status == ACTIVE,
                    _BATCHES.c.pending_recipient.is_(None),
                    _BATCHES.c.custodian.in_(sorted(stalls)),
                )
                .order_by(_BATCHES.c.created_block.desc())
                .limit(limit)
            ).mappings()
        )
        parties = Parties(conn, [r["custodian"] for r in rows])
        offers = []
        for row in rows:
            price = conn.execute(
                select(_SALES.c.price, _SALES.c.quantity, _SALES.c.currency)
                .join(_BATCHES, _BATCHES.c.batch_id == _SALES.c.batch_id)
                .where(_SALES.c.vendor == row["custodian"], _BATCHES.c.gtin == row["gtin"])
                .order_by(_SALES.c.block_number.desc(), _SALES.c.log_index.desc())
                .limit(1)
            ).first()
            lot = stock_lot(conn, row, batch_view(row, parties))
            unit_price = int(price.price) // int(price.quantity) if price is not None and price.quantity else None
            offers.append(StockOffer(row["custodian"], lot, unit_price, price.currency if price else None))
    return offers
