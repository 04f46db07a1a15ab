"""Bulk loads: the deferrable indexes are dropped and built again exactly as the migrations
made them, and a unique one that the loaded rows break fails the build, on both databases."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from ledger.store.bulk_load import DuplicateRows, deferrable_indexes, missing_indexes
from ledger.store.models import Base
from ledger.store.writer import IndexStore
from tests.support.databases import Databases


def test_deferrable_indexes_are_plain_indexes_of_the_indexed_tables() -> None:
    names = {index.name for index in deferrable_indexes()}
    assert {"ix_batches_custodian", "ix_lineage_child_id", "ix_sales_vendor_time"} <= names
    assert {index.name for index in deferrable_indexes() if index.unique} == {
        "uq_batches_gtin_lot",
        "uq_harvests_batch_id",
        "uq_imports_batch_id",
        "uq_sales_batch_serial",
    }
    assert not {name for name in names if "api_keys" in str(name) or "state_journal" in str(name)}


def test_end_bulk_load_restores_the_migrated_schema(databases: Databases) -> None:
    engine = databases.engine()
    store = IndexStore(engine)
    assert not store.bulk_loading()

    store.begin_bulk_load()
    assert store.bulk_loading()
    with engine.connect() as conn:
        assert {index.name for index in missing_indexes(conn)} == {index.name for index in deferrable_indexes()}
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) != []

    assert store.end_bulk_load() == len(deferrable_indexes())
    assert not store.bulk_loading()
    assert store.end_bulk_load() == 0
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_begin_bulk_load_twice_drops_nothing_more(databases: Databases) -> None:
    engine = databases.engine()
    store = IndexStore(engine)
    store.begin_bulk_load()
    store.begin_bulk_load()
    assert store.end_bulk_load() == len(deferrable_indexes())


def test_a_duplicate_loaded_fails_the_unique_index_and_the_load_stays_open(databases: Databases) -> None:
    engine = databases.engine()
    store = IndexStore(engine)
    store.begin_bulk_load()
    insert = text(
        "INSERT INTO sales (sale_id, batch_id, serial, vendor, quantity, price, currency, block_number, log_index, "
        "block_time, tx_hash) VALUES (:sale_id, :sale_id, 1, :vendor, 1, 1, 'CNY', :block, 0, 1, :sale_id)"
    )
    with engine.begin() as conn:
        for block in (1, 2):  # one sale (batch and serial) twice, which the contract never emits
            conn.execute(insert, {"sale_id": "0x" + "ab" * 32, "vendor": "0x" + "cd" * 20, "block": block})

    with pytest.raises(DuplicateRows, match="uq_sales_batch_serial"):
        store.end_bulk_load()
    assert store.bulk_loading()
