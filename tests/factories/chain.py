"""A fresh chain with FreshLedger deployed and an indexer on it; a node of one test's own
(`deployed_node`, to stop and start, or to serve an API of its own); the data directory a
``freshledger`` or API process reads (`data_dir_with_keys`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine

from api.settings import ApiSettings
from ledger.chain.accounts import dev_account
from ledger.chain.client import ChainClient
from ledger.chain.deploy import Deployment, deploy, save
from ledger.chain.freshledger import FreshLedgerContract
from ledger.chain.node import LocalNode, NodeInfo, free_port
from ledger.indexer.fetch import JsonRpc
from ledger.indexer.sync import Indexer, Source
from ledger.keys import KeyStore
from ledger.settings import DEVELOPMENT_PASSWORD
from ledger.store.writer import IndexStore
from tests.factories.market import Market


def source_of(deployment: Deployment) -> Source:
    """What an indexer of `deployment` reads."""
    return Source(deployment.chain_id, deployment.genesis_hash, deployment.address, deployment.deploy_block)


@dataclass
class Chain:
    node: NodeInfo
    deployment: Deployment
    market: Market

    def source(self) -> Source:
        return source_of(self.deployment)


def make_indexer(chain: Chain, engine: Engine, *, confirmations: int = 0) -> Indexer:
    indexer = Indexer(JsonRpc(chain.node.rpc_url), IndexStore(engine), chain.source(), confirmations=confirmations)
    indexer.check_identity()
    return indexer


def data_dir_with_keys(deployment: Deployment, base: Path, *holders: LocalAccount) -> Path:
    """`base`/data as a process of the CLI or the API reads it: `deployment`'s record, and the
    keys of `holders` in the keystore under the development password."""
    data = base / "data"
    save(deployment, data)
    keys = KeyStore(data / "keystores", DEVELOPMENT_PASSWORD)
    for holder in holders:
        keys.create(holder.key)
    return data


@dataclass
class DeployedNode:
    """An anvil of one test's own with FreshLedger deployed by the authority (dev account 0),
    the deployment record saved in `data_dir`, where the API and the CLI look for it."""

    node: LocalNode
    rpc_url: str
    client: ChainClient
    deployment: Deployment
    ledger: FreshLedgerContract
    base: Path

    @property
    def data_dir(self) -> Path:
        return self.base / "data"

    def source(self) -> Source:
        return source_of(self.deployment)

    def api_settings(self, database_url: str | None = None, **options: Any) -> ApiSettings:
        """The API's settings over this node: `database_url` (default: SQLite under `base`),
        the data directory with the deployment, the tests' public host, and `options`."""
        defaults = {
            "data_dir": self.data_dir,
            "database_url": database_url or f"sqlite:///{self.base / 'api.db'}",
            "rpc_url": self.rpc_url,
            "public_host": "market.example",
        }
        return ApiSettings(**{**defaults, **options})


@contextmanager
def deployed_node(base: Path, *, persist: bool = False) -> Iterator[DeployedNode]:
    """Anvil under `base` on a free loopback port, FreshLedger deployed and its record saved
    under `base`/data; stopped when the block ends. With `persist` the node keeps its chain
    in a state file across a stop and start, as a real node keeps its database."""
    node = LocalNode(base / "anvil", port=free_port(), persist=persist)
    info = node.start()
    try:
        client = ChainClient(info.rpc_url)
        deployment = deploy(client, dev_account(0))
        save(deployment, base / "data")
        ledger = FreshLedgerContract(client, deployment.address)
        yield DeployedNode(node, info.rpc_url, client, deployment, ledger, base)
    finally:
        node.stop()
