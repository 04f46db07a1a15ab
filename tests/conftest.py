"""Fixtures, layered by cost: one real anvil node and one deployment per session; every
test runs inside an ``evm_snapshot`` / ``evm_revert`` pair, so tests see a fresh market
without redeploying (the pattern of Hardhat's ``loadFixture``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.chain.accounts import dev_account
from ledger.chain.client import ChainClient
from ledger.chain.deploy import Deployment, deploy
from ledger.chain.freshledger import FreshLedgerContract
from ledger.chain.node import LocalNode, NodeInfo, free_port, rpc
from tests.factories.chain import Chain
from tests.factories.market import Market, register_market
from tests.support.databases import KINDS, Databases


@pytest.fixture(scope="session")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeInfo]:
    """A real anvil node on a free loopback port, in memory, for the whole session."""
    local = LocalNode(tmp_path_factory.mktemp("anvil"), port=free_port(), persist=False)
    info = local.start()
    yield info
    local.stop()


@pytest.fixture(scope="session")
def client(node: NodeInfo) -> ChainClient:
    return ChainClient(node.rpc_url)


@pytest.fixture(scope="session")
def deployment(client: ChainClient) -> Deployment:
    return deploy(client, dev_account(0))


@pytest.fixture(scope="session")
def ledger(client: ChainClient, deployment: Deployment) -> FreshLedgerContract:
    return FreshLedgerContract(client, deployment.address)


@pytest.fixture(scope="session")
def _market_snapshot(ledger: FreshLedgerContract) -> Market:
    """The market's participants, registered once per session."""
    return register_market(ledger)


@pytest.fixture
def market(_market_snapshot: Market, node: NodeInfo, client: ChainClient) -> Iterator[Market]:
    """A market with every role registered and no batches; rolled back after the test."""
    snapshot = rpc(node.rpc_url, "evm_snapshot")
    yield _market_snapshot
    rpc(node.rpc_url, "evm_revert", [snapshot])
    client.forget_nonces()


@pytest.fixture
def artifacts_dir() -> Path:
    """Where tests leave files worth keeping (screenshots, reports)."""
    path = Path(__file__).resolve().parent.parent / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(params=KINDS)
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Databases]:
    """Fresh databases of one kind (the test runs once per kind: SQLite, then PostgreSQL)."""
    made = Databases(request.param, tmp_path)
    yield made
    made.close()


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
