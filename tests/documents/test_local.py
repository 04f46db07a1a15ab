"""The local content-addressed folder: real files on disk, tampered with for real."""

from __future__ import annotations

import os

import pytest

from ledger.documents.cid import cid_of, cid_of_file
from ledger.documents.local import LocalDocumentStore
from ledger.documents.store import DEFAULT_MEDIA_TYPE, DocumentInfo
from ledger.errors import DocumentIntegrityError, DocumentNotFound, InvalidCid, MediaTypeFixed
from tests.factories.documents import content, flip_byte

PDF = b"%PDF-1.7\n% customs declaration 2024-0042\n"


def test_put_returns_the_cid_and_get_returns_the_bytes(local_store: LocalDocumentStore) -> None:
    cid = local_store.put(PDF, "application/pdf")
    assert cid == cid_of(PDF)
    assert local_store.get(cid) == PDF
    assert local_store.get(str(cid)) == PDF
    assert local_store.get(bytes(cid)) == PDF


def test_put_keeps_the_raw_file_so_it_can_be_rehashed(local_store: LocalDocumentStore) -> None:
    data = content(600_000)
    cid = local_store.put(data, "image/jpeg")
    path = local_store.path(cid)
    assert path.read_bytes() == data
    assert cid_of_file(path) == cid
    assert path.parent.name == str(cid)[-3:-1]
    assert path.stat().st_mode & 0o777 == 0o444


def test_put_leaves_no_temporary_files(local_store: LocalDocumentStore) -> None:
    cid = local_store.put(PDF, "application/pdf")
    assert sorted(p.name for p in local_store.path(cid).parent.iterdir()) == [str(cid), f"{cid}.json"]


def test_info_reports_media_type_and_size(local_store: LocalDocumentStore) -> None:
    cid = local_store.put(PDF, "Application/PDF")
    assert local_store.info(cid) == DocumentInfo(cid=cid, media_type="application/pdf", size=len(PDF))


def test_info_without_record_falls_back_to_octet_stream(local_store: LocalDocumentStore) -> None:
    cid = local_store.put(PDF, "application/pdf")
    local_store.path(cid).with_name(f"{cid}.json").unlink()
    assert local_store.info(cid).media_type == DEFAULT_MEDIA_TYPE


def test_put_twice_is_idempotent_and_keeps_the_first_media_type(local_store: LocalDocumentStore) -> None:
    first = local_store.put(PDF, "application/pdf")
    assert local_store.put(PDF, "Application/PDF") == first
    with pytest.raises(MediaTypeFixed) as refused:
        local_store.put(PDF, "text/plain")
    assert (refused.value.stored, refused.value.asked) == ("application/pdf", "text/plain")
    assert local_store.info(first).media_type == "application/pdf"


def test_put_replaces_a_media_type_documents_may_no_longer_have(local_store: LocalDocumentStore) -> None:
    # Recorded before the allow-list (the API took any type then): an allowed type replaces it, once.
    cid = local_store.put(b"<p>certificate</p>", "text/html")
    assert local_store.info(cid).media_type == "text/html"
    local_store.put(b"<p>certificate</p>", "text/plain")
    assert local_store.info(cid).media_type == "text/plain"
    with pytest.raises(MediaTypeFixed):
        local_store.put(b"<p>certificate</p>", "application/json")


@pytest.mark.parametrize("media_type", ["", "pdf", "application/", "application/pdf extra", "a/b/c"])
def test_put_rejects_malformed_media_types(local_store: LocalDocumentStore, media_type: str) -> None:
    with pytest.raises(ValueError, match="not a media type"):
        local_store.put(PDF, media_type)
    assert not local_store.root.exists() or not any(local_store.root.rglob("*"))


def test_put_accepts_media_type_parameters(local_store: LocalDocumentStore) -> None:
    cid = local_store.put(b"lot 7", "text/plain; charset=utf-8")
    assert local_store.info(cid).media_type == "text/plain; charset=utf-8"


def test_has_and_pin(local_store: LocalDocumentStore) -> None:
    cid = local_store.put(PDF, "application/pdf")
    missing = cid_of(b"never stored")
    assert local_store.has(cid)
    assert not local_store.has(missing)
    local_store.pin(cid)
    with pytest.raises(DocumentNotFound):
        local_store.pin(missing)


def test_get_info_and_verify_of_a_missing_document_raise_not_found(local_store: LocalDocumentStore) -> None:
    missing = cid_of(b"never stored")
    for call in (local_store.get, local_store.info, local_store.verify):
        with pytest.raises(DocumentNotFound, match=str(missing)):
            call(missing)


def test_invalid_cid_is_rejected_before_touching_the_disk(local_store: LocalDocumentStore) -> None:
    with pytest.raises(InvalidCid):
        local_store.get("../../etc/passwd")


@pytest.mark.parametrize("size", [6, 1_000_000])
def test_get_and_verify_refuse_a_tampered_document(local_store: LocalDocumentStore, size: int) -> None:
    data = content(size)
    cid = local_store.put(data, "application/pdf")
    assert local_store.verify(cid).size == size
    flip_byte(local_store.path(cid), size // 2)
    with pytest.raises(DocumentIntegrityError) as refused:
        local_store.get(cid)
    assert refused.value.cid == str(cid)
    assert refused.value.actual != str(cid)
    with pytest.raises(DocumentIntegrityError, match=f"document {cid} fails verification"):
        local_store.verify(cid)


def test_verify_refuses_a_truncated_document(local_store: LocalDocumentStore) -> None:
    cid = local_store.put(PDF, "application/pdf")
    path = local_store.path(cid)
    path.chmod(0o644)
    os.truncate(path, len(PDF) - 1)
    with pytest.raises(DocumentIntegrityError):
        local_store.verify(cid)


def test_put_repairs_a_tampered_copy(local_store: LocalDocumentStore) -> None:
    cid = local_store.put(PDF, "application/pdf")
    flip_byte(local_store.path(cid), 3)
    assert local_store.put(PDF, "application/pdf") == cid
    assert local_store.get(cid) == PDF
