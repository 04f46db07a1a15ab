"""trace_forward: what a recall must cover."""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson
import pytest
from sqlalchemy import select, text

from ledger import demo
from ledger.chain.events import ChainEvent
from ledger.chain.freshledger import batch_id_of, sale_id_of
from ledger.errors import NotFound
from ledger.gs1 import make_gtin
from ledger.hexes import from_hex, to_hex
from ledger.indexer.sync import write_events
from ledger.queries import trace_forward
from ledger.queries.rows import Parties, batch_rows, batch_view, sale_view
from ledger.queries.views import BatchView, Party, SaleView, draft_class
from ledger.store import models
from ledger.store.writer import CheckpointRecord, IndexStore
from tests.queries.conftest import DemoMarket
from tests.queries.expected_trace import expected_trace
from tests.support.databases import Databases

GTIN = make_gtin("0690123400002")


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


#: One view of each kind, as the values of its fields in order.
VIEW_FIELDS = [
    (
        SaleView,
        ("0x01", 3, "0x02", "06901234000017", "L-1", Party("0xab", "Stall"), 2, "KGM", 3800, "CNY", 7, 9, "0x03"),
    ),
    (BatchView, ("0x02", "06901234000017", "L-1", "KGM", 10, 4, "active", Party("0xab"), None, "split", 7, 9)),
]


def _drafted(cls: type, fields: tuple) -> object:
    """A view of `cls` built as the trace builds them: a draft's fields set in order, then its
    class assigned."""
    view = draft_class(cls)()
    for name, value in zip(cls.__dataclass_fields__, fields, strict=True):
        setattr(view, name, value)
    view.__class__ = cls
    return view


@pytest.mark.parametrize("cls, fields", VIEW_FIELDS)
def test_views_built_as_drafts_equal_those_built_one_by_one(cls: type, fields: tuple) -> None:
    drafted, again = _drafted(cls, fields), _drafted(cls, fields)  # the second on the class's shared keys
    single = cls(*fields)
    for view in (drafted, again):
        assert type(view) is cls and dataclasses.is_dataclass(view)
        assert view == single and hash(view) == hash(single) and repr(view) == repr(single)
        assert vars(view) == vars(single) and list(vars(view)) == list(vars(single))
        assert dataclasses.asdict(view) == dataclasses.asdict(single)
        assert orjson.dumps(view) == orjson.dumps(single)
        with pytest.raises(dataclasses.FrozenInstanceError):
            view.quantity = 5  # type: ignore[attr-defined]
    assert dataclasses.replace(drafted, quantity=99) == dataclasses.replace(single, quantity=99)
    assert vars(drafted) is not vars(again)  # each view its own values


def test_a_draft_class_refuses_a_class_of_another_layout() -> None:
    @dataclasses.dataclass(frozen=True, slots=True)
    class Slotted:
        value: int

    with pytest.raises(TypeError):
        draft_class(Slotted)


def test_trace_forward_of_every_batch_equals_the_trace_built_one_row_at_a_time(demo_market: DemoMarket) -> None:
    with demo_market.engine.connect() as conn:
        batches = conn.execute(select(models.Batch.__table__.c.batch_id)).scalars().all()
    assert len(batches) > 20
    traced_sales = 0
    for batch_id in batches:
        result = trace_forward(demo_market.engine, batch_id)
        assert result == expected_trace(demo_market.engine, batch_id), batch_id
        traced_sales += len(result.sales)
    assert traced_sales > 0


def test_trace_forward_sales_equal_the_one_sale_views(demo_market: DemoMarket) -> None:
    result = trace_forward(demo_market.engine, demo_market.batch(demo.STRAWBERRY_GTIN, "SB-2611-07"))
    with demo_market.engine.connect() as conn:
        rows = conn.execute(select(models.Sale.__table__).order_by(text("block_number, log_index"))).mappings().all()
        parties = Parties(conn, [row["vendor"] for row in rows])
        batches = batch_rows(conn, [row["batch_id"] for row in rows])
        expected = [sale_view(row, batches[row["batch_id"]], parties) for row in rows]
    traced = {result.batch.batch_id, *(b.batch_id for b in result.descendants)}
    assert result.sales == [view for view in expected if view.batch_id in traced]


