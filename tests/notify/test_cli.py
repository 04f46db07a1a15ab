"""``freshledger notify --once`` as an operator runs it: a real process over the indexed demo
market, delivering to a real local receiver."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from ledger.notify import SIGNATURE_HEADER, load_secret_box, verify_signature
from ledger.recall import recall_lot
from ledger.store.webhooks import create_webhook
from tests.notify.receiver import receiver
from tests.recall.demo_chain import demo_chain
from tests.support.databases import Databases

CLI = [sys.executable, "-m", "ledger.cli", "notify"]


def test_notify_once_delivers_and_a_second_run_sends_nothing(tmp_path: Path) -> None:
    databases = Databases("sqlite", tmp_path)
    url = databases.url()
    try:
        with demo_chain(tmp_path, databases.engine(url)) as market, receiver() as inbox:
            stall = market.cast.stall_a.address
            box = load_secret_box(market.data_dir)  # the key file the CLI finds in the same data directory
            _, secret = create_webhook(market.engine, box, stall, inbox.url("/a12"), None, int(time.time()))
            recall_lot(market.trace(market.greens()), market.sender(), "Listeria in GV-2611-01")
            market.sync()
            # The receiver is on loopback: the operator's allow-list lets the notifier reach it.
            env = {**os.environ, "FRESHLEDGER_DATA_DIR": str(market.data_dir), "FRESHLEDGER_WEBHOOK_ALLOW": "127.0.0.1"}

            first = subprocess.run([*CLI, "--once", "--database-url", url], env=env, capture_output=True, text=True)
            second = subprocess.run([*CLI, "--once", "--database-url", url], env=env, capture_output=True, text=True)

            assert first.returncode == 0, first.stderr
            assert "queued 1, delivered 1, to retry 0, failed 0" in first.stdout
            assert "queued 0, delivered 0, to retry 0, failed 0" in second.stdout
            (message,) = inbox.requests
            assert verify_signature(secret, message.body, message.headers[SIGNATURE_HEADER])
            assert message.json()["stall"] == stall
    finally:
        databases.close()
