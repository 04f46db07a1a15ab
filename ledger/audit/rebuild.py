"""Rebuild every projection from the chain's logs into a fresh database.

The existing indexer does the work, from the deployment block, into a temporary SQLite
file: the same fetch, decode and projection code as the live indexer, so the rebuild is
what an honest index of the chain looks like. It stops at the audited database's
checkpoint (the node's head is capped there), so blocks mined since then are not counted
as missing rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ledger.chain.client import ChainClient
from ledger.chain.deploy import load as load_deployment
from ledger.indexer.fetch import JsonRpc
from ledger.indexer.sync import Indexer, Source
from ledger.store.db import make_engine, migrate
from ledger.store.writer import IndexStore

if TYPE_CHECKING:
    from sqlalchemy import Engine


def deployed_source(rpc_url: str, data_dir: Path) -> Source:
    """The contract to audit, from the deployment record the node still confirms."""
    deployment = load_deployment(ChainClient(rpc_url), data_dir)
    return Source(deployment.chain_id, deployment.genesis_hash, deployment.address, deployment.deploy_block)


class HeadCappedRpc(JsonRpc):
    """A node whose head appears to be at most block `cap` (``eth_blockNumber`` only)."""

    def __init__(self, url: str, cap: int) -> None:
        super().__init__(url)
        self.cap = cap

    def call(self, method: str, params: list[Any]) -> Any:
        result = super().call(method, params)
        if method == "eth_blockNumber":
            return hex(min(int(result, 16), self.cap))
        return result


def rebuild(rpc_url: str, source: Source, up_to: int | None, folder: Path) -> Engine:
    """A fresh SQLite database in `folder` indexed from the deployment block to block
    `up_to` (None: nothing indexed, an empty database)."""
    engine = make_engine(f"sqlite:///{folder / 'rebuilt.db'}")
    migrate(engine)
    cap = source.deploy_block - 1 if up_to is None else up_to
    rpc = HeadCappedRpc(rpc_url, cap)
    try:
        indexer = Indexer(rpc, IndexStore(engine), source)
        indexer.check_identity()
        indexer.sync()
    finally:
        rpc.close()
    return engine
