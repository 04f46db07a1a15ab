"""The demo market, recorded once per module on a fresh chain and indexed into SQLite and
PostgreSQL: the queries are checked against a realistic history."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine

from ledger import demo
from ledger.chain.accounts import dev_account
from ledger.chain.client import ChainClient
from ledger.chain.deploy import deploy
from ledger.chain.freshledger import FreshLedgerContract, batch_id_of
from ledger.chain.node import LocalNode, free_port
from ledger.indexer.fetch import JsonRpc
from ledger.indexer.sync import Indexer, Source
from ledger.store.writer import IndexStore
from tests.factories.databases import KINDS, Databases


@dataclass(frozen=True)
class DemoMarket:
    engine: Engine
    ledger: FreshLedgerContract
    cast: demo.Cast

    def batch(self, gtin: str, lot: str) -> str:
        return "0x" + batch_id_of(gtin, lot).hex()


@pytest.fixture(scope="module", params=KINDS)
def demo_market(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoMarket]:
    node = LocalNode(tmp_path_factory.mktemp("anvil"), port=free_port(), persist=False)
    info = node.start()
    databases = Databases(request.param, tmp_path_factory.mktemp("db"))
    try:
        client = ChainClient(info.rpc_url)
        deployment = deploy(client, dev_account(0))
        ledger = FreshLedgerContract(client, deployment.address)
        engine = databases.engine()
        source = Source(deployment.chain_id, deployment.genesis_hash, deployment.address, deployment.deploy_block)
        indexer = Indexer(JsonRpc(info.rpc_url), IndexStore(engine), source)
        indexer.check_identity()

        def indexed() -> Engine:  # the demo traces its recall through the database
            indexer.sync()
            return engine

        demo.record_scenario(ledger, indexed=indexed)
        indexer.sync()
        yield DemoMarket(engine, ledger, demo.cast())
    finally:
        databases.close()
        node.stop()
