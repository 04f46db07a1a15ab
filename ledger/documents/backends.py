"""Which document store the settings ask for.

| variable               | default                                                        |
|------------------------|----------------------------------------------------------------|
| FRESHLEDGER_IPFS_API   | unset: the local store under ``<data dir>/documents``          |

Set ``FRESHLEDGER_IPFS_API`` to an IPFS node's RPC API (``/ip4/127.0.0.1/tcp/5001/http`` or
``http://127.0.0.1:5001``) to keep documents on that node instead.
"""

from __future__ import annotations

import os
from pathlib import Path

from ledger.documents.ipfs import IpfsDocumentStore
from ledger.documents.local import LocalDocumentStore
from ledger.documents.store import DocumentStore
from ledger.paths import data_dir

IPFS_API_VARIABLE = "FRESHLEDGER_IPFS_API"


def documents_dir(base: Path | None = None) -> Path:
    """The documents folder of the data directory `base` (default: :func:`ledger.paths.data_dir`)."""
    return (base or data_dir()) / "documents"


def open_store(base: Path | None = None, ipfs_api: str | None = None) -> DocumentStore:
    """The configured store: the IPFS node at `ipfs_api` (or ``$FRESHLEDGER_IPFS_API``), else
    the local content-addressed folder under the data directory `base`."""
    folder = documents_dir(base)
    api = ipfs_api or os.environ.get(IPFS_API_VARIABLE, "").strip()
    if api:
        return IpfsDocumentStore(api, folder / "ipfs")
    return LocalDocumentStore(folder / "local")
