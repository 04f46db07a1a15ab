"""Four uvicorn workers on PostgreSQL, one vendor selling from all of them at once: every
worker accepts writes, one submitter at a time signs for the vendor (the advisory lock), so
there is no nonce error and every sale is recorded once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from ledger.chain.node import free_port
from ledger.store.api_keys import issue_key
from ledger.store.intents import intents_of, transactions_of
from tests.factories.chain import Chain, data_dir_with_keys
from tests.factories.market import at_stall
from tests.factories.queue import events_on_chain, wait_final
from tests.support.databases import Databases
from tests.support.processes import wait_until_up

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4
SALES = 80
CLIENTS = 20


@pytest.fixture
def postgres(tmp_path: Path) -> Iterator[Databases]:
    made = Databases("postgresql", tmp_path)
    yield made
    made.close()


def test_four_workers_one_vendor_every_sale_once(chain: Chain, postgres: Databases, tmp_path: Path) -> None:
    market = chain.market
    url = postgres.url()
    engine = postgres.engine(url)
    data = data_dir_with_keys(chain.deployment, tmp_path, market.vendor)
    key = issue_key(engine, market.vendor.address, "stall")
    batch = "0x" + at_stall(market, quantity=10_000).hex()
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "FRESHLEDGER_DATA_DIR": str(data),
        "FRESHLEDGER_RPC_URL": chain.node.rpc_url,
        "FRESHLEDGER_DATABASE_URL": url,
        "FRESHLEDGER_PUBLIC_HOST": f"127.0.0.1:{port}",
    }
    command = [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--workers", str(WORKERS), "--log-level", "warning"], env=env, cwd=ROOT, stdin=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, server)
        auth = {"Authorization": f"Bearer {key}"}

        def sell(n: int) -> int:
            headers = {**auth, "Prefer": "respond-async"} if n % 2 else auth
            body = {"batch_id": batch, "quantity": 1, "price": 500 + n, "currency": "CNY"}
            return httpx.post(f"{base}/sales", json=body, headers=headers, timeout=120).status_code

        with ThreadPoolExecutor(CLIENTS) as pool:
            codes = list(pool.map(sell, range(SALES)))
        assert sorted(set(codes)) in ([201], [201, 202], [202]), codes
        assert codes.count(201) >= SALES // 2  # the synchronous half waited for mining
        ids = [i.id for i in intents_of(engine)]
        assert len(ids) == SALES
        wait_final(engine, ids, timeout=120)
    finally:
        server.terminate()
        server.wait(timeout=60)

    assert {i.status for i in intents_of(engine)} == {"recorded"}
    sales = events_on_chain(market.ledger, "SaleRecorded")
    assert sorted(e.args["serial"] for e in sales) == list(range(1, SALES + 1))
    assert sorted(e.args["price"] for e in sales) == [500 + n for n in range(SALES)]  # each once
    txs = transactions_of(engine, market.vendor.address)
    nonces = sorted(tx.nonce for tx in txs)
    assert nonces == list(range(nonces[0], nonces[0] + len(txs)))  # no nonce used twice, none skipped
    assert {tx.status for tx in txs} == {"mined"}
