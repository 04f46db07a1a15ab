"""The demo's scenario (``ledger.demo``) recorded on a fresh anvil and indexed into a database,
with any further history recorded after it: the market most query and page tests read."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine

from ledger import demo
from ledger.chain.accounts import dev_account
from ledger.chain.client import ChainClient
from ledger.chain.deploy import deploy
from ledger.chain.freshledger import FreshLedgerContract
from ledger.chain.node import LocalNode, free_port
from ledger.indexer.fetch import JsonRpc
from ledger.indexer.sync import Indexer, Source
from ledger.store.writer import IndexStore
from tests.support.databases import Databases


@contextmanager
def indexed_demo(
    kind: str, workdir: Path, *after: Callable[[FreshLedgerContract], None]
) -> Iterator[tuple[Engine, FreshLedgerContract]]:
    """Record the demo (then each of `after`, in order) on a fresh anvil and index it all into a
    `kind` database under `workdir`; the engine and the contract."""
    node = LocalNode(workdir / "anvil", port=free_port(), persist=False)
    info = node.start()
    databases = Databases(kind, workdir)
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
        for record in after:
            record(ledger)
        indexer.sync()
        yield engine, ledger
    finally:
        databases.close()
        node.stop()
