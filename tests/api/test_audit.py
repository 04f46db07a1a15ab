"""GET /regulators/audit: the audit as JSON, for regulators only; clean on the API's own
index, then each tampering reported (database row, stored document)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from ledger.documents import cid_of
from tests.api.conftest import Market
from tests.factories.traceability import sell_through_api

URL = "/regulators/audit"
RECEIPT = b"AU-01 harvest receipt: 200 kg leafy greens, field 3"


@pytest.fixture(scope="module")
def sold(api_market: Market, cast: dict) -> dict:
    """AU-01 with its harvest receipt uploaded through the API, repacked and sold."""
    uploaded = api_market.client.post(
        "/documents", content=RECEIPT, headers={**api_market.auth(cast["farm"][1]), "Content-Type": "text/plain"}
    )
    assert uploaded.status_code == 201, uploaded.text
    return {
        "cid": uploaded.json()["cid"],
        **sell_through_api(api_market, cast, "AU-01", document_cid=uploaded.json()["cid"]),
    }


def get_audit(m: Market, cast: dict) -> dict:
    answer = m.client.get(URL, headers=m.auth(cast["regulator"][1]))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_audit_of_the_api_index_is_clean(api_market: Market, cast: dict, sold: dict) -> None:
    report = get_audit(api_market, cast)
    assert report["findings"] == []
    assert report["clean"] is True
    assert report["documents_checked"] == 1
    assert report["rows_compared"] > 20
    assert report["as_of_block"] > 0


def test_tampered_row_and_document_are_reported(api_market: Market, cast: dict, sold: dict) -> None:
    engine = api_market.indexer.store.engine
    store = api_market.client.app.state.services.documents
    path = store.path(sold["cid"])
    with engine.begin() as conn:
        conn.execute(text("UPDATE sales SET price = 1 WHERE sale_id = :id"), {"id": sold["sale_id"]})
    path.chmod(0o644)
    path.write_bytes(b"AU-01 harvest receipt: 900 kg leafy greens, field 3")
    try:
        report = get_audit(api_market, cast)
    finally:
        path.write_bytes(RECEIPT)
        path.chmod(0o444)
        with engine.begin() as conn:
            conn.execute(text("UPDATE sales SET price = 1200 WHERE sale_id = :id"), {"id": sold["sale_id"]})
    assert report["clean"] is False
    assert report["errors"] == 2
    kinds = [(f["kind"], f.get("table"), f["severity"]) for f in report["findings"]]
    assert kinds == [("row_different", "sales", "error"), ("document_tampered", None, "error")]
    different, tampered = report["findings"]
    assert different["differences"] == {"price": [1200, 1]}
    assert tampered["cid"] == sold["cid"]
    assert tampered["actual"] == str(cid_of(b"AU-01 harvest receipt: 900 kg leafy greens, field 3"))
    assert tampered["references"] == [[sold["parent"], "harvest"]]
    assert get_audit(api_market, cast)["clean"] is True  # restored


def test_only_regulators_may_audit(api_market: Market, cast: dict) -> None:
    assert api_market.client.get(URL).status_code == 401
    assert api_market.client.get(URL, headers=api_market.auth(cast["lab"][1])).status_code == 403
