"""The stall directory, one stall's entry with its ratings, and the screen above a stall
(``stall_profile``) on the board market and on the demo market."""

from __future__ import annotations

import pytest

from ledger.errors import NotFound
from ledger.queries.days import day_window
from ledger.queries.stalls import stall_directory, stall_entry, stall_profile
from ledger.store.ratings import StallRating, add_rating
from tests.factories.market import GTIN, OTHER_GTIN
from tests.queries.conftest import SHANGHAI, DemoMarket, Indexed


def test_stall_directory_reads_name_licence_and_ratings(indexed: Indexed) -> None:
    m = indexed.market
    stalls = stall_directory(indexed.engine)
    # Place and owner are read from the name by the pages (tests/api/pages/test_stall_names.py).
    assert [(s.name, s.licence, s.suspended) for s in stalls] == [
        ("Stall A12", "JY33010600012345", False),
        ("Stall B03", "JY33010600067890", False),
    ]
    assert {s.rating for s in stalls} == {StallRating(0, None)}
    with pytest.raises(NotFound):
        stall_entry(indexed.engine, m.supplier.address)  # a farm is no stall


def test_stall_entry_counts_ratings_without_a_mean_under_five(indexed: Indexed) -> None:
    m = indexed.market
    sales = indexed.sale_ids(m.vendor2.address)
    for sale_id, stars in zip(sales, (5, 4, 4), strict=True):
        add_rating(indexed.engine, sale_id, stars)
    assert stall_entry(indexed.engine, m.vendor2.address).rating == StallRating(3, None)
    for sale_id, stars in zip(indexed.sale_ids(m.vendor.address), (5, 3), strict=False):
        add_rating(indexed.engine, sale_id, stars)
    assert stall_entry(indexed.engine, m.vendor2.address).rating == StallRating(3, None)
    add_rating(indexed.engine, indexed.sale_ids(m.vendor.address)[2], 5)
    assert stall_entry(indexed.engine, m.vendor.address).rating == StallRating(3, None)


def test_stall_profile_shows_stock_with_origins_last_tests_and_prices(indexed: Indexed) -> None:
    m = indexed.market
    start, end = day_window(indexed.day(), SHANGHAI)
    screen = stall_profile(indexed.engine, m.vendor2.address, start, end, SHANGHAI)
    assert screen.stall.name == "Stall B03" and screen.stall.address == m.vendor2.address
    stock = {lot.lot: lot for lot in screen.stock}
    assert set(stock) == {"MK-GREENS-2", "MK-GREENS-3", "MK-DUR-1"}
    assert (stock["MK-DUR-1"].origins, stock["MK-DUR-1"].origin_kinds) == (["TH"], ["import"])
    assert stock["MK-DUR-1"].remaining == 27 and stock["MK-DUR-1"].last_inspection is None
    assert stock["MK-GREENS-3"].origins == ["Green Valley Farm"]
    failing = stock["MK-GREENS-2"]
    assert (failing.status, failing.origins) == ("recalled", ["West Lake Wholesale"])
    assert failing.last_inspection is not None and failing.last_inspection.passed is False
    assert [(p.gtin, p.median) for p in screen.prices] == [(GTIN, 800), (OTHER_GTIN, 3100)]
    assert screen.as_of_block is not None
    a12 = stall_profile(indexed.engine, m.vendor.address, start, end, SHANGHAI)
    (greens,) = a12.stock
    assert (greens.lot, greens.remaining, greens.last_inspection.passed) == ("MK-GREENS-1", 94, True)  # type: ignore[union-attr]


def test_stall_profile_shows_stock_inspections_and_sales_of_the_demo(demo_market: DemoMarket) -> None:
    profile = stall_profile(demo_market.engine, demo_market.cast.stall_a.address)
    assert profile.vendor.name == "Stall A12 Fresh Greens (Wang Li)"
    assert profile.vendor.identifier == "JY33010600012345"
    assert [(b.lot, b.remaining, b.unit) for b in profile.stock] == [  # newest first
        ("SC-2611-02-A", 225, "H87"),
        ("SP-2611-03-A", 36, "KGM"),
        ("GV-2611-01-A", 38, "KGM"),
    ]
    assert [(i.lot, i.passed, i.lab.name) for i in profile.recent_inspections] == [
        ("SP-2611-03-A", True, "Market On-site Food Safety Lab"),
        ("GV-2611-01-A", True, "Market On-site Food Safety Lab"),
    ]
    assert [(s.lot, s.quantity) for s in profile.recent_sales[:3]] == [  # newest first
        ("GV-2611-01-A", 3),
        ("SC-2611-02-A", 3),
        ("SP-2611-03-A", 1),
    ]
    assert len(profile.recent_sales) == 13
    assert not profile.suspended


def test_stall_profile_of_unknown_address_or_a_farm_is_not_found(demo_market: DemoMarket) -> None:
    with pytest.raises(NotFound):
        stall_profile(demo_market.engine, "0x" + "22" * 20)
    with pytest.raises(NotFound):
        stall_profile(demo_market.engine, demo_market.cast.greens_farm.address)  # a farm is no stall
