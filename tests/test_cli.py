"""The `freshledger` command as a user runs it: a real process, a real local chain."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from eth_account import Account

from ledger.chain.accounts import dev_account
from ledger.chain.node import free_port

CLI = [sys.executable, "-m", "ledger.cli"]


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A private data directory and port, and a chain stopped afterwards whatever happens."""
    environment = {
        **os.environ,
        "FRESHLEDGER_DATA_DIR": str(tmp_path / "data"),
        "FRESHLEDGER_NODE_PORT": str(free_port()),
        "COLUMNS": "160",
    }
    environment.pop("FRESHLEDGER_RPC_URL", None)
    yield environment
    subprocess.run([*CLI, "chain", "stop"], env=environment, capture_output=True, timeout=60)


def run(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=300)
    if ok:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_chain_start_status_stop(env: dict[str, str]) -> None:
    assert "local chain running" in run(env, "chain", "start").stdout
    assert "chain id 31337" in run(env, "chain", "status").stdout
    assert "local chain stopped" in run(env, "chain", "stop").stdout
    stopped = run(env, "chain", "status", ok=False)
    assert stopped.returncode == 3
    assert "not running" in stopped.stdout


def test_deploy_writes_record_and_is_idempotent(env: dict[str, str]) -> None:
    run(env, "chain", "start")
    first = run(env, "deploy").stdout
    assert "FreshLedger deployed at" in first
    record = json.loads((Path(env["FRESHLEDGER_DATA_DIR"]) / "deployments" / "31337.json").read_text())
    assert record["address"] in first
    again = run(env, "deploy").stdout
    assert "already deployed" in again
    assert record["address"] in again


def test_deploy_with_encrypted_keystore(env: dict[str, str], tmp_path: Path) -> None:
    run(env, "chain", "start")
    keystore = tmp_path / "deployer.json"
    keystore.write_text(json.dumps(Account.encrypt(dev_account(5).key, "correct horse")))
    out = run(
        {**env, "FRESHLEDGER_KEYSTORE_PASSWORD": "correct horse"}, "deploy", "--keystore", str(keystore), "--force"
    ).stdout
    record = json.loads((Path(env["FRESHLEDGER_DATA_DIR"]) / "deployments" / "31337.json").read_text())
    assert record["deployer"] == dev_account(5).address
    assert record["address"] in out
    wrong = run(
        {**env, "FRESHLEDGER_KEYSTORE_PASSWORD": "wrong"}, "deploy", "--keystore", str(keystore), "--force", ok=False
    )
    assert wrong.returncode != 0
    assert "cannot open keystore" in wrong.stderr + wrong.stdout


def test_unreachable_node_gives_a_message_not_a_traceback(env: dict[str, str]) -> None:
    result = run(env, "deploy", "--rpc-url", f"http://127.0.0.1:{free_port()}", ok=False)
    assert result.returncode == 1
    assert "cannot reach" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_records_once_and_resumes(env: dict[str, str]) -> None:
    first = run(env, "demo", "--no-serve").stdout
    assert "FreshLedger deployed" in first
    assert "refused by the contract: BatchQuarantined" in first
    assert "33 recorded" in first  # the sales row of the summary by step
    assert "SB-2611-07 traced forward: 3 batches" in first
    run(env, "chain", "stop")  # the state is written on the way out
    second = run(env, "demo", "--no-serve").stdout
    assert "FreshLedger reused" in second
    assert "not recording it twice" in second
    assert "recalled" in second


def test_demo_serves_the_market_until_interrupted(env: dict[str, str]) -> None:
    """`freshledger demo` indexes the market, serves the API, prints a scannable sale link and
    its QR in the terminal; Ctrl-C stops the API, the indexer and the chain."""
    import re
    import signal
    import time

    port = free_port()
    process = subprocess.Popen(
        [*CLI, "demo", "--port", str(port)],
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if "Ctrl-C stops" in line:
                break
        output = "".join(lines)
        link = re.search(r"GS1 Digital Link \(the QR above\): (\S+)", output)
        assert link, output[-3000:]
        assert "█" in output  # the QR code, drawn in the terminal
        uri = link.group(1)
        assert uri.startswith(f"http://127.0.0.1:{port}/01/06901234000016/10/GV-2611-01-A/21/1")
        page = _get_when_up(uri, {"Accept": "text/html"})
        assert page.status_code == 200
        assert "Green Valley Farm" in page.text
        custody = httpx.get(uri, headers={"Accept": "application/json"}, timeout=10).json()
        assert custody["events"][-1]["kind"] == "sold"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            remaining, _ = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGUSR1)  # every thread's stack (faulthandler), then stop it
            time.sleep(3)
            process.kill()
            stuck, _ = process.communicate(timeout=30)
            raise AssertionError(
                f"the demo did not stop within 60 s of Ctrl-C; its threads:\n{stuck[-12000:]}"
            ) from None
    assert process.returncode == 0, remaining[-2000:]
    assert "stopped: API, indexer and chain" in remaining
    assert run(env, "chain", "status", ok=False).returncode == 3


def _get_when_up(url: str, headers: dict[str, str]) -> httpx.Response:
    import time

    deadline = time.monotonic() + 30
    while True:
        try:
            return httpx.get(url, headers=headers, timeout=10)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)  # uvicorn is binding its socket
