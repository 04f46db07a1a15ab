"""The indexer's bulk inserts: PostgreSQL's binary COPY knows every column it writes, and
values of every type come back as they were written, on both databases."""

from __future__ import annotations

import orjson
import pytest
from sqlalchemy import select

from ledger.indexer.state import EVENT_COLUMNS, RAW_EVENT_COLUMNS
from ledger.store import models
from ledger.store.writer import CheckpointRecord, IndexStore, RangeWrite, _copy_types
from tests.support.databases import Databases

_WRITTEN = (*models.EVENT_TABLES, models.Batch, models.Participant, models.StateJournal, models.RecentBlock)

TX = "0x" + "ab" * 32
BATCH = "0x" + "cd" * 32
VENDOR = "0x00000000000000000000000000000000000000Ee"


@pytest.mark.parametrize("model", _WRITTEN, ids=lambda model: model.__tablename__)
def test_every_column_the_indexer_writes_has_a_binary_copy_type(model: type) -> None:
    table = model.__table__
    assert len(_copy_types(table, tuple(table.c.keys()))) == len(table.c)


SALE_COLUMNS = (*EVENT_COLUMNS, "sale_id", "batch_id", "serial", "vendor", "quantity", "price", "currency")
INSPECTION_COLUMNS = (*EVENT_COLUMNS, "batch_id", "lab", "passed", "report_cid")


def test_values_of_every_type_come_back_as_written(databases: Databases) -> None:
    engine = databases.engine()
    args = {"reason": 'Zürich → 杭州 "quoted" \\ tab\t', "nested": {"list": [1, None, True]}}
    # The extremes: the widest integers of each column type, false and null. A price of 39
    # digits is PostgreSQL's NUMERIC(39, 0); SQLite's integers end at 2**63 - 1, the
    # contract's largest price (past 2**53 a float would have rounded it).
    widest_price = 10**39 - 1 if databases.kind == "postgresql" else 2**63 - 1
    sale = (7, 3, 1_700_000_000, TX, "0x" + "ef" * 32, BATCH, 2**31 - 1, VENDOR, 2**63 - 1, widest_price, "CNY")
    inspection = (7, 4, 1_700_000_000, TX, BATCH, VENDOR, False, None)
    raw = (7, 3, "0x" + "12" * 32, 1_700_000_000, TX, 0, "SaleRecorded", orjson.dumps(args).decode())
    batch = {
        "batch_id": BATCH,
        "gtin": "06901234000016",
        "lot": "LOT-ü-1",
        "unit": "KGM",
        "quantity": 2**63 - 1,
        "remaining": 0,
        "status": "sold_out",
        "custodian": VENDOR,
        "pending_recipient": None,
        "sale_count": 1,
        "origin_kind": "harvest",
        "created_block": 7,
        "created_log_index": 0,
        "created_at": 1_700_000_000,
        "created_tx": TX,
    }
    IndexStore(engine).write_range(
        RangeWrite(
            rows={
                "sales": (SALE_COLUMNS, [sale]),
                "inspections": (INSPECTION_COLUMNS, [inspection]),
                "raw_events": (RAW_EVENT_COLUMNS, [raw]),
            },
            batches={BATCH: batch},
            participants={},
            stored_batches=set(),
            stored_participants=set(),
            journal=[{"block_number": 7, "kind": "batch", "key": BATCH, "previous": args}],
            recent_blocks=[(7, TX)],
            checkpoint=CheckpointRecord(7, TX),
            prune_below=0,
        )
    )
    sales, inspections, raw_events = (models.Sale.__table__, models.Inspection.__table__, models.RawEvent.__table__)
    with engine.connect() as conn:
        assert tuple(conn.execute(select(*(sales.c[name] for name in SALE_COLUMNS))).one()) == sale
        assert tuple(conn.execute(select(*(inspections.c[name] for name in INSPECTION_COLUMNS))).one()) == inspection
        assert tuple(conn.execute(select(*(raw_events.c[name] for name in RAW_EVENT_COLUMNS[:-1]))).one()) == raw[:-1]
        assert conn.execute(select(raw_events.c.args)).scalar_one() == args
        assert dict(conn.execute(select(models.Batch.__table__)).mappings().one()) == batch
        assert conn.execute(select(models.StateJournal.__table__.c.previous)).scalar_one() == args
