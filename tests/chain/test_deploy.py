"""Deployment records: written per chain, trusted only on the chain they describe."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledger.chain.accounts import dev_account
from ledger.chain.client import ChainClient
from ledger.chain.compile import ARTIFACT_PATH
from ledger.chain.deploy import Deployment, deploy_or_load, load, record_path, save
from ledger.chain.node import LocalNode, free_port
from ledger.errors import DeploymentNotFound


def test_deployment_record_describes_the_contract(client: ChainClient, deployment: Deployment) -> None:
    artifact = json.loads(ARTIFACT_PATH.read_text())
    assert deployment.chain_id == client.chain_id
    assert deployment.genesis_hash == client.genesis_hash()
    assert deployment.authority == dev_account(0).address
    code = client.code_at(deployment.address)
    assert code == bytes.fromhex(artifact["deployedBytecode"].removeprefix("0x"))


def test_load_without_record_raises(client: ChainClient, tmp_path: Path) -> None:
    with pytest.raises(DeploymentNotFound, match="no deployment recorded"):
        load(client, tmp_path)


def test_deploy_or_load_reuses_a_valid_record(client: ChainClient, deployment: Deployment, tmp_path: Path) -> None:
    save(deployment, tmp_path)
    reused, created = deploy_or_load(client, dev_account(0), tmp_path)
    assert (reused, created) == (deployment, False)


def test_record_from_another_chain_is_refused(deployment: Deployment, tmp_path: Path) -> None:
    """A fresh local chain reuses chain id 31337; its genesis differs, so the old record is refused."""
    save(deployment, tmp_path)
    other = LocalNode(tmp_path / "other", port=free_port(), persist=False)
    info = other.start()
    try:
        other_client = ChainClient(info.rpc_url)
        with pytest.raises(DeploymentNotFound):
            load(other_client, tmp_path)
        fresh, created = deploy_or_load(other_client, dev_account(0), tmp_path)
        assert created
        assert json.loads(record_path(tmp_path, fresh.chain_id).read_text())["genesis_hash"] == fresh.genesis_hash
    finally:
        other.stop()
