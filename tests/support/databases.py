"""Databases for tests: migrated, empty SQLite files or PostgreSQL databases (one per use) on
the server at 127.0.0.1:5432, and a table-by-table snapshot to compare two databases.

A migrated database is a copy of one this process migrated once (a file copy on SQLite,
``CREATE DATABASE ... TEMPLATE`` on PostgreSQL): running the migrations took about 0.3 s on
SQLite and 1 s on PostgreSQL each time, some 600 times a run, a fifth of the suite. The
migrations themselves are tested on their own (``tests/store/test_migrations.py``), from empty
databases (:meth:`Databases.url`).
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, NullPool, create_engine, make_url, text

from ledger.store.db import make_engine, migrate

POSTGRES_URL = os.environ.get("FRESHLEDGER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
KINDS = ("sqlite", "postgresql")
#: Every test database's name on the PostgreSQL server starts with this.
POSTGRES_PREFIX = "fl_test_"


class Databases:
    """Makes empty or migrated databases of one kind; drops them afterwards."""

    def __init__(self, kind: str, tmp_path: Path) -> None:
        self.kind = kind
        self.tmp_path = tmp_path
        self._postgres: list[str] = []
        self._engines: list[Engine] = []

    def url(self) -> str:
        """A new, empty database (no table, no migration run)."""
        if self.kind == "sqlite":
            return f"sqlite:///{self._sqlite_path()}"
        return self._create_postgres()

    def engine(self, url: str | None = None) -> Engine:
        """An engine on `url` migrated to the newest schema, or on a new migrated database."""
        if url is None:
            if self.kind == "sqlite":
                path = self._sqlite_path()
                shutil.copyfile(_templates.sqlite(), path)
                url = f"sqlite:///{path}"
            else:
                url = self._create_postgres(template=_templates.postgres())
            engine = make_engine(url)
        else:
            engine = make_engine(url)
            migrate(engine)
        self._engines.append(engine)
        return engine

    def close(self) -> None:
        for engine in self._engines:
            engine.dispose()
        for name in self._postgres:
            _drop_postgres(name)

    def _sqlite_path(self) -> Path:
        return self.tmp_path / f"index-{uuid.uuid4().hex[:8]}.db"

    def _create_postgres(self, template: str | None = None) -> str:
        name = f"{POSTGRES_PREFIX}{uuid.uuid4().hex[:12]}"
        with _admin_engine().connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
        self._postgres.append(name)
        return postgres_url(name)


def postgres_url(database: str) -> str:
    """The test server's URL for `database`."""
    return make_url(POSTGRES_URL).set(database=database).render_as_string(hide_password=False)


class _Templates:
    """This process's migrated databases to copy, made on first use and removed at its exit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sqlite: Path | None = None
        self._postgres: str | None = None

    def sqlite(self) -> Path:
        with self._lock:
            if self._sqlite is None:
                folder = Path(tempfile.mkdtemp(prefix="freshledger-template-"))
                atexit.register(shutil.rmtree, folder, True)
                path = folder / "migrated.db"
                engine = make_engine(f"sqlite:///{path}")
                migrate(engine)
                with engine.connect() as conn:  # everything in the file itself: the copy takes no WAL
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                engine.dispose()
                self._sqlite = path
            return self._sqlite

    def postgres(self) -> str:
        with self._lock:
            if self._postgres is None:
                name = f"{POSTGRES_PREFIX}template_{os.getpid()}_{uuid.uuid4().hex[:8]}"
                with _admin_engine().connect() as conn:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
                atexit.register(_drop_postgres, name)
                engine = make_engine(postgres_url(name))
                migrate(engine)
                engine.dispose()  # a template takes no copy while anyone is connected to it
                self._postgres = name
            return self._postgres


_templates = _Templates()


def _drop_postgres(name: str) -> None:
    with _admin_engine().connect() as conn:
        # FORCE: a test's subprocess or server may still hold a connection.
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _admin_engine() -> Engine:
    """An autocommit connection to the test server (CREATE and DROP DATABASE run outside a
    transaction)."""
    try:
        engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
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
