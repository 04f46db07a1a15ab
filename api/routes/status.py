"""The market's status online: ``/market/status`` (a page with SVG charts) and
``/market/status.csv`` (the same figures), over the last ``days`` market days, from the index."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from api.deps import ServicesDep
from api.pages.market_status import render_status_page, status_csv
from ledger.queries.days import day_window, market_window
from ledger.queries.market_status import DayFigures, MarketStatus, market_status

router = APIRouter(tags=["market"])
Days = Annotated[int, Query(ge=1, le=366, description="market days up to today")]
#: The sums of settled market days (they no longer change), by database and time zone: a page
#: over 30 days then sums only today (a day is a few hundred bytes; a year of them is kept).
_SETTLED: dict[tuple[str, str], dict[int, DayFigures]] = {}
KEEP_DAYS = 400


def _status(services: ServicesDep, days: int) -> MarketStatus:
    tz = ZoneInfo(services.settings.market_timezone)
    today, _, end = market_window(None, tz)
    start, _ = day_window(today - timedelta(days=days - 1), tz)
    settled = _SETTLED.setdefault((str(services.engine.url), services.settings.market_timezone), {})
    while len(settled) > KEEP_DAYS:
        settled.pop(min(settled))
    return market_status(services.engine, start, end, tz, settled=settled)


@router.get("/market/status", response_class=HTMLResponse)
def status_page(services: ServicesDep, days: Days = 30) -> HTMLResponse:
    """Licensed stalls (active, suspended), each stall's suppliers and countries by share of
    quantity, arrived and sold per day, lab tests done and failed, open quarantines and recalls."""
    html = render_status_page(_status(services, days), f"/market/status.csv?days={days}")
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


@router.get("/market/status.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def status_csv_file(services: ServicesDep, days: Days = 30) -> Response:
    """The status page's figures, one row per figure."""
    return Response(
        status_csv(_status(services, days)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="market-status.csv"'},
    )
