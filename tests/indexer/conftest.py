"""Indexer fixtures: a fresh chain per test (reorgs rewrite it), and every test on both
SQLite and PostgreSQL (the server at 127.0.0.1:5432, one schema per test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.chain.accounts import dev_account
from ledger.chain.client import ChainClient
from ledger.chain.deploy import deploy
from ledger.chain.freshledger import FreshLedgerContract
from ledger.chain.node import LocalNode, free_port
from tests.factories.chain import Chain
from tests.factories.market import register_market


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
