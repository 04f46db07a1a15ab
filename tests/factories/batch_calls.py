"""Builders for the batch calls: lots, declarations and lines with valid defaults."""

from __future__ import annotations

from dataclasses import replace

from ledger.chain.freshledger import Declaration, HarvestLot, ImportLine
from tests.factories.market import GTIN, OTHER_GTIN, Market, document_cid, new_lot

HS_DURIAN = "08106000"


def chain_now(market: Market) -> int:
    """The chain's clock (after evm_revert it can run behind the wall clock)."""
    return int(market.ledger.client.w3.eth.get_block("latest")["timestamp"])


def lots(market: Market, count: int, **overrides: object) -> list[HarvestLot]:
    """`count` valid harvest lots of two products."""
    now = chain_now(market)
    made = [
        HarvestLot(
            gtin=(GTIN, OTHER_GTIN)[n % 2],
            lot=new_lot("HL"),
            quantity=10 + n,
            unit="KGM",
            harvested_at=now - 3600 - n,
            origin=f"geo:30.{2300 + n},119.7248",
            document_cid=document_cid(f"plot {n}".encode()),
        )
        for n in range(count)
    ]
    return [replace(lot, **overrides) for lot in made]  # type: ignore[arg-type]


def declaration(market: Market, number: str | None = None, **overrides: object) -> Declaration:
    made = Declaration(
        number=new_lot("DECL") if number is None else number,
        entry_port="CNNGB",
        cleared_at=chain_now(market) - 600,
        importer=market.supplier2.address,
        document_cid=document_cid(b"declaration pdf"),
    )
    return replace(made, **overrides)  # type: ignore[arg-type]


def lines(count: int, **overrides: object) -> list[ImportLine]:
    """`count` valid declaration lines from two countries."""
    made = [
        ImportLine(
            gtin=(OTHER_GTIN, GTIN)[n % 2],
            lot=new_lot("IL"),
            quantity=100 + n,
            unit="KGM",
            origin_country=("TH", "VN")[n % 2],
            hs_code=(HS_DURIAN, "0804503000")[n % 2],
        )
        for n in range(count)
    ]
    return [replace(line, **overrides) for line in made]  # type: ignore[arg-type]
