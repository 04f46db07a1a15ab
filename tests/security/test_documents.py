"""Attacks on documents: stored script (HTML, SVG, XML, JavaScript), re-labelling someone
else's document, uploads by a suspended participant, and documents recorded before the
allow-list. Every refusal is a clear 4xx with nothing stored; every document answer is
sandboxed; storing runs off the event loop that answers scans."""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from multiformats import CID

from api.main import create_app
from ledger.chain.node import free_port
from ledger.documents import cid_of
from ledger.documents.local import LocalDocumentStore
from tests.api.conftest import Market
from tests.support.server import serve_in_thread

SCRIPTS = {
    "text/html": b"<html><script>fetch('/participants').then(r => r.text()).then(alert)</script></html>",
    "TEXT/HTML; charset=utf-8": b"<html><body onload=alert(1)>",
    "image/svg+xml": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "application/xhtml+xml": b'<html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>',
    "application/xml": b'<?xml version="1.0"?><x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)</x:script>',
    "text/xml": b"<?xml version='1.0'?><r/>",
    "application/javascript": b"alert(document.cookie)",
    "text/javascript": b"alert(document.cookie)",
    "application/octet-stream": b"<script>alert(1)</script>",
    "text/plain; charset=utf-7": b"+ADw-script+AD4-alert(1)+ADw-/script+AD4-",
}
PDF = b"%PDF-1.7\n% lab report 0417: chlorpyrifos 3 ug/kg\n"
#: What every answer under /documents carries.
SANDBOX = "default-src 'none'; sandbox"
#: A safe download name: the CID (base32) and an extension of the allow-list.
SAFE_FILENAME = re.compile(r'^(inline|attachment); filename="b[a-z2-7]+\.[a-z]+"$')


def stored_files(m: Market) -> list[str]:
    root = m.client.app.state.services.documents.root
    return sorted(str(p) for p in root.rglob("*")) if root.exists() else []


def upload(m: Market, key: str, body: bytes, media_type: str) -> httpx.Response:
    return m.client.post("/documents", content=body, headers={**m.auth(key), "Content-Type": media_type})


def assert_sandboxed(answer: httpx.Response) -> None:
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["content-security-policy"] == SANDBOX
    assert "content-disposition" in answer.headers


@pytest.mark.parametrize("media_type", list(SCRIPTS))
def test_upload_of_a_type_a_browser_would_run_is_415_and_stores_nothing(
    api_market: Market, cast: dict, media_type: str
) -> None:
    m = api_market
    before = stored_files(m)
    answer = upload(m, cast["lab"][1], SCRIPTS[media_type], media_type)
    assert answer.status_code == 415, answer.text
    assert "Content-Type" in answer.json()["detail"]
    assert "application/pdf" in answer.json()["detail"] or "charset" in answer.json()["detail"]
    assert stored_files(m) == before
    assert m.client.get(f"/documents/{cid_of(SCRIPTS[media_type]).encode('base32')}").status_code == 404
    server_alive(m)


def test_re_upload_with_another_type_is_409_and_the_first_type_stays(api_market: Market, cast: dict) -> None:
    m = api_market
    first = upload(m, cast["lab"][1], PDF, "application/pdf")
    assert first.status_code == 201
    cid = first.json()["cid"]
    assert upload(m, cast["customs"][1], PDF, "application/pdf").status_code == 201  # the same: idempotent
    relabel = upload(m, cast["customs"][1], PDF, "text/plain")
    assert relabel.status_code == 409
    assert relabel.json()["error"] == "MediaTypeFixed" and "stored as application/pdf" in relabel.json()["message"]
    served = m.client.get(f"/documents/{cid}")
    assert served.headers["content-type"] == "application/pdf"
    assert served.headers["content-disposition"] == f'inline; filename="{cid}.pdf"'


def test_a_suspended_participant_cannot_upload(api_market: Market) -> None:
    m = api_market
    address, key = m.admit("LAB", "Lab about to be suspended", "CMA-2026-9999")
    suspended = m.client.post(
        f"/participants/{address}/suspend", json={"reason": "licence withdrawn"}, headers=m.auth(m.authority_key)
    )
    assert suspended.status_code == 200, suspended.text
    before = stored_files(m)
    body = b"a certificate from a suspended lab"
    answer = upload(m, key, body, "text/plain")
    assert answer.status_code == 403 and "suspended" in answer.json()["detail"]
    assert stored_files(m) == before
    assert m.client.get(f"/documents/{cid_of(body).encode('base32')}").status_code == 404


