"""Market days as the queries take them: a half-open window ``[start, end)`` of Unix seconds
in the market's time zone, so a day's query is an index range scan over ``block_time``."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from time import time as time_now


def day_window(day: date, tz: tzinfo) -> tuple[int, int]:
    """The market day `day` in zone `tz` as ``[start, end)`` Unix seconds (23 to 25 hours
    long on a daylight-saving change)."""
    start = datetime.combine(day, time(0), tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tz)
    return int(start.timestamp()), int(end.timestamp())


def market_day(timestamp: float, tz: tzinfo) -> date:
    """The market day (in `tz`) that `timestamp` falls on."""
    return datetime.fromtimestamp(timestamp, tz).date()


def market_window(day: date | None, tz: tzinfo) -> tuple[date, int, int]:
    """Market day `day` (today in `tz` when None) and its :func:`day_window`."""
    chosen = day or market_day(time_now(), tz)
    start, end = day_window(chosen, tz)
    return chosen, start, end
