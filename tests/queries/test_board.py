"""The board's day panels: the lab tests of a window and the lots quarantined or recalled in it."""

from __future__ import annotations

from ledger.queries.board import alerts_between, inspections_between
from tests.factories.board_market import RECALL_REASON
from tests.factories.market import GTIN
from tests.queries.conftest import ALL_TIME, Indexed


def test_inspections_between_show_residues_against_limits_and_the_holder(indexed: Indexed) -> None:
    tests = inspections_between(indexed.engine, *ALL_TIME)
    assert [(t.lot, t.passed) for t in tests] == [("MK-GREENS-2", False), ("MK-GREENS-1", True)]  # newest first
    failed, passed = tests
    assert failed.holder.name == "Stall B03" and failed.lab.name == "Market Lab"
    assert [(r.substance, r.measured, r.limit, r.exceeded) for r in failed.residues] == [("carbofuran", 37, 20, True)]
    assert [(r.substance, r.exceeded) for r in passed.residues] == [("chlorpyrifos", False), ("lead (Pb)", False)]
    assert passed.holder.name == "Stall A12" and passed.gtin == GTIN


def test_alerts_between_list_quarantined_and_recalled_lots(indexed: Indexed) -> None:
    alerts = alerts_between(indexed.engine, *ALL_TIME)
    assert [(a.kind, a.lot, a.status) for a in alerts] == [
        ("recalled", "MK-GREENS-2", "recalled"),
        ("quarantined", "MK-GREENS-2", "recalled"),
    ]
    recalled, quarantined = alerts
    assert recalled.reason == RECALL_REASON
    assert quarantined.reason == "carbofuran 37/20 ug/kg"
    assert quarantined.holder.name == "Stall B03"
    first_inspection = indexed.block_times("inspections")[0]
    assert alerts_between(indexed.engine, 0, first_inspection) == []
