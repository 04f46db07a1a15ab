"""Bulk loads: the deferrable indexes are dropped and built again exactly as the migrations
made them, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ledger.store.bulk_load import deferrable_indexes, missing_indexes
from ledger.store.models import Base
from ledger.store.writer import IndexStore
from tests.support.databases import Databases


def test_deferrable_indexes_are_plain_indexes_of_the_indexed_tables() -> None:
    names = {index.name for index in deferrable_indexes()}
    assert {"ix_batches_custodian", "ix_lineage_child_id", "ix_raw_events_name", "ix_sales_vendor_time"} <= names
    assert not any(index.unique for index in deferrable_indexes())
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
