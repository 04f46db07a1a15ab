"""Receipt scans in the API's database, on SQLite and PostgreSQL: tallies add up per receipt and
network, a receipt first scanned from enough networks within the window is flagged once (and
stays flagged), pruning drops per-network rows past the retention but keeps the totals."""

from __future__ import annotations

from sqlalchemy import Engine, select

from ledger.store import models
from ledger.store.change_marks import MarkReader, scans_key
from ledger.store.receipt_scans import (
    CopyRule,
    ScanTally,
    add_scans,
    most_within,
    prune_scans,
    scan_summary,
    suspect_receipts,
)
from tests.support.databases import Databases

RULE = CopyRule(networks=3, window_s=600)
T0 = 1_800_000_000
SALE, OTHER = "0x" + "a1" * 32, "0x" + "b2" * 32


def net(n: int) -> str:
    return f"198.51.{n}.0/24"


def test_add_scans_sums_tallies_per_receipt_and_network(databases: Databases) -> None:
    engine = databases.engine()
    assert add_scans(engine, [ScanTally(SALE, net(1), T0, T0 + 5, 2)], rule=RULE) == []
    assert (
        add_scans(engine, [ScanTally(SALE, net(1), T0 - 3, T0 + 9, 3), ScanTally(OTHER, net(2), T0, T0, 1)], rule=RULE)
        == []
    )
    summary = scan_summary(engine, SALE)
    assert summary is not None
    assert (summary.first_at, summary.last_at, summary.scans, summary.networks, summary.flagged) == (
        T0 - 3,
        T0 + 9,
        5,
        0,  # counted when flagged
        False,
    )
    with engine.connect() as conn:
        rows = conn.execute(select(models.ReceiptScan.__table__).order_by("sale_id")).mappings().all()
    assert [(r["network"], r["first_at"], r["last_at"], r["scans"]) for r in rows] == [
        (net(1), T0 - 3, T0 + 9, 5),
        (net(2), T0, T0, 1),
    ]
    assert scan_summary(engine, "0x" + "c3" * 32) is None
    assert suspect_receipts(engine) == []


def test_receipt_scanned_from_many_networks_in_the_window_is_flagged_once(databases: Databases) -> None:
    engine = databases.engine()
    # Three networks, but spread over more than the window: not a copy.
    spread = [ScanTally(SALE, net(n), T0 + n * 400, T0 + n * 400, 1) for n in range(3)]
    assert add_scans(engine, spread, rule=RULE) == []
    summary = scan_summary(engine, SALE)
    assert summary is not None and not summary.flagged
    # Two more close to the last: three within ten minutes.
    close = [ScanTally(SALE, net(n), T0 + 900 + n, T0 + 900 + n, 1) for n in (7, 8)]
    assert add_scans(engine, close, rule=RULE) == [SALE]
    flagged = scan_summary(engine, SALE)
    assert (
        flagged is not None and flagged.flagged and flagged.flagged_at == T0 + 908 and flagged.networks == 4
    )  # 400, 800, 907, 908
    assert [s.sale_id for s in suspect_receipts(engine)] == [SALE]
    # Flagged once: more scans add up but do not flag it again.
    assert add_scans(engine, [ScanTally(SALE, net(9), T0 + 999, T0 + 999, 1)], rule=RULE) == []
    again = scan_summary(engine, SALE)
    assert again is not None and again.flagged_at == T0 + 908 and again.scans == 6


def test_prune_drops_networks_past_the_retention_and_keeps_the_totals(databases: Databases) -> None:
    engine: Engine = databases.engine()
    add_scans(engine, [ScanTally(SALE, net(1), T0, T0, 1), ScanTally(SALE, net(2), T0, T0 + 100, 4)], rule=RULE)
    assert prune_scans(engine, T0 + 50) == 1
    with engine.connect() as conn:
        left = conn.execute(select(models.ReceiptScan.__table__.c.network)).scalars().all()
    assert left == [net(2)]
    summary = scan_summary(engine, SALE)
    assert summary is not None and summary.scans == 5
    assert prune_scans(engine, T0 + 50) == 0


def test_most_within_counts_the_densest_window() -> None:
    assert most_within([], 60) == 0
    assert most_within([5], 60) == 1
    assert most_within([0, 60, 61, 200], 60) == 2
    assert most_within([0, 1, 2, 3, 1000], 3) == 4


def test_a_receipts_page_is_marked_changed_when_it_is_flagged(databases: Databases) -> None:
    engine = databases.engine()
    key = scans_key(SALE)

    def generation() -> int:
        return MarkReader(engine).newest((key,))[0]

    add_scans(engine, [ScanTally(SALE, net(1), T0, T0, 1)], rule=RULE)
    add_scans(engine, [ScanTally(SALE, net(2), T0, T0 + 1, 5)], rule=RULE)
    assert generation() == 0  # only the count moved: cached pages may lag on it
    assert add_scans(engine, [ScanTally(SALE, net(3), T0, T0 + 2, 1)], rule=RULE) == [SALE]
    assert generation() > 0  # flagged: the warning reaches the next scan
