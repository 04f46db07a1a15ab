"""prices (median and range of unit prices, market-wide and per stall) and supply (accepted
hand-offs and customs imports) of a market day."""

from __future__ import annotations

from ledger.queries.days import day_window
from ledger.queries.prices import prices, supply
from tests.factories.market import GTIN, OTHER_GTIN
from tests.queries.conftest import SHANGHAI, Indexed


def test_prices_market_wide_are_median_and_range_of_unit_prices(indexed: Indexed) -> None:
    start, end = day_window(indexed.day(), SHANGHAI)
    found = {(p.gtin, p.vendor): p for p in prices(indexed.engine, start, end, SHANGHAI)}
    assert set(found) == {(GTIN, None), (OTHER_GTIN, None)}
    greens = found[GTIN, None]
    # Unit prices 600, 700, 500 (Stall A12) and 800 (Stall B03): median of four is 650.
    assert (greens.sales, greens.quantity, greens.median, greens.low, greens.high) == (4, 7, 650, 500, 800)
    assert (greens.unit, greens.currency, greens.day) == ("KGM", "CNY", indexed.day())
    assert greens.lots == ("MK-GREENS-1", "MK-GREENS-3")
    durian = found[OTHER_GTIN, None]
    assert (durian.sales, durian.quantity, durian.median, durian.low, durian.high) == (2, 3, 3100, 3000, 3200)


def test_prices_per_stall_and_at_one_stall(indexed: Indexed) -> None:
    m = indexed.market
    start, end = day_window(indexed.day(), SHANGHAI)
    per_stall = {(p.gtin, p.vendor): p.median for p in prices(indexed.engine, start, end, SHANGHAI, by_stall=True)}
    assert per_stall == {
        (GTIN, m.vendor.address): 600,
        (GTIN, m.vendor2.address): 800,
        (OTHER_GTIN, m.vendor2.address): 3100,
    }
    (only,) = prices(indexed.engine, start, end, SHANGHAI, vendor=m.vendor.address)
    assert (only.gtin, only.vendor, only.median, only.low, only.high, only.sales) == (
        GTIN,
        m.vendor.address,
        600,
        500,
        700,
        3,
    )


def test_prices_outside_the_window_are_not_counted(indexed: Indexed) -> None:
    first_sale = indexed.block_times("sales")[0]
    assert prices(indexed.engine, 0, first_sale, SHANGHAI) == []
    last_sale = indexed.block_times("sales")[-1]
    after = prices(indexed.engine, last_sale, last_sale + 1, SHANGHAI)
    assert sum(p.sales for p in after) >= 1
    assert prices(indexed.engine, last_sale + 1, last_sale + 86_400, SHANGHAI) == []


def test_supply_sums_accepted_hand_offs_and_imports_per_product(indexed: Indexed) -> None:
    start, end = day_window(indexed.day(), SHANGHAI)
    found = {s.gtin: s for s in supply(indexed.engine, start, end, SHANGHAI)}
    greens, durian = found[GTIN], found[OTHER_GTIN]
    assert (greens.received, greens.handoffs, greens.imported, greens.imports, greens.total) == (170, 3, 0, 0, 170)
    assert greens.lots == ("MK-GREENS-1", "MK-GREENS-2", "MK-GREENS-3")
    assert (durian.received, durian.handoffs, durian.imported, durian.imports, durian.total) == (30, 1, 30, 1, 60)
    assert supply(indexed.engine, 0, indexed.block_times("custody_events")[0], SHANGHAI) == []
