"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from ledger.store.db import migrate
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
        assert MigrationContext.configure(conn).get_current_revision() == "0017"  # hex columns in the "C" collation


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
