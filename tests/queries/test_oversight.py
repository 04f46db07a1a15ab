"""stall_oversight: the regulators' view of the stalls."""

from __future__ import annotations

from ledger.queries.oversight import stall_oversight
from tests.queries.conftest import Indexed


def test_stall_oversight_puts_failed_tests_next_to_ratings(indexed: Indexed) -> None:
    m = indexed.market
    rows = stall_oversight(indexed.engine)
    assert [(r.stall.name, r.inspections, r.failed_inspections) for r in rows] == [
        ("Stall B03", 1, 1),
        ("Stall A12", 1, 0),
    ]
    assert rows[0].last_failed_at == indexed.block_times("inspections")[-1]
    assert rows[1].last_failed_at is None
    assert rows[0].stall.address == m.vendor2.address
