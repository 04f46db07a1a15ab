"""Databases for tests: migrated, empty SQLite files or PostgreSQL schemas (one per use) on
the server at 127.0.0.1:5432, and a table-by-table snapshot to compare two databases."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from ledger.store.db import make_engine, migrate

POSTGRES_URL = os.environ.get("FRESHLEDGER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
KINDS = ("sqlite", "postgresql")


class Databases:
    """Makes migrated, empty databases of one kind; drops them afterwards."""

    def __init__(self, kind: str, tmp_path: Path) -> None:
        self.kind = kind
        self.tmp_path = tmp_path
        self._schemas: list[str] = []
        self._engines: list[Engine] = []

    def url(self) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{self.tmp_path / f'index-{uuid.uuid4().hex[:8]}.db'}"
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with _admin_engine().begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        self._schemas.append(schema)
        return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"

    def engine(self, url: str | None = None) -> Engine:
        engine = make_engine(url or self.url())
        migrate(engine)
        self._engines.append(engine)
        return engine

    def close(self) -> None:
        for engine in self._engines:
            engine.dispose()
        if self._schemas:
            with _admin_engine().begin() as conn:
                for schema in self._schemas:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def _admin_engine() -> Engine:
    try:
        engine = create_engine(POSTGRES_URL)
        with engine.connect():
            pass
    except Exception as exc:
        pytest.fail(f"PostgreSQL at {POSTGRES_URL} is not reachable ({exc}); `.ci/run` starts it", pytrace=False)
    return engine


PROJECTION_TABLES = (
    "raw_events",
    "participants",
    "batches",
    "harvests",
    "imports",
    "lineage",
    "custody_events",
    "inspections",
    "residues",
    "quarantine_releases",
    "sales",
    "recalls",
    "documents",
    "checkpoint",
)


def projections(engine: Engine) -> dict[str, list[tuple]]:
    """Every projection table's rows, sorted: two databases are equal if these are."""
    found = {}
    with engine.connect() as conn:
        for table in PROJECTION_TABLES:
            rows = conn.execute(text(f"SELECT * FROM {table}")).all()
            found[table] = sorted((tuple(_plain(v) for v in row) for row in rows), key=repr)
    return found


def _plain(value: object) -> object:
    if isinstance(value, str) and value.startswith("{"):
        value = json.loads(value)  # JSON text on SQLite
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    if hasattr(value, "as_integer_ratio") and not isinstance(value, (int, float)):
        return int(value)  # Decimal from NUMERIC
    return value