def test_trace_forward_batches_equal_the_one_batch_views(demo_market: DemoMarket) -> None:
    root = demo_market.batch(demo.STRAWBERRY_GTIN, "SB-2611-07")
    result = trace_forward(demo_market.engine, root)
    ids = [result.batch.batch_id, *(b.batch_id for b in result.descendants)]
    with demo_market.engine.connect() as conn:
        rows = batch_rows(conn, ids)
        # As the trace looks them up: holders, pending recipients and the sales' vendors.
        holders = [row["custodian"] for row in rows.values() if row["remaining"] > 0]
        pending = [row["pending_recipient"] for row in rows.values()]
        parties = Parties(conn, [*holders, *pending, *(s.vendor.address for s in result.sales)])
        expected = [batch_view(rows[b], parties) for b in ids]
    assert [result.batch, *result.descendants] == expected


def test_trace_forward_orders_the_sales_of_one_block_by_log_index(databases: Databases) -> None:
    """A scale's ``recordSales`` logs many sales in one block: chain order there is the log
    index, whatever the order of their batches. Written through the indexer's projection."""
    engine = databases.engine()
    farm, stall = f"0x{1:040x}", f"0x{2:040x}"
    root, left, right = (to_hex(batch_id_of(GTIN, lot)) for lot in ("BL-1", "BL-1-A", "BL-1-B"))
    block = 0
    events = []

    def emit(name: str, args: dict[str, Any], log_index: int = 0) -> None:
        """`name` in a block of its own, or (a log index above 0) in the block before."""
        nonlocal block
        if log_index == 0:
            block += 1
        tx_hash = f"0x{block:064x}"
        events.append(ChainEvent(block, tx_hash, 1_764_000_000 + block, tx_hash, 0, log_index, name, args))

    emit("ParticipantRegistered", {"account": farm, "role": "", "index": 1, "name": "Farm", "identifier": "1"})
    emit("ParticipantRegistered", {"account": stall, "role": "", "index": 2, "name": "Stall", "identifier": "2"})
    harvest = {"batchId": root, "supplier": farm, "gtin": GTIN, "lot": "BL-1", "quantity": 20, "unit": "KGM"}
    emit("HarvestRegistered", {**harvest, "harvestedAt": 1, "origin": "geo:29.6,119.3", "documentCid": None})
    for child, lot in ((left, "BL-1-A"), (right, "BL-1-B")):
        emit("BatchSplit", {"parentId": root, "childId": child, "custodian": farm, "lot": lot, "quantity": 10})
        emit("HandOffInitiated", {"batchId": child, "from": farm, "to": stall, "quantity": 10})
        emit("HandOffAccepted", {"batchId": child, "to": stall, "quantity": 10})
    # One block: the right batch's sale first, then the left's, then the right's again.
    for log_index, (batch, serial) in enumerate(((right, 1), (left, 1), (right, 2))):
        sale = {"batchId": batch, "vendor": stall, "saleId": to_hex(sale_id_of(from_hex(batch), serial))}
        emit("SaleRecorded", {**sale, "serial": serial, "quantity": 1, "price": 3800, "currency": "CNY"}, log_index)
    last = events[-1]
    write_events(
        IndexStore(engine),
        events,
        final_block=last.block_number,
        recent_blocks=[],
        checkpoint=CheckpointRecord(last.block_number, last.block_hash),
        prune_below=last.block_number,
    )

    result = trace_forward(engine, root)
    assert [(s.batch_id, s.serial) for s in result.sales] == [(right, 1), (left, 1), (right, 2)]
    assert len({s.block_number for s in result.sales}) == 1
    assert result == expected_trace(engine, root)
