"""Which store the settings pick: the local folder by default, the IPFS node when asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.documents.backends import open_store
from ledger.documents.ipfs import IpfsDocumentStore
from ledger.documents.local import LocalDocumentStore


def test_open_store_defaults_to_the_local_folder_in_the_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRESHLEDGER_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("FRESHLEDGER_IPFS_API", raising=False)
    store = open_store()
    assert isinstance(store, LocalDocumentStore)
    assert store.root == tmp_path / "documents" / "local"


def test_open_store_uses_the_ipfs_node_named_in_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRESHLEDGER_IPFS_API", "/ip4/127.0.0.1/tcp/5001/http")
    store = open_store(tmp_path)
    assert isinstance(store, IpfsDocumentStore)
    assert store.api_url == "http://127.0.0.1:5001"
    store.close()
