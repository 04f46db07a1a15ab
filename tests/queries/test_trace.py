"""trace_forward: what a recall must cover."""

from __future__ import annotations

import pytest

from ledger import demo
from ledger.errors import NotFound
from ledger.queries import trace_forward
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
