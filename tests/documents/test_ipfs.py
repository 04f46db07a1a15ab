"""The IPFS backend against a real IPFS daemon (js-ipfs, offline on loopback): add, cat and
pin through the RPC API, the node's CIDs compared with FreshLedger's and the reference's.
A misbehaving HTTP server on loopback stands in for the node only where a real node cannot be
made to misbehave (a node that answers another CID, garbage, or a refusal)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from ledger.chain.node import free_port
from ledger.documents.cid import cid_of
from ledger.documents.ipfs import ADD_SETTINGS, IpfsDocumentStore
from ledger.documents.store import DEFAULT_MEDIA_TYPE, DocumentInfo
from ledger.errors import CidMismatch, DocumentIntegrityError, DocumentNotFound, IpfsNodeError
from tests.documents.jsipfs import JsIpfsDaemon
from tests.documents.misbehaving_node import Answer, misbehaving_node
from tests.factories.documents import content

#: Through the daemon: one raw block, one chunk plus a byte, several chunks, two DAG levels.
DAEMON_CORPUS = ["empty", "six-bytes", "256KiB+1", "1MB", "45MiB+1"]


@pytest.mark.parametrize("name", DAEMON_CORPUS)
def test_put_on_the_node_gives_the_reference_cid_and_get_returns_the_bytes(
    ipfs_store: IpfsDocumentStore, corpus: dict[str, Path], reference_cids: dict[str, str], name: str
) -> None:
    data = corpus[name].read_bytes()
    cid = ipfs_store.put(data, "application/pdf")  # raises CidMismatch unless the node agrees
    assert str(cid) == reference_cids[name]
    assert ipfs_store.get(cid) == data
    assert ipfs_store.has(cid)


def test_put_records_media_type_and_size(ipfs_store: IpfsDocumentStore) -> None:
    cid = ipfs_store.put(b"lab certificate", "Application/PDF")
    assert ipfs_store.info(cid) == DocumentInfo(cid=cid, media_type="application/pdf", size=15)
    assert ipfs_store.verify(cid) == DocumentInfo(cid=cid, media_type="application/pdf", size=15)


def test_pin_pins_a_document_added_without_freshledger(
    ipfs_daemon: JsIpfsDaemon, ipfs_store: IpfsDocumentStore
) -> None:
    data = content(300_000, seed=7)
    answer = httpx.post(
        f"{ipfs_daemon.api_url}/api/v0/add",
        params={**ADD_SETTINGS, "pin": "false"},
        files={"file": ("photo.jpg", data)},
        timeout=30,
    )
    cid = cid_of(data)
    assert json.loads(answer.text.splitlines()[-1])["Hash"] == str(cid)
    assert not ipfs_store.has(cid)
    ipfs_store.pin(cid)
    assert ipfs_store.has(cid)
    # Not added through FreshLedger: no media type recorded, the node knows the size.
    assert ipfs_store.info(cid) == DocumentInfo(cid=cid, media_type=DEFAULT_MEDIA_TYPE, size=300_000)


def test_missing_document_is_not_found(ipfs_daemon: JsIpfsDaemon, tmp_path: Path) -> None:
    missing = cid_of(b"never added anywhere")
    with IpfsDocumentStore(ipfs_daemon.api, tmp_path, timeout=1) as store:
        assert not store.has(missing)
        with pytest.raises(DocumentNotFound, match=str(missing)):
            store.get(missing)
        with pytest.raises(DocumentNotFound):
            store.pin(missing)


def test_unreachable_node_raises_a_retryable_node_error(tmp_path: Path) -> None:
    with IpfsDocumentStore(f"http://127.0.0.1:{free_port()}", tmp_path) as store:
        with pytest.raises(IpfsNodeError, match="cannot reach the IPFS node") as raised:
            store.put(b"x", "text/plain")
        assert raised.value.retryable


def test_version_answers(ipfs_store: IpfsDocumentStore) -> None:
    assert ipfs_store.version()


# Pure logic with a stand-in node: what a real node will not do on request.


def test_put_refuses_a_node_that_answers_another_cid(tmp_path: Path) -> None:
    other = cid_of(b"something else")
    answer = Answer(200, (json.dumps({"Name": "document", "Hash": str(other), "Size": "9"}) + "\n").encode())
    with (
        misbehaving_node(answer) as (url, _),
        IpfsDocumentStore(url, tmp_path) as store,
        pytest.raises(CidMismatch) as refused,
    ):
        store.put(b"declaration", "application/pdf")
    assert refused.value.cid == str(cid_of(b"declaration"))
    assert refused.value.actual == str(other)
    assert "must not be recorded" in str(refused.value)
    assert not any(tmp_path.rglob("*.json"))  # nothing recorded for either CID


def test_put_passes_the_import_settings_explicitly(tmp_path: Path) -> None:
    answer = Answer(200, json.dumps({"Hash": str(cid_of(b"x"))}).encode())
    with misbehaving_node(answer) as (url, seen), IpfsDocumentStore(url, tmp_path) as store:
        store.put(b"x", "text/plain")
    params = seen[0].params
    assert seen[0].path == "/api/v0/add"
    assert params["cid-version"] == "1"
    # ipfshttpclient writes Python's True/False; both nodes read booleans case-insensitively.
    assert params["raw-leaves"].lower() == "true"
    assert params["chunker"] == "size-262144"
    assert params["hash"] == "sha2-256"
    assert params["trickle"].lower() == "false"
    assert params["pin"].lower() == "true"
    assert ADD_SETTINGS.items() <= params.items()  # everything FreshLedger sets reaches the node


def test_get_refuses_bytes_that_do_not_hash_to_the_cid(tmp_path: Path) -> None:
    answer = Answer(200, b"tampered on the way", "application/octet-stream")
    with misbehaving_node(answer) as (url, _), IpfsDocumentStore(url, tmp_path) as store:
        cid = cid_of(b"the original")
        with pytest.raises(DocumentIntegrityError, match=str(cid)):
            store.get(cid)
        with pytest.raises(DocumentIntegrityError):
            store.verify(cid)


def test_node_refusal_becomes_a_node_error_with_its_message(tmp_path: Path) -> None:
    answer = Answer(500, json.dumps({"Message": "repo full", "Code": 0, "Type": "error"}).encode())
    with (
        misbehaving_node(answer) as (url, _),
        IpfsDocumentStore(url, tmp_path) as store,
        pytest.raises(IpfsNodeError, match=r"refused add \(HTTP 500\): repo full"),
    ):
        store.put(b"x", "text/plain")
