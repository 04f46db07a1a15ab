"""A fresh chain with FreshLedger deployed and an indexer on it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from ledger.chain.deploy import Deployment
from ledger.chain.node import NodeInfo
from ledger.indexer.fetch import JsonRpc
from ledger.indexer.sync import Indexer, Source
from ledger.store.writer import IndexStore
from tests.factories.market import Market


@dataclass
class Chain:
    node: NodeInfo
    deployment: Deployment
    market: Market

    def source(self) -> Source:
        d = self.deployment
        return Source(d.chain_id, d.genesis_hash, d.address, d.deploy_block)


def make_indexer(chain: Chain, engine: Engine, *, confirmations: int = 0) -> Indexer:
    indexer = Indexer(JsonRpc(chain.node.rpc_url), IndexStore(engine), chain.source(), confirmations=confirmations)
    indexer.check_identity()
    return indexer
