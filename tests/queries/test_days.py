"""Market days as Unix-second windows in the market's time zone."""

from __future__ import annotations

from datetime import date

from ledger.queries.days import day_window, market_day
from tests.queries.conftest import SHANGHAI


def test_day_window_is_the_market_day_in_its_zone() -> None:
    start, end = day_window(date(2026, 11, 26), SHANGHAI)
    assert (start, end - start) == (1_795_622_400, 86_400)  # 2026-11-25 16:00 UTC
    assert market_day(start, SHANGHAI) == date(2026, 11, 26)
    assert market_day(start - 1, SHANGHAI) == date(2026, 11, 25)
