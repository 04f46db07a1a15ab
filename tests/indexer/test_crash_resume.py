"""Crash and resume: ``freshledger index`` killed with SIGKILL at random moments of a
backfill, then restarted, ends with exactly what a clean index has."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import Engine, text

from ledger.chain.deploy import save
from ledger.chain.node import rpc
from tests.factories.chain import Chain, make_indexer
from tests.factories.market import Market, harvest, new_lot
from tests.support.databases import Databases, projections

SPLIT_PARTS = 50


def record_many_events(market: Market, rounds: int) -> int:
    """`rounds` harvests each split into 50 children, with empty blocks in between."""
    ledger = market.ledger
    for _ in range(rounds):
        parent = harvest(market, quantity=SPLIT_PARTS)
        ledger.split(market.supplier, parent, [(new_lot("K"), 1) for _ in range(SPLIT_PARTS)])
        rpc(ledger.client.rpc_url, "anvil_mine", [hex(3)])
    return rounds * (SPLIT_PARTS + 1)


def checkpoint_of(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT coalesce(max(block_number), -1) FROM checkpoint")).scalar_one()


def indexer_process(chain: Chain, url: str, data_dir: Path) -> subprocess.Popen:
    env = {**os.environ, "FRESHLEDGER_DATA_DIR": str(data_dir), "FRESHLEDGER_RPC_URL": chain.node.rpc_url}
    command = [
        sys.executable,
        "-m",
        "ledger.cli",
        "index",
        "--once",
        "--quiet",
        "--max-range",
        "3",
        "--database-url",
        url,
    ]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_kill_9_during_backfill_then_resume_equals_clean_index(
    chain: Chain, databases: Databases, tmp_path: Path
) -> None:
    events = record_many_events(chain.market, rounds=30)
    save(chain.deployment, tmp_path)
    head = int(str(rpc(chain.node.rpc_url, "eth_blockNumber")), 16)
    url = databases.url()
    engine = databases.engine(url)
    rng = random.Random(2026)
    kills = 0
    for trial in range(4):
        start = max(checkpoint_of(engine), chain.deployment.deploy_block)
        target = rng.randint(start + 1, start + (head - start) // 2)
        process = indexer_process(chain, url, tmp_path)
        deadline = time.monotonic() + 60
        while checkpoint_of(engine) < target and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)  # watching the checkpoint of a separate process: nothing to wait on
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait(timeout=30)
        assert process.returncode in (0, -signal.SIGKILL), (
            process.stderr.read().decode()[-2000:] if process.stderr else ""
        )
        assert checkpoint_of(engine) >= target or process.returncode == 0, f"trial {trial} made no progress"
    assert kills >= 3, "the backfill finished before the kills: make it longer"

    final = indexer_process(chain, url, tmp_path)
    assert final.wait(timeout=120) == 0, final.stderr.read().decode()[-2000:] if final.stderr else ""
    assert checkpoint_of(engine) == head
    clean = databases.engine()
    make_indexer(chain, clean).sync()
    assert projections(engine) == projections(clean)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM raw_events WHERE name = 'BatchSplit'")).scalar_one() == 30 * 50
    assert events == 30 * 51
