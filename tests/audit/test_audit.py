"""audit(): an honest index is clean; a changed, deleted or invented row, an altered
document and a cut lineage are each reported exactly. On SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

from ledger.audit import (
    DocumentMissing,
    DocumentTampered,
    RowDifferent,
    RowExtra,
    RowMissing,
    SaleWithoutOrigin,
    compare,
)
from ledger.documents import cid_of
from tests.audit.conftest import Audited
from tests.factories.traceability import LAB_REPORT


def one(audited: Audited, sql: str, **params: object) -> dict:
    with audited.engine.connect() as conn:
        return dict(conn.execute(text(sql), params).mappings().one())


def execute(audited: Audited, sql: str, **params: object) -> None:
    with audited.engine.begin() as conn:
        conn.execute(text(sql), params)


def sale_of(audited: Audited, lot: str) -> dict:
    return one(audited, "SELECT s.* FROM sales s JOIN batches b ON b.batch_id = s.batch_id WHERE b.lot = :lot", lot=lot)


def test_audit_of_an_honest_index_is_clean(indexed: Audited) -> None:
    report = indexed.audit()
    assert report.findings == []
    assert report.clean
    assert report.documents_checked == 3
    raw_events = one(indexed, "SELECT count(*) AS n FROM raw_events")["n"]
    assert report.rows_compared > raw_events > 20
    assert report.as_of_block == one(indexed, "SELECT block_number FROM checkpoint")["block_number"]
    assert report.to_dict()["clean"] is True


def test_a_changed_quantity_is_a_different_row(indexed: Audited) -> None:
    sale = sale_of(indexed, "GV-01-A")
    execute(indexed, "UPDATE sales SET quantity = 3 WHERE sale_id = :id", id=sale["sale_id"])
    report = indexed.audit()
    key = {"block_number": sale["block_number"], "log_index": sale["log_index"]}
    assert report.findings == [RowDifferent("sales", key, {"quantity": (2, 3)})]
    assert not report.clean
    (finding,) = report.to_dict()["findings"]
    assert finding["kind"] == "row_different"
    assert finding["severity"] == "error"
    assert "quantity is 3, the chain says 2" in finding["message"]


def test_a_deleted_sale_is_a_missing_row(indexed: Audited) -> None:
    sale = sale_of(indexed, "TH-01-A")
    execute(indexed, "DELETE FROM sales WHERE sale_id = :id", id=sale["sale_id"])
    report = indexed.audit()
    key = {"block_number": sale["block_number"], "log_index": sale["log_index"]}
    assert len(report.findings) == 1
    (missing,) = report.findings
    assert isinstance(missing, RowMissing)
    assert (missing.table, missing.key) == ("sales", key)
    assert missing.expected["sale_id"] == sale["sale_id"]
    assert missing.expected["quantity"] == 1
    assert "sales: row block_number=" in missing.message()


def test_an_invented_custody_row_is_an_extra_row(indexed: Audited) -> None:
    received = one(indexed, "SELECT * FROM custody_events WHERE kind = 'received' ORDER BY block_number LIMIT 1")
    bogus = {**received, "block_number": received["block_number"], "log_index": 99, "to_address": "0x" + "ab" * 20}
    columns = ", ".join(bogus)
    execute(indexed, f"INSERT INTO custody_events ({columns}) VALUES ({', '.join(':' + c for c in bogus)})", **bogus)
    report = indexed.audit()
    key = {"block_number": received["block_number"], "log_index": 99}
    assert [(type(f), f.table, f.key) for f in report.findings] == [(RowExtra, "custody_events", key)]
    assert report.findings[0].found["to_address"] == "0x" + "ab" * 20


def test_an_altered_document_is_reported_with_the_hash_of_its_bytes(indexed: Audited) -> None:
    store = indexed.chain.store
    cid = indexed.chain.scenario.documents["report"]
    with altered(store.path(cid), b"CMA-2026-0417 report 88: GV-01-A chlorpyrifos 0 ug/kg (limit 50)"):
        report = indexed.audit()
    batch = one(indexed, "SELECT batch_id FROM batches WHERE lot = 'GV-01-A'")["batch_id"]
    forged = str(cid_of(b"CMA-2026-0417 report 88: GV-01-A chlorpyrifos 0 ug/kg (limit 50)"))
    assert report.findings == [DocumentTampered(cid, forged, ((batch, "inspection"),))]
    assert not report.clean
    assert store.get(cid) == LAB_REPORT  # restored for the other tests


def test_a_document_absent_from_the_store_is_a_warning(indexed: Audited) -> None:
    store = indexed.chain.store
    cid = indexed.chain.scenario.documents["photo"]
    path = store.path(cid)
    kept = path.read_bytes()
    path.unlink()
    try:
        report = indexed.audit()
    finally:
        store.put(kept, "text/plain")
    batch = one(indexed, "SELECT batch_id FROM batches WHERE lot = 'GV-01'")["batch_id"]
    assert report.findings == [DocumentMissing(cid, ((batch, "harvest"),))]
    assert report.clean  # incomplete, not lying
    assert report.to_dict()["warnings"] == 1


def test_a_cut_lineage_leaves_a_sale_without_origin(indexed: Audited) -> None:
    child = one(indexed, "SELECT batch_id FROM batches WHERE lot = 'GV-01-A'")["batch_id"]
    edge = one(indexed, "SELECT * FROM lineage WHERE child_id = :child", child=child)
    execute(indexed, "DELETE FROM lineage WHERE child_id = :child", child=child)
    report = indexed.audit()
    sale = sale_of(indexed, "GV-01-A")
    key = {"block_number": edge["block_number"], "log_index": edge["log_index"], "position": 0}
    assert [(type(f), getattr(f, "table", None), getattr(f, "key", None)) for f in report.findings[:1]] == [
        (RowMissing, "lineage", key)
    ]
    assert report.findings[1:] == [SaleWithoutOrigin(sale["sale_id"], child, "GV-01-A", (child,), ("GV-01-A",))]
    assert "does not reach a harvest or customs entry (stops at GV-01-A)" in report.findings[1].message()


@contextmanager
def altered(path: Path, content: bytes) -> Iterator[None]:
    """Overwrite a read-only stored document, and put the original back afterwards."""
    original = path.read_bytes()
    path.chmod(0o644)
    try:
        path.write_bytes(content)
        yield
    finally:
        path.write_bytes(original)
        path.chmod(0o444)


def test_windowed_comparison_reports_rows_in_every_window(indexed: Audited, monkeypatch: pytest.MonkeyPatch) -> None:
    """Compared two rows at a time, a missing raw event in the middle and an invented one
    past the chain's last block are both found."""
    monkeypatch.setattr(compare, "WINDOW_ROWS", 2)
    middle = one(indexed, "SELECT * FROM raw_events ORDER BY block_number, log_index LIMIT 1 OFFSET 11")
    last = one(indexed, "SELECT max(block_number) AS n FROM raw_events")["n"]
    execute(
        indexed,
        "DELETE FROM raw_events WHERE block_number = :b AND log_index = :i",
        b=middle["block_number"],
        i=middle["log_index"],
    )
    invented = {**middle, "block_number": last + 5, "block_hash": "0x" + "00" * 32}
    invented["args"] = middle["args"] if isinstance(middle["args"], str) else json.dumps(middle["args"])
    columns = ", ".join(invented)
    execute(indexed, f"INSERT INTO raw_events ({columns}) VALUES ({', '.join(':' + c for c in invented)})", **invented)
    report = indexed.audit()
    assert [(type(f), f.table, f.key) for f in report.findings] == [
        (RowMissing, "raw_events", {"block_number": middle["block_number"], "log_index": middle["log_index"]}),
        (RowExtra, "raw_events", {"block_number": last + 5, "log_index": middle["log_index"]}),
    ]
