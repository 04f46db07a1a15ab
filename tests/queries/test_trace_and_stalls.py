"""trace_forward (what a recall must cover) and stall_profile (the screen above a stall)."""

from __future__ import annotations

import pytest

from ledger import demo
from ledger.errors import NotFound
from ledger.queries import stall_profile, trace_forward
from tests.queries.conftest import DemoMarket


def test_trace_forward_from_the_strawberry_lot_reaches_its_stall(demo_market: DemoMarket) -> None:
    result = trace_forward(demo_market.engine, demo_market.batch(demo.STRAWBERRY_GTIN, "SB-2611-07"))
    assert result.batch.lot == "SB-2611-07"
    assert sorted(b.lot for b in result.descendants) == ["SB-2611-07-A", "SB-2611-07-B"]
    assert [(s.lot, s.serial, s.quantity, s.vendor.name) for s in result.sales] == [
        ("SB-2611-07-A", 1, 1, "Stall B03 Fruit Corner (Chen Mei)"),
        ("SB-2611-07-A", 2, 2, "Stall B03 Fruit Corner (Chen Mei)"),
        ("SB-2611-07-A", 3, 1, "Stall B03 Fruit Corner (Chen Mei)"),
    ]
    assert [p.name for p in result.stalls] == ["Stall B03 Fruit Corner (Chen Mei)"]
    assert {p.name for p in result.holders} == {"West Lake Produce Wholesale", "Stall B03 Fruit Corner (Chen Mei)"}
    assert {b.status for b in result.descendants} == {"recalled"}


def test_trace_forward_of_a_leaf_has_no_descendants(demo_market: DemoMarket) -> None:
    result = trace_forward(demo_market.engine, demo_market.batch(demo.GREENS_GTIN, "GV-2611-01-B"))
    assert result.descendants == []
    assert result.sales == []


def test_trace_forward_of_unknown_batch_is_not_found(demo_market: DemoMarket) -> None:
    with pytest.raises(NotFound):
        trace_forward(demo_market.engine, "0x" + "11" * 32)


def test_stall_profile_shows_stock_inspections_and_sales(demo_market: DemoMarket) -> None:
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


def test_stall_profile_of_unknown_address_is_not_found(demo_market: DemoMarket) -> None:
    with pytest.raises(NotFound):
        stall_profile(demo_market.engine, "0x" + "22" * 20)
