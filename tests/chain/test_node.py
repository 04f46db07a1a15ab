"""The local node: a real anvil process started, reported on, stopped, and restarted with
its chain intact."""

from __future__ import annotations

import os
import time
from pathlib import Path

from ledger.chain.accounts import dev_account
from ledger.chain.client import ChainClient
from ledger.chain.deploy import deploy, load, save
from ledger.chain.node import LOCAL_CHAIN_ID, LocalNode, free_port


def test_start_status_stop_leaves_no_process(tmp_path: Path) -> None:
    node = LocalNode(tmp_path, port=free_port())
    info = node.start()
    try:
        status = node.status()
        assert status.running
        assert status.chain_id == LOCAL_CHAIN_ID
        assert status.block_number == 0
        assert node.start() == info  # a second start reuses the running node
    finally:
        assert node.stop()
    assert not node.status().running
    assert not _process_alive(info.pid)
    assert not node.stop()  # nothing left to stop


def test_restart_keeps_the_chain(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    node = LocalNode(tmp_path / "chain", port=free_port())
    genesis_stamp = int(time.time()) - 86_400
    (tmp_path / "chain").mkdir()
    (tmp_path / "chain" / "genesis-timestamp").write_text(str(genesis_stamp))
    info = node.start()
    try:
        client = ChainClient(info.rpc_url)
        deployment = deploy(client, dev_account(0))
        save(deployment, data_dir)
    finally:
        node.stop()
    assert node.state_file.exists()

    info = node.start()
    try:
        client = ChainClient(info.rpc_url)
        # anvil stamps a new genesis block at every start; the recorded timestamp keeps it.
        assert client.w3.eth.get_block(0)["timestamp"] == genesis_stamp
        assert client.genesis_hash() == deployment.genesis_hash
        reloaded = load(client, data_dir)
        assert reloaded == deployment
        assert client.block_number() >= deployment.deploy_block
    finally:
        node.stop()


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"
