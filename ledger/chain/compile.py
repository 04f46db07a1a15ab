"""Compile the Solidity sources into one artifact, with solc-js driven by py-solc-x.

No package registry ships a native Linux ``solc``; ``tools/solc-shim.cjs`` answers
py-solc-x like native solc (``--version``, ``--standard-json``) on top of the npm
``solc`` package. The artifact is cached under ``build/freshledger`` and rebuilt only when a
source file, the compiler version or the settings change.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

from ledger.documents.atomic import write_atomic
from ledger.errors import CompilationError
from ledger.paths import BUILD_DIR, CONTRACTS_DIR, NODE_MODULES, REPO_ROOT, SOLC_SHIM

#: Pinned so that anvil, Hyperledger Besu and geth all execute the bytecode (solc 0.8.28
#: would target prague by default; cancun adds transient storage and MCOPY, which every
#: current client runs).
EVM_VERSION = "cancun"
OPTIMIZER_RUNS = 20000
MAIN_CONTRACT = "FreshLedger"
ARTIFACT_PATH = BUILD_DIR / "freshledger" / f"{MAIN_CONTRACT}.json"


def solc_settings() -> dict[str, Any]:
    """The standard-JSON settings every build uses (brownie-config.yaml mirrors them)."""
    return {
        "evmVersion": EVM_VERSION,
        # The IR pipeline: the life-cycle functions take up to ten arguments and emit them
        # all, which the legacy code generator cannot fit on the stack.
        "viaIR": True,
        "optimizer": {"enabled": True, "runs": OPTIMIZER_RUNS},
        "outputSelection": {
            "*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "devdoc", "userdoc"]}
        },
    }


def source_files(roots: list[Path]) -> dict[str, Path]:
    """Map of source unit name (path relative to the repository) to file, for every .sol."""
    found: dict[str, Path] = {}
    for root in roots:
        for path in sorted(root.rglob("*.sol")):
            found[path.relative_to(REPO_ROOT).as_posix()] = path
    return found


def compile_sources(sources: dict[str, Path]) -> dict[str, dict[str, Any]]:
    """Compile `sources`; return ``{contract name: {"abi", "bytecode", "deployedBytecode"}}``.

    Raises :class:`CompilationError` with the compiler's messages when any error is reported.
    """
    import solcx  # imported here: only building needs the compiler

    if not NODE_MODULES.joinpath("solc").exists():
        raise CompilationError("node_modules/solc is missing: run `make setup` (npm ci) first")
    standard_input = {
        "language": "Solidity",
        "sources": {name: {"content": path.read_text()} for name, path in sources.items()},
        "settings": solc_settings(),
    }
    try:
        output = solcx.compile_standard(
            standard_input, solc_binary=SOLC_SHIM, allow_paths=[str(REPO_ROOT)], base_path=str(REPO_ROOT)
        )
    except solcx.exceptions.SolcError as exc:
        # py-solc-x raises on any reported error and attaches the whole output; keep only
        # the compiler's messages.
        output = json.loads(exc.stdout_data) if exc.stdout_data else {}
        messages = [e.get("formattedMessage", e.get("message", "")) for e in output.get("errors", [])]
        raise CompilationError("\n".join(m for m in messages if m) or str(exc)) from None
    contracts: dict[str, dict[str, Any]] = {}
    for unit, by_name in output["contracts"].items():
        if unit not in sources:
            continue  # OpenZeppelin dependencies
        for name, compiled in by_name.items():
            contracts[name] = {
                "abi": compiled["abi"],
                "bytecode": f"0x{compiled['evm']['bytecode']['object']}",
                "deployedBytecode": f"0x{compiled['evm']['deployedBytecode']['object']}",
                "sourceUnit": unit,
            }
    return contracts


def _fingerprint(sources: dict[str, Path]) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps(solc_settings(), sort_keys=True).encode())
    digest.update(SOLC_SHIM.read_bytes())
    package = NODE_MODULES / "solc" / "package.json"
    digest.update(package.read_bytes() if package.exists() else b"")
    for name, path in sorted(sources.items()):
        digest.update(name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def build_artifact(force: bool = False) -> Path:
    """Compile ``contracts/`` into the FreshLedger artifact if it is missing or stale."""
    sources = source_files([CONTRACTS_DIR])
    fingerprint = _fingerprint(sources)
    if not force and ARTIFACT_PATH.exists():
        cached = json.loads(ARTIFACT_PATH.read_text())
        if cached.get("fingerprint") == fingerprint:
            return ARTIFACT_PATH
    compiled = compile_sources(sources)[MAIN_CONTRACT]
    artifact = {
        "contractName": MAIN_CONTRACT,
        "fingerprint": fingerprint,
        "compiler": {"solc": compiler_version(), "settings": solc_settings()},
        **compiled,
    }
    # A temporary file of its own, then a rename: the test workers of a fresh clone compile at
    # once, and with one shared temporary name one renamed it away before the other could.
    write_atomic(ARTIFACT_PATH, [json.dumps(artifact, indent=1).encode()])
    return ARTIFACT_PATH


def compiler_version() -> str:
    """The solc-js version behind the shim, e.g. ``0.8.28+commit.7893614a.Emscripten.clang``."""
    out = subprocess.run([str(SOLC_SHIM), "--version"], capture_output=True, text=True, check=True).stdout
    return out.strip().splitlines()[-1].removeprefix("Version: ")
