"""An API worker's garbage collector, as its start-up leaves it: what exists at start-up is
frozen out of every collection, and young collections come every GC_YOUNG_THRESHOLD new
containers instead of CPython's 700 (api.main explains the measurement)."""

from __future__ import annotations

import gc

from api.main import GC_YOUNG_THRESHOLD
from tests.api.conftest import Market


def test_a_started_worker_freezes_its_start_up_and_collects_young_objects_less_often(api_market: Market) -> None:
    assert api_market.client.get("/health").status_code == 200
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold()[0] == GC_YOUNG_THRESHOLD > 700
