"""Settings of the ledger core, read from the environment with embedded local defaults.

| variable                 | default                                  |
|--------------------------|------------------------------------------|
| FRESHLEDGER_DATA_DIR     | .freshledger/ in the repository          |
| FRESHLEDGER_RPC_URL      | the local node started by `freshledger chain start`, else http://127.0.0.1:8545 |
| FRESHLEDGER_NODE_PORT    | 8545 when free, else any free port       |
| FRESHLEDGER_IPFS_API     | unset: the local document store (ledger.documents.backends) |
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from ledger.paths import data_dir

DEFAULT_RPC_URL = "http://127.0.0.1:8545"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    rpc_url: str

    @property
    def chain_dir(self) -> Path:
        """Where the local node keeps its state, pid and log."""
        return self.data_dir / "chain"


def load_settings(rpc_url: str | None = None) -> Settings:
    """Settings from the environment; an explicit `rpc_url` wins."""
    base = data_dir()
    return Settings(data_dir=base, rpc_url=rpc_url or os.environ.get("FRESHLEDGER_RPC_URL") or _local_node_url(base))


def _local_node_url(base: Path) -> str:
    try:
        return str(json.loads((base / "chain" / "node.json").read_text())["rpc_url"])
    except (OSError, ValueError, KeyError):
        return DEFAULT_RPC_URL
