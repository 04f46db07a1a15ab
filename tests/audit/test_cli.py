"""`freshledger audit` as a user runs it: exit 0 on an honest index, 1 with each finding
printed after tampering; --json for machines."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from sqlalchemy import text

from tests.audit.conftest import Audited


def run(audited: Audited, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "FRESHLEDGER_DATA_DIR": str(audited.chain.data_dir),
        "FRESHLEDGER_RPC_URL": audited.chain.node.rpc_url,
        "COLUMNS": "200",
    }
    env.pop("FRESHLEDGER_IPFS_API", None)
    command = [sys.executable, "-m", "ledger.cli", "audit", "--database-url", audited.url, *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def test_clean_audit_exits_zero(indexed: Audited) -> None:
    result = run(indexed)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "audit clean" in result.stdout
    assert "3 documents re-hashed" in result.stdout


def test_tampered_database_exits_one_and_names_each_finding(indexed: Audited) -> None:
    with indexed.engine.begin() as conn:
        conn.execute(text("UPDATE batches SET remaining = remaining + 5 WHERE lot = 'GV-01-A'"))
    result = run(indexed)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "MISMATCH" in result.stdout
    assert "batches: row batch_id=0x" in result.stdout
    assert "remaining is 53, the chain says 48" in result.stdout
    assert "audit failed" in result.stdout
    report = json.loads(run(indexed, "--json").stdout)
    assert report["clean"] is False
    assert [(f["kind"], f["table"], f["differences"]) for f in report["findings"]] == [
        ("row_different", "batches", {"remaining": [48, 53]})
    ]
