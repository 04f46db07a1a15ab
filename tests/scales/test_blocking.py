"""A lot that fails its lab test or is recalled is blocked at the scales of the stalls that
map it, by a retained message, within 2 s of the event being indexed; a weighing of a blocked
key is refused and no sale is recorded."""

from __future__ import annotations

import time

from sqlalchemy import select

from ledger.chain.freshledger import Residue
from ledger.hexes import to_hex
from ledger.store import models
from tests.factories.market import at_stall
from tests.scales.conftest import ScaleRig, wait_until

#: What the issue allows between the index recording the event and the scales knowing.
BLOCK_WITHIN_S = 2.0


def _status(rig: ScaleRig, batch_id: bytes) -> str | None:
    table = models.Batch.__table__
    with rig.engine.connect() as conn:
        return conn.execute(select(table.c.status).where(table.c.batch_id == to_hex(batch_id))).scalar()


def _indexed_then_blocked(rig: ScaleRig, batch_id: bytes, status: str, blocked: object, scale: object) -> float:
    wait_until(lambda: _status(rig, batch_id) == status, 20, f"{status} indexed")
    indexed = time.monotonic()
    wait_until(lambda: scale.blocked == blocked, BLOCK_WITHIN_S, "the scale told")  # type: ignore[attr-defined]
    return time.monotonic() - indexed


def test_recalled_and_failed_lots_are_blocked_at_the_scales(rig: ScaleRig) -> None:
    market = rig.market
    greens, spinach = at_stall(market, quantity=50), at_stall(market, quantity=50)
    rig.map_plu(market.vendor, 1, greens)
    rig.map_plu(market.vendor, 2, spinach)
    rig.start_gateway()
    front = rig.scale(market.vendor, "front")
    wait_until(lambda: front.blocks_seen, 20, "the retained blocks of the scale")
    assert front.blocked == {}

    market.ledger.recall(market.regulator, [greens], "listeria")
    _indexed_then_blocked(rig, greens, "recalled", {1: "recalled"}, front)
    market.ledger.record_inspection(market.lab, spinach, passed=False, residues=[Residue("carbofuran", 37, 20)])
    _indexed_then_blocked(rig, spinach, "quarantined", {1: "recalled", 2: "quarantined"}, front)

    refused = [front.weigh(1, 1, "KGM", 1000), front.weigh(2, 1, "KGM", 1000)]
    wait_until(lambda: front.unanswered() == 0, 30, "the refusals")
    answers = front.answers()
    assert [answers[w.seq]["reason"] for w in refused] == ["PluBlocked", "PluBlocked"]
    assert "recalled" in answers[refused[0].seq]["message"]
    assert rig.sales_on_chain() == []

    # A scale that connects later finds the blocks waiting for it (retained).
    back = rig.scale(market.vendor, "back")
    wait_until(lambda: back.blocked == {1: "recalled", 2: "quarantined"}, 10, "the retained blocks")
