"""``freshledger recall`` as a regulator runs it: a real process against the demo market."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger import demo
from ledger.keys import KeyStore
from ledger.store.db import make_engine
from ledger.store.intents import intents_of
from tests.recall.demo_chain import GREENS_LOT, DemoChain, demo_chain
from tests.support.databases import Databases

CLI = [sys.executable, "-m", "ledger.cli"]
REASON = "Listeria monocytogenes in GV-2611-01"


@pytest.fixture
def cli_market(tmp_path: Path) -> Iterator[tuple[DemoChain, str]]:
    databases = Databases("sqlite", tmp_path)
    url = databases.url()
    try:
        with demo_chain(tmp_path, databases.engine(url)) as market:
            # The market keeps the regulator's key, encrypted with the development password.
            KeyStore(market.data_dir / "keystores", "freshledger-development").create(market.cast.regulator.key)
            yield market, url
    finally:
        databases.close()


def run(market: DemoChain, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FRESHLEDGER_DATA_DIR": str(market.data_dir), "COLUMNS": "200"}
    env.pop("FRESHLEDGER_KEYSTORE_PASSWORD", None)
    common = ["--rpc-url", market.rpc_url, "--database-url", url]
    return subprocess.run([*CLI, "recall", *common, *args], env=env, capture_output=True, text=True, timeout=300)


def test_recall_command_recalls_the_lot_and_prints_stalls_and_sales(cli_market: tuple[DemoChain, str]) -> None:
    market, url = cli_market
    trace = market.trace(market.greens())
    lot_args = ["--gtin", demo.GREENS_GTIN, "--lot", GREENS_LOT, "--reason", REASON]

    done = run(market, url, *lot_args, "--regulator", market.cast.regulator.address, "--max-gas", "70000", "--json")

    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    traced = [trace.batch.batch_id, *(b.batch_id for b in trace.descendants)]
    assert answer["recalled_batch_ids"] == traced
    assert answer["gas_budget"] == 70_000
    assert len(answer["transaction_hashes"]) > 1, done.stderr  # 70,000 gas holds only a few batches a transaction
    assert all(tx["gas_limit"] <= 70_000 for tx in answer["transactions"])
    assert [s["sale_id"] for s in answer["sales"]] == [s.sale_id for s in trace.sales]
    assert [s["address"] for s in answer["stalls"]] == [p.address for p in trace.stalls]
    assert all(market.status(b) == "recalled" for b in traced)
    engine = make_engine(url)  # through the write queue: one recall intent a transaction
    regulator = market.cast.regulator.address
    intents = [i for i in intents_of(engine) if i.sender == regulator]  # the demo's customs queued its declaration
    engine.dispose()
    assert {(i.kind, i.status) for i in intents} == {("recall", "recorded")}
    assert sorted({i.tx_hash for i in intents}) == sorted(answer["transaction_hashes"])

    again = run(market, url, *lot_args, "--regulator", market.cast.regulator.address)
    assert again.returncode == 0, again.stderr
    assert "0 batch(es) recalled in 0 transaction(s)" in again.stdout
    assert f"{len(traced)} already recalled" in again.stdout


def test_recall_command_refuses_an_unknown_lot_and_a_missing_regulator(cli_market: tuple[DemoChain, str]) -> None:
    market, url = cli_market
    unknown = run(
        market, url, "--gtin", demo.GREENS_GTIN, "--lot", "NO-SUCH-LOT", "--reason", REASON,
        "--regulator", market.cast.regulator.address,
    )  # fmt: skip
    assert unknown.returncode == 1
    assert f"no lot NO-SUCH-LOT of GTIN {demo.GREENS_GTIN}" in unknown.stderr
    nobody = run(market, url, "--gtin", demo.GREENS_GTIN, "--lot", GREENS_LOT, "--reason", REASON)
    assert nobody.returncode == 2
    assert "--regulator" in nobody.stderr
    assert market.status(market.greens()) == "active"
