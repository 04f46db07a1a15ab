"""Brownie and the main toolchain (ledger/chain/compile.py) build the same contract."""

import json
import subprocess
from pathlib import Path

from brownie import web3
from helpers import strip_metadata

REPO_ROOT = Path(__file__).resolve().parents[2]
LEDGER_PYTHON = REPO_ROOT / ".venv" / "bin" / "python"
LEDGER_ARTIFACT = REPO_ROOT / "build" / "freshledger" / "FreshLedger.json"


def ledger_artifact() -> dict:
    """The main toolchain's artifact, (re)built by it when missing or stale.

    build_artifact() is a no-op when the artifact's fingerprint (sources, settings, compiler)
    is current, so a stale artifact never makes this test compare against old sources.
    """
    subprocess.run(
        [str(LEDGER_PYTHON), "-c", "from ledger.chain.compile import build_artifact; build_artifact()"],
        cwd=REPO_ROOT,
        check=True,
        timeout=300,
    )
    return json.loads(LEDGER_ARTIFACT.read_text())


def test_same_bytecode_as_ledger_build(FreshLedger, ledger):
    expected = strip_metadata(ledger_artifact()["deployedBytecode"])

    assert strip_metadata(FreshLedger._build["deployedBytecode"]) == expected
    # and what the chain runs is that code too (FreshLedger has no immutables)
    assert strip_metadata(web3.eth.get_code(ledger.address)) == expected
