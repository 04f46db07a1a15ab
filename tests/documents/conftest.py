"""Fixtures of the document tests, by cost: a corpus of files and their reference CIDs (one
Node run of ``tools/unixfs-reference.mjs``) and one real js-ipfs daemon per session."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.documents.ipfs import IpfsDocumentStore
from ledger.documents.local import LocalDocumentStore
from ledger.paths import REPO_ROOT
from tests.documents.jsipfs import DaemonStartError, JsIpfsDaemon, group_alive
from tests.factories.documents import CORPUS_SIZES, content

REFERENCE_IMPORTER = REPO_ROOT / "tools" / "unixfs-reference.mjs"


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The corpus files, by name."""
    folder = tmp_path_factory.mktemp("corpus")
    files = {}
    for name, size in CORPUS_SIZES.items():
        files[name] = folder / name
        files[name].write_bytes(content(size))
    return files


@pytest.fixture(scope="session")
def reference_cids(corpus: dict[str, Path]) -> dict[str, str]:
    """CIDs of the corpus by ipfs-unixfs-importer, run from node_modules, by file name."""
    result = subprocess.run(
        ["node", str(REFERENCE_IMPORTER), *map(str, corpus.values())],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        pytest.fail(f"reference importer failed (npm ci done?):\n{result.stderr[-3000:]}", pytrace=False)
    by_path = {Path(line["file"]).name: line["cid"] for line in map(json.loads, result.stdout.splitlines())}
    return {name: by_path[path.name] for name, path in corpus.items()}


@pytest.fixture(scope="session")
def ipfs_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JsIpfsDaemon]:
    """A real js-ipfs daemon, offline on loopback, for the whole session; stopped by group."""
    daemon = JsIpfsDaemon(tmp_path_factory.mktemp("jsipfs"))
    try:
        daemon.start()
    except DaemonStartError as exc:
        pytest.fail(f"the IPFS daemon needed by this test could not start: {exc}", pytrace=False)
    yield daemon
    daemon.stop()
    if daemon.pid is not None and group_alive(daemon.pid):
        pytest.fail(f"the IPFS daemon's process group {daemon.pid} outlived stop()", pytrace=False)


@pytest.fixture
def ipfs_store(ipfs_daemon: JsIpfsDaemon, tmp_path: Path) -> Iterator[IpfsDocumentStore]:
    """The IPFS backend on the session's daemon, with its own media-type records."""
    with IpfsDocumentStore(ipfs_daemon.api, tmp_path / "ipfs-meta") as store:
        yield store


@pytest.fixture
def local_store(tmp_path: Path) -> LocalDocumentStore:
    """The local backend in a fresh folder."""
    return LocalDocumentStore(tmp_path / "documents")
