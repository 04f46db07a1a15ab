"""``freshledger docs`` as a user runs it: a real process, the local store on disk, and the
IPFS daemon when FRESHLEDGER_IPFS_API names it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.documents.jsipfs import JsIpfsDaemon
from tests.factories.documents import content, flip_byte

CLI = [sys.executable, "-m", "ledger.cli", "docs"]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A private data directory and the local store."""
    environment = {**os.environ, "FRESHLEDGER_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "160"}
    environment.pop("FRESHLEDGER_IPFS_API", None)
    return environment


def run(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess[bytes]:
    result = subprocess.run([*CLI, *args], env=env, capture_output=True, timeout=120)
    if ok:
        assert result.returncode == 0, (result.stdout + result.stderr).decode(errors="replace")
    return result


def test_docs_cid_prints_the_reference_cid_and_stores_nothing(
    env: dict[str, str], corpus: dict[str, Path], reference_cids: dict[str, str]
) -> None:
    assert run(env, "cid", str(corpus["1MB"])).stdout.decode().strip() == reference_cids["1MB"]
    assert not (Path(env["FRESHLEDGER_DATA_DIR"]) / "documents").exists()


def test_docs_put_get_verify_round_trip(env: dict[str, str], tmp_path: Path) -> None:
    document = tmp_path / "declaration.pdf"
    document.write_bytes(content(700_000))
    cid = run(env, "put", str(document)).stdout.decode().strip()
    assert cid == run(env, "cid", str(document)).stdout.decode().strip()
    assert run(env, "get", cid).stdout == document.read_bytes()  # freshledger docs get CID > FILE
    run(env, "get", cid, "--output", str(tmp_path / "copy.pdf"))
    assert (tmp_path / "copy.pdf").read_bytes() == document.read_bytes()
    assert run(env, "verify", cid).stdout.decode().strip() == f"ok {cid} application/pdf 700000 bytes"


def test_docs_get_of_a_tampered_document_writes_nothing_and_fails(env: dict[str, str], tmp_path: Path) -> None:
    document = tmp_path / "certificate.txt"
    document.write_bytes(b"residues below limits\n")
    cid = run(env, "put", str(document), "--media-type", "text/plain").stdout.decode().strip()
    stored = next((Path(env["FRESHLEDGER_DATA_DIR"]) / "documents" / "local").rglob(cid))
    flip_byte(stored, 0)
    for command in ("get", "verify"):
        refused = run(env, command, cid, ok=False)
        assert refused.returncode == 1
        assert refused.stdout == b""
        assert b"fails verification" in refused.stderr
        assert b"Traceback" not in refused.stderr


def test_docs_rejects_bad_cids_and_media_types_with_a_message(env: dict[str, str], tmp_path: Path) -> None:
    bad_cid = run(env, "get", "not-a-cid", ok=False)
    assert bad_cid.returncode == 1
    assert b"not a CID" in bad_cid.stderr
    assert b"Traceback" not in bad_cid.stderr
    document = tmp_path / "photo.jpg"
    document.write_bytes(b"\xff\xd8\xff")
    bad_type = run(env, "put", str(document), "--media-type", "jpeg", ok=False)
    assert bad_type.returncode == 2
    assert b"not a media type" in bad_type.stderr


def test_docs_put_and_get_through_the_ipfs_node(
    env: dict[str, str], ipfs_daemon: JsIpfsDaemon, corpus: dict[str, Path], reference_cids: dict[str, str]
) -> None:
    on_node = {**env, "FRESHLEDGER_IPFS_API": ipfs_daemon.api}
    cid = run(on_node, "put", str(corpus["256KiB+1"])).stdout.decode().strip()
    assert cid == reference_cids["256KiB+1"]
    assert run(on_node, "get", cid).stdout == corpus["256KiB+1"].read_bytes()
    assert not (Path(env["FRESHLEDGER_DATA_DIR"]) / "documents" / "local").exists()
