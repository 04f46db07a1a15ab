"""The receipt scan counter: a scan touches no database (counts wait in memory), a flush writes
them in one transaction on SQLite and PostgreSQL, a failed flush keeps them for the next, and
only a network prefix (/24, /48) is ever formed from an address."""

from __future__ import annotations

from sqlalchemy import event

from api.scan_counter import ScanCounter, network_of
from ledger.store.receipt_scans import CopyRule
from tests.support.databases import Databases

SALE = "0x" + "d4" * 32
RULE = CopyRule(networks=2, window_s=600)


def test_network_of_keeps_only_the_prefix() -> None:
    assert network_of("203.0.113.77") == "203.0.113.0/24"
    assert network_of("2001:db8:1:2:3:4:5:6") == "2001:db8:1::/48"
    assert network_of("::ffff:198.51.100.9") == "198.51.100.0/24"
    assert network_of("testclient") is None and network_of(None) is None and network_of("") is None


def test_a_scan_touches_no_database_and_a_flush_writes_them_all(databases: Databases) -> None:
    engine = databases.engine()
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    clock = iter(range(1_800_000_000, 1_800_001_000))
    counter = ScanCounter(engine, RULE, flush_s=3600, retention_s=86_400, clock=lambda: next(clock))
    try:
        for n in range(200):
            counter.record(SALE, f"203.0.{n % 2}.{n}")
        assert statements == []  # the scan's path: memory only
        waiting = counter.summary(SALE)
        assert waiting is not None and waiting.scans == 200 and not waiting.flagged
        assert counter.flush() == [SALE]  # two networks within ten minutes
        stored = counter.summary(SALE)
        assert stored is not None and stored.scans == 200 and stored.flagged and stored.networks == 2
    finally:
        counter.close()


def test_a_failed_flush_keeps_the_counts_for_the_next(databases: Databases) -> None:
    engine = databases.engine()
    counter = ScanCounter(engine, RULE, flush_s=3600, retention_s=86_400, clock=lambda: 1_800_000_000)
    counter.record(SALE, "192.0.2.1")
    counter.record(SALE, "192.0.2.2")
    with engine.begin() as conn:  # the table is gone for a moment: the write fails
        conn.exec_driver_sql("ALTER TABLE receipt_scans RENAME TO receipt_scans_away")
    assert counter.flush() == []
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE receipt_scans_away RENAME TO receipt_scans")
    assert counter.flush() == []
    summary = counter.summary(SALE)
    assert summary is not None and summary.scans == 2
    counter.close()
