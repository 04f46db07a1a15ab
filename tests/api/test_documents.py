"""Documents through the API: upload as a participant, record the CID on-chain, download by
CID with its media type; tampered bytes are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ledger.documents import cid_of
from tests.api.conftest import Market

DECLARATION = b"%PDF-1.4\n% customs declaration 310120261000123456, 300 kg durian, TH\n" * 50


def test_upload_record_and_download(api_market: Market, cast: dict) -> None:
    m = api_market
    uploaded = m.client.post(
        "/documents", content=DECLARATION, headers={**m.auth(cast["customs"][1]), "Content-Type": "application/pdf"}
    )
    assert uploaded.status_code == 201, uploaded.text
    cid = uploaded.json()["cid"]
    assert cid == cid_of(DECLARATION).encode("base32")
    body = {
        "gtin": "08850000000010",
        "lot": "DOC-0001",
        "quantity": 300,
        "importer": cast["wholesaler"][0],
        "origin_country": "TH",
        "declaration_number": "310120261000123456",
        "cleared_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "entry_port": "CNNGB",
        "document_cid": cid,
    }
    imported = m.client.post("/imports", json=body, headers=m.auth(cast["customs"][1]))
    assert imported.status_code == 201, imported.text
    m.sync()
    history = m.client.get(f"/batches/{imported.json()['batch_ids'][0]}/history").json()
    assert history["origins"][0]["details"]["document_cid"] == cid
    downloaded = m.client.get(f"/documents/{cid}")
    assert downloaded.status_code == 200
    assert downloaded.content == DECLARATION
    assert downloaded.headers["content-type"] == "application/pdf"


def test_upload_needs_a_key_and_a_media_type(api_market: Market, cast: dict) -> None:
    m = api_market
    assert m.client.post("/documents", content=b"x", headers={"Content-Type": "text/plain"}).status_code == 401
    bad = m.client.post("/documents", content=b"x", headers={**m.auth(cast["lab"][1]), "Content-Type": "nonsense"})
    assert bad.status_code == 415


def test_unknown_and_tampered_documents(api_market: Market, cast: dict) -> None:
    m = api_market
    assert m.client.get(f"/documents/{cid_of(b'never stored').encode('base32')}").status_code == 404
    assert m.client.get("/documents/not-a-cid").status_code == 422
    uploaded = m.client.post(
        "/documents",
        content=b"lab report 0417: chlorpyrifos 3 ug/kg",
        headers={**m.auth(cast["lab"][1]), "Content-Type": "text/plain"},
    )
    cid = uploaded.json()["cid"]
    store = m.client.app.state.services.documents
    stored = next(p for p in store.root.rglob("*") if p.is_file() and cid in p.name and not p.name.endswith(".json"))
    stored.write_bytes(b"lab report 0417: chlorpyrifos 0 ug/kg")
    tampered = m.client.get(f"/documents/{cid}")
    assert tampered.status_code == 500
    assert tampered.json()["error"] == "DocumentIntegrityError"
