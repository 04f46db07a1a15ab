"""Alembic environment: runs on the engine handed over by ``ledger.store.db.migrate``."""

from __future__ import annotations

from alembic import context

from ledger.store.models import Base

target_metadata = Base.metadata


def run_migrations() -> None:
    engine = context.config.attributes.get("engine")
    if engine is None:
        from ledger.store.db import make_engine

        engine = make_engine()
    with engine.begin() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        context.run_migrations()


run_migrations()
