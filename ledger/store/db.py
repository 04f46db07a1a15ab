"""Engines and schema migrations.

SQLite is the embedded default (a file under the data directory, WAL mode so readers never
block the indexer); PostgreSQL is used by URL with psycopg 3
(``postgresql+psycopg://user@host/db``). The schema changes only through the Alembic
migrations in ``ledger/store/migrations``; :func:`migrate` brings a database to the newest.
"""

from __future__ import annotations

import os
from pathlib import Path

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event

from ledger.paths import data_dir
from ledger.store.sqlite_writer import WriterConnection

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: How much of an SQLite database file each connection reads through a memory map (address
#: space, not memory: the pages are the operating system's file cache, shared by every
#: connection and process). Without it each page beyond the connection's 2 MB cache is
#: copied in by a read call: a recall's 10,000 sales spent ~3.5 ms of system CPU on them.
SQLITE_MMAP_BYTES = 1 << 30
#: The page size of a new SQLite database (an existing one keeps its own). The indexer's rows
#: are wide (hashes as 66-character hex, an event's arguments as JSON): on 16 KiB pages instead
#: of SQLite's 4 KiB a backfill writes ~10 % and builds its indexes ~14 % faster (BENCHMARKS.md).
SQLITE_PAGE_BYTES = 16_384


def default_database_url() -> str:
    """``$FRESHLEDGER_DATABASE_URL``, else SQLite at ``<data dir>/freshledger.db``."""
    return os.environ.get("FRESHLEDGER_DATABASE_URL") or f"sqlite:///{data_dir() / 'freshledger.db'}"


def json_text(value: object) -> str:
    """A JSON column's text, as every engine of :func:`make_engine` writes it."""
    # orjson: the raw event log serialises one JSON document per event.
    return orjson.dumps(value).decode()


def make_engine(url: str | None = None, **kwargs: object) -> Engine:
    """An engine for `url` (default :func:`default_database_url`), tuned per backend."""
    url = url or default_database_url()
    kwargs.setdefault("json_serializer", json_text)
    kwargs.setdefault("json_deserializer", orjson.loads)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "factory": WriterConnection}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute(f"PRAGMA page_size={SQLITE_PAGE_BYTES}")  # before WAL mode, which fixes it
    # WAL: the API reads while the indexer writes. synchronous=NORMAL is durable at every
    # checkpoint in WAL mode; a power cut may lose the last commits, which the indexer
    # re-reads from the chain because the checkpoint is in the same transaction.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cursor.close()


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Upgrade the database behind `engine` to the newest schema (idempotent)."""
    command.upgrade(alembic_config(engine), "head")
