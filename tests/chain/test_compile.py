"""The solc-js shim answers py-solc-x like native solc, and compiler errors come back whole."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ledger.chain.compile import ARTIFACT_PATH, EVM_VERSION, build_artifact, compile_sources, compiler_version
from ledger.errors import CompilationError
from ledger.paths import REPO_ROOT, SOLC_SHIM


def test_shim_reports_version_like_native_solc() -> None:
    out = subprocess.run([str(SOLC_SHIM), "--version"], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1].startswith("Version: 0.8.28+commit.")
    assert compiler_version().startswith("0.8.28")


def test_shim_streams_large_standard_json_output_intact() -> None:
    """Node truncates piped output when a script exits right after writing; the artifact is
    far larger than a pipe buffer, so a truncated write would fail to parse."""
    artifact = json.loads(build_artifact().read_text())
    assert len(json.dumps(artifact)) > 65_536
    assert artifact["compiler"]["settings"]["evmVersion"] == EVM_VERSION


def test_artifact_is_cached_until_a_source_changes() -> None:
    path = build_artifact()
    before = path.stat().st_mtime_ns
    assert build_artifact() == ARTIFACT_PATH
    assert path.stat().st_mtime_ns == before


def test_compile_error_is_reported_with_the_compiler_message(tmp_path: Path) -> None:
    broken = REPO_ROOT / "build" / "test-broken" / "Broken.sol"
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_text("// SPDX-License-Identifier: MIT\npragma solidity ^0.8.24;\ncontract Broken { uint x = ; }\n")
    try:
        with pytest.raises(CompilationError, match="Expected primary expression"):
            compile_sources({"build/test-broken/Broken.sol": broken})
    finally:
        broken.unlink()


def test_openzeppelin_imports_resolve_from_node_modules() -> None:
    artifact = json.loads(build_artifact().read_text())
    names = {entry.get("name") for entry in artifact["abi"]}
    assert {"grantRole", "RoleGranted", "AccessControlUnauthorizedAccount"} <= names


def test_processes_compiling_at_once_each_get_the_whole_artifact() -> None:
    """The test workers of a fresh clone all find no artifact and compile at once: each writes
    its own temporary file and renames it over the artifact, so none fails and the artifact is
    always whole (with one shared temporary name, one worker renamed it away from the other).
    Two processes, as `make test`'s two workers: a third compile only made the test slower."""
    script = "from ledger.chain.compile import build_artifact; print(build_artifact(force=True))"
    workers = [
        subprocess.Popen([sys.executable, "-c", script], cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    outcomes = [worker.communicate(timeout=180) for worker in workers]

    assert [worker.returncode for worker in workers] == [0, 0], [err.decode()[-500:] for _, err in outcomes]
    assert json.loads(ARTIFACT_PATH.read_text())["contractName"] == "FreshLedger"
    assert not list(ARTIFACT_PATH.parent.glob("*.tmp"))
