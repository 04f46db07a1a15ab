"""Indexer fixtures: a fresh chain per test (reorgs rewrite it), and every test on both
SQLite and PostgreSQL (the server at 127.0.0.1:5432, one schema per test)."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from ledger.chain.accounts import dev_account
from ledger.chain.client import ChainClient
from ledger.chain.deploy import Deployment, deploy
from ledger.chain.freshledger import FreshLedgerContract
from ledger.chain.node import LocalNode, NodeInfo, free_port
from ledger.indexer.fetch import JsonRpc
from ledger.indexer.sync import Indexer, Source
from ledger.store.db import make_engine, migrate
from ledger.store.writer import IndexStore
from tests.factories.market import Market, register_market

POSTGRES_URL = os.environ.get("FRESHLEDGER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@dataclass
class Chain:
    node: NodeInfo
    deployment: Deployment
    market: Market

    def source(self) -> Source:
        d = self.deployment
        return Source(d.chain_id, d.genesis_hash, d.address, d.deploy_block)


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[Chain]:
    """A fresh anvil with FreshLedger deployed and the market registered."""
    node = LocalNode(tmp_path / "anvil", port=free_port(), persist=False)
    info = node.start()
    try:
        client = ChainClient(info.rpc_url)
        deployment = deploy(client, dev_account(0))
        market = register_market(FreshLedgerContract(client, deployment.address))
        yield Chain(info, deployment, market)
    finally:
        node.stop()


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


@pytest.fixture(params=["sqlite", "postgresql"])
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Databases]:
    made = Databases(request.param, tmp_path)
    yield made
    made.close()


def make_indexer(chain: Chain, engine: Engine, *, confirmations: int = 0) -> Indexer:
    indexer = Indexer(JsonRpc(chain.node.rpc_url), IndexStore(engine), chain.source(), confirmations=confirmations)
    indexer.check_identity()
    return indexer


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