@pytest.mark.parametrize(
    ("media_type", "served_type", "disposition", "extension"),
    [
        ("image/png", "image/png", "inline", ".png"),
        ("application/pdf", "application/pdf", "inline", ".pdf"),
        ("text/plain", "text/plain; charset=utf-8", "attachment", ".txt"),
        ("application/json", "application/json", "attachment", ".json"),
    ],
)
def test_only_images_and_pdf_are_shown_inline(
    api_market: Market, cast: dict, media_type: str, served_type: str, disposition: str, extension: str
) -> None:
    m = api_market
    body = f"a {media_type} document".encode()
    cid = upload(m, cast["farm"][1], body, media_type).json()["cid"]
    served = m.client.get(f"/documents/{cid}")
    assert served.status_code == 200 and served.content == body
    assert served.headers["content-type"] == served_type
    assert served.headers["content-disposition"] == f'{disposition}; filename="{cid}{extension}"'
    assert SAFE_FILENAME.match(served.headers["content-disposition"])
    assert_sandboxed(served)


def test_every_answer_on_the_document_route_is_sandboxed(api_market: Market, cast: dict) -> None:
    m = api_market
    cid = upload(m, cast["farm"][1], b"harvest photo caption", "text/plain").json()["cid"]
    answers = {
        "200": m.client.get(f"/documents/{cid}"),
        "304": m.client.get(f"/documents/{cid}", headers={"If-None-Match": f'"{cid}"'}),
        "404": m.client.get(f"/documents/{cid_of(b'never stored').encode('base32')}"),
        "422": m.client.get("/documents/not-a-cid"),
        "404 (a path trying to climb out)": m.client.get("/documents/..%2F..%2Fapi.db"),
        "422 (a CID trying to climb out)": m.client.get("/documents/..%5C..%5Capi.db"),
        "401 upload": m.client.post("/documents", content=b"x", headers={"Content-Type": "text/plain"}),
        "415 upload": upload(m, cast["farm"][1], b"<svg/>", "image/svg+xml"),
    }
    for name, answer in answers.items():
        assert answer.status_code == int(name.split()[0]), name
        assert_sandboxed(answer)
    assert answers["304"].content == b""
    # Another base of the same CID is the same document, under the same (canonical) name.
    base58 = CID.decode(cid).encode("base58btc")
    assert m.client.get(f"/documents/{base58}").headers["etag"] == f'"{cid}"'


@pytest.mark.parametrize("legacy", ["text/html", "image/svg+xml", "application/xhtml+xml"])
def test_a_document_recorded_before_the_allow_list_is_served_as_a_download(
    api_market: Market, cast: dict, legacy: str
) -> None:
    m = api_market
    body = f"<html><script>alert('{legacy}')</script></html>".encode()
    store = m.client.app.state.services.documents
    cid = store.put(body, legacy).encode("base32")  # as the API stored any type before
    served = m.client.get(f"/documents/{cid}")
    assert served.status_code == 200
    assert served.headers["content-type"] == "application/octet-stream"
    assert served.headers["content-disposition"] == f'attachment; filename="{cid}.bin"'
    assert_sandboxed(served)
    # Its uploader may now give it an allowed type, once.
    assert upload(m, cast["farm"][1], body, "text/plain").status_code == 201
    assert m.client.get(f"/documents/{cid}").headers["content-type"] == "text/plain; charset=utf-8"
    assert upload(m, cast["farm"][1], body, "application/json").status_code == 409


class GatedStore(LocalDocumentStore):
    """The real local store, whose put waits until the test has seen a scan answered: if put
    ran on the event loop, no scan could be answered and the test would fail, not hang."""

    def __init__(self, root: Path, gate: threading.Event) -> None:
        super().__init__(root)
        self.gate = gate
        self.entered = threading.Event()

    def put(self, data: bytes, media_type: str) -> CID:
        self.entered.set()
        assert self.gate.wait(timeout=30), "no scan was answered while the document was being stored"
        return super().put(data, media_type)


@pytest.fixture
def gated(api_market: Market, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, GatedStore]]:
    gate = threading.Event()
    services = api_market.client.app.state.services
    store = GatedStore(tmp_path_factory.mktemp("gated"), gate)
    app = create_app(services.settings, dataclasses.replace(services, documents=store))
    with serve_in_thread(app, free_port(), "gated-documents") as base:
        yield base, store


def test_storing_a_document_leaves_the_event_loop_answering_scans(
    gated: tuple[str, GatedStore], scan_path: str, cast: dict
) -> None:
    base, store = gated
    answers: list[httpx.Response] = []
    body = b"%PDF-1.7\n" + bytes(range(256)) * 4096  # 1 MB
    headers = {"Authorization": f"Bearer {cast['customs'][1]}", "Content-Type": "application/pdf"}
    uploading = threading.Thread(
        target=lambda: answers.append(httpx.post(f"{base}/documents", content=body, headers=headers, timeout=60))
    )
    uploading.start()
    try:
        assert store.entered.wait(timeout=30), "the upload never reached the store"
        scan = httpx.get(base + scan_path, timeout=10)  # while put waits, wherever it runs
        assert scan.status_code == 200
    finally:
        store.gate.set()
        uploading.join(timeout=60)
    assert answers and answers[0].status_code == 201, answers


def server_alive(m: Market) -> None:
    assert m.client.get("/health").status_code == 200
