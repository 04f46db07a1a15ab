"""Where the project's files are: the repository's own folders and the data directory."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CONTRACTS_DIR = REPO_ROOT / "contracts"
BUILD_DIR = REPO_ROOT / "build"
NODE_MODULES = REPO_ROOT / "node_modules"
SOLC_SHIM = REPO_ROOT / "tools" / "solc-shim.cjs"
ANVIL_BINARY = NODE_MODULES / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"


def data_dir() -> Path:
    """The data directory (chain state, deployment record, database): ``$FRESHLEDGER_DATA_DIR``
    or ``.freshledger/`` in the repository."""
    return Path(os.environ.get("FRESHLEDGER_DATA_DIR", REPO_ROOT / ".freshledger")).resolve()
