"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from ledger.store.db import alembic_config, make_engine, migrate
from ledger.store.models import Base
from tests.support.databases import Databases


def test_migrations_match_models(databases: Databases) -> None:
    engine = databases.engine()
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert differences == []


def test_migrate_is_idempotent(databases: Databases) -> None:
    engine = databases.engine()
    migrate(engine)
    migrate(engine)
    with engine.connect() as conn:
        assert (
            MigrationContext.configure(conn).get_current_revision() == "0021"
        )  # the change counter names its database


def test_hex_columns_compare_byte_by_byte(databases: Databases) -> None:
    """On PostgreSQL the batch id, address and hash columns (the models' HEX32 and ADDRESS)
    are in the "C" collation after the migrations, and no other column is; SQLite compares
    bytes anyway. (Alembic's comparison of models and schema does not look at collations.)"""
    engine = databases.engine()
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no per-column linguistic collation to replace")
    with engine.connect() as conn:
        in_c = {
            (row.table_name, row.column_name)
            for row in conn.execute(
                text(
                    "SELECT table_name, column_name FROM information_schema.columns "
                    "WHERE table_schema = current_schema() AND collation_name = 'C'"
                )
            )
        }
    modelled = {
        (table.name, column.name)
        for table in Base.metadata.tables.values()
        for column in table.columns
        if 'COLLATE "C"' in column.type.compile(dialect=engine.dialect)
    }
    assert ("batches", "batch_id") in modelled and ("participants", "address") in modelled
    assert ("batches", "lot") not in modelled  # people's text keeps the database's collation
    assert in_c == modelled


def test_0018_keeps_the_rows_and_the_guards_the_indexer_needs(databases: Databases) -> None:
    """0018 turns the unique constraints of the backfilled tables into unique indexes (which a
    bulk load can defer) and drops raw_events' guard that its primary key implies: the rows
    stay, a duplicate sale id is still refused, and so is an event's place written twice."""
    engine = make_engine(databases.url())
    command.upgrade(alembic_config(engine), "0017")
    event = {"block_number": 1, "log_index": 0, "block_hash": "0x" + "aa" * 32, "tx_hash": "0x" + "bb" * 32}
    raw_event = text(
        "INSERT INTO raw_events (block_number, log_index, block_hash, block_time, tx_hash, tx_index, name, args) "
        "VALUES (:block_number, :log_index, :block_hash, 1, :tx_hash, 0, 'SaleRecorded', '{}')"
    )
    sale = text(
        "INSERT INTO sales (sale_id, batch_id, serial, vendor, quantity, price, currency, block_number, log_index, "
        "block_time, tx_hash) VALUES (:tx_hash, :block_hash, 1, :vendor, 1, 1, 'CNY', :block_number, :log_index, 1, "
        ":tx_hash)"
    )
    vendor = "0x" + "cd" * 20
    with engine.begin() as conn:
        conn.execute(raw_event, event)
        conn.execute(sale, {**event, "vendor": vendor})
    migrate(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT block_hash FROM raw_events")).scalar_one() == event["block_hash"]
        assert conn.execute(text("SELECT sale_id FROM sales")).scalar_one() == event["tx_hash"]
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(sale, {**event, "vendor": vendor, "block_number": 2})  # the same sale id again
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(raw_event, {**event, "block_hash": "0x" + "cc" * 32})  # the same place again
    engine.dispose()


def test_0019_keys_the_lineage_in_chain_order_and_keeps_its_edges(databases: Databases) -> None:
    """0019 makes the lineage's primary key (block, log index, position), which Alembic's
    comparison of models and schema does not look at, and drops the index on (block, log
    index) that the key now covers: the edges stay, one written twice is refused, and the
    migration goes down and up again."""
    engine = make_engine(databases.url())
    command.upgrade(alembic_config(engine), "0018")
    edge = text(
        "INSERT INTO lineage (parent_id, child_id, quantity, kind, custodian, position, block_number, log_index, "
        "block_time, tx_hash) VALUES (:parent, :child, 5, 'split', :custodian, :position, 7, 3, 1, :tx)"
    )
    values = {"parent": "0x" + "aa" * 32, "custodian": "0x" + "cd" * 20, "tx": "0x" + "bb" * 32}
    with engine.begin() as conn:
        for position in (0, 1):
            conn.execute(edge, {**values, "child": f"0x{position:064x}", "position": position})

    def key_and_indexes() -> tuple[list[str], set[str]]:
        with engine.connect() as conn:
            inspector = inspect(conn)
            key = inspector.get_pk_constraint("lineage")["constrained_columns"]
            return key, {str(index["name"]) for index in inspector.get_indexes("lineage")}

    assert key_and_indexes() == (
        ["position", "block_number", "log_index"],
        {"ix_lineage_block_log", "ix_lineage_child_id", "ix_lineage_parent_id"},
    )
    migrate(engine)
    assert key_and_indexes() == (
        ["block_number", "log_index", "position"],
        {"ix_lineage_child_id", "ix_lineage_parent_id"},
    )
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT position, child_id FROM lineage ORDER BY position")).all()
        assert [tuple(row) for row in stored] == [(0, f"0x{0:064x}"), (1, f"0x{1:064x}")]
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(edge, {**values, "child": "0x" + "ee" * 32, "position": 1})  # the same place again
    command.downgrade(alembic_config(engine), "0018")
    assert key_and_indexes()[0] == ["position", "block_number", "log_index"]
    migrate(engine)
    assert key_and_indexes()[0] == ["block_number", "log_index", "position"]
    engine.dispose()
