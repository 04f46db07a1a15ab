"""trace_forward: what a recall must cover."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select, text

from ledger import demo
from ledger.errors import NotFound
from ledger.queries import trace_forward
from ledger.queries.rows import Parties, batch_rows, sale_view
from ledger.queries.views import Party, SaleView, sale_views
from ledger.store import models
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


def test_sales_built_in_bulk_equal_those_built_one_by_one() -> None:
    fields = ("0x01", 3, "0x02", "06901234000017", "L-1", Party("0xab", "Stall"), 2, "KGM", 3800, "CNY", 7, 9, "0x03")
    (bulk,) = sale_views([fields])
    single = SaleView(*fields)
    assert bulk == single and hash(bulk) == hash(single) and repr(bulk) == repr(single)
    with pytest.raises(dataclasses.FrozenInstanceError):
        bulk.quantity = 5  # type: ignore[misc]


def test_trace_forward_sales_equal_the_one_sale_views(demo_market: DemoMarket) -> None:
    result = trace_forward(demo_market.engine, demo_market.batch(demo.STRAWBERRY_GTIN, "SB-2611-07"))
    with demo_market.engine.connect() as conn:
        rows = conn.execute(select(models.Sale.__table__).order_by(text("block_number, log_index"))).mappings().all()
        parties = Parties(conn, [row["vendor"] for row in rows])
        batches = batch_rows(conn, [row["batch_id"] for row in rows])
        expected = [sale_view(row, batches[row["batch_id"]], parties) for row in rows]
    traced = {result.batch.batch_id, *(b.batch_id for b in result.descendants)}
    assert result.sales == [view for view in expected if view.batch_id in traced]
