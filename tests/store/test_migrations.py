"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

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
        assert MigrationContext.configure(conn).get_current_revision() == "0016"  # sale serials reserved at acceptance
