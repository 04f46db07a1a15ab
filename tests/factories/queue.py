"""The write queue in tests: intents stored as the API stores them, a submitter pool run until
they are final, and the chain's own count of what was recorded."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine

from ledger.chain.client import ChainClient
from ledger.chain.events import ChainEvent, event_codec
from ledger.chain.freshledger import FreshLedgerContract
from ledger.chain.node import rpc
from ledger.hexes import to_hex
from ledger.intents.accept import accept
from ledger.intents.crash import CRASH_ENV
from ledger.intents.pool import SubmitterPool
from ledger.intents.settings import QueueSettings
from ledger.settings import DEVELOPMENT_PASSWORD
from ledger.store.intents import IntentRecord, final_among, get_intents
from tests.factories.chain import Chain

ROOT = Path(__file__).resolve().parents[2]


def queue(engine: Engine, sender: LocalAccount, kind: str, payloads: list[dict[str, Any]]) -> list[int]:
    """Store `payloads` as queued intents of `sender` (no pre-check); their ids."""
    return [intent.id for intent, _ in accept(engine, sender.address, kind, [(p, None) for p in payloads])]


def submit_until_final(
    engine: Engine,
    ledger: FreshLedgerContract,
    accounts: list[LocalAccount],
    ids: list[int],
    *,
    timeout: float = 60.0,
    settings: QueueSettings | None = None,
) -> dict[int, IntentRecord]:
    """Run a submitter pool for `accounts` until every intent of `ids` is final."""
    by_address = {a.address: a for a in accounts}
    pool = SubmitterPool(
        engine,
        rpc_url=ledger.client.rpc_url,
        contract=lambda client: FreshLedgerContract(client, ledger.address, ledger.abi),
        account_of=by_address.get,
        settings=settings or QueueSettings(idle_exit_s=1.0),
    )
    pool.start()
    try:
        wait_final(engine, ids, timeout)
    finally:
        pool.stop()
    return get_intents(engine, ids)


def wait_final(engine: Engine, ids: list[int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while len(final_among(engine, ids)) < len(ids):
        if time.monotonic() > deadline:
            missing = sorted(set(ids) - set(final_among(engine, ids)))
            raise AssertionError(f"intents {missing[:10]} not final within {timeout:.0f} s")
        time.sleep(0.05)


def events_on_chain(ledger: FreshLedgerContract, name: str, client: ChainClient | None = None) -> list[ChainEvent]:
    """Every `name` event the contract emitted, from the node's logs."""
    logs = rpc(
        (client or ledger.client).rpc_url,
        "eth_getLogs",
        [
            {
                "fromBlock": "0x0",
                "toBlock": "latest",
                "address": ledger.address,
                "topics": [to_hex(ledger.abi.event_topic(name))],
            }
        ],
    )
    return event_codec(ledger.abi, "abi").decode_logs(logs)


def submit_process(chain: Chain, data: Path, database_url: str, crash_at: str | None) -> subprocess.Popen:
    """A `freshledger submit` process over `data` (deployment and keystore) and `database_url`,
    dying with SIGKILL at step `crash_at` of :data:`ledger.intents.crash.STEPS` when given."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "FRESHLEDGER_DATA_DIR": str(data),
        "FRESHLEDGER_RPC_URL": chain.node.rpc_url,
        "FRESHLEDGER_KEYSTORE_PASSWORD": DEVELOPMENT_PASSWORD,
    }
    env.pop(CRASH_ENV, None)
    if crash_at:
        env[CRASH_ENV] = crash_at
    command = [sys.executable, "-m", "ledger.cli", "submit", "--database-url", database_url]
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
