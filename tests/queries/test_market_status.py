"""The market's status from the index, on SQLite and PostgreSQL, over a busy day written
through the indexer's projection: stalls, suppliers and countries by share, arrived and sold
per day, tests, quarantines and recalls; the page (SVG, no script) and its CSV agree."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from zoneinfo import ZoneInfo

from api.pages.market_status import render_status_page, status_csv
from ledger.queries.days import day_window, market_window
from ledger.queries.market_status import SETTLE_S, DayFigures, market_status
from tests.factories.busy_day import STALLS, write_busy_day
from tests.support.databases import Databases
from tests.support.html import parse_html

TZ = ZoneInfo("Asia/Shanghai")


def test_market_status_sums_the_busy_day(databases: Databases) -> None:
    engine = databases.engine()
    write_busy_day(engine, TZ)
    today, _, end = market_window(None, TZ)
    start, _ = day_window(today - timedelta(days=29), TZ)
    status = market_status(engine, start, end, TZ)
    assert (len(status.stalls), status.active, status.suspended) == (STALLS, STALLS, 0)
    assert len(status.days) == 30 and status.days[-1].day == today
    assert (status.days[-1].arrived, status.days[-1].sold) == (200 * 50, 196 * 3)
    assert sum(d.arrived for d in status.days[:-1]) == 0
    assert (status.tests, status.failed_tests, status.open_quarantines, status.recalls) == (200, 4, 4, 2)
    first = status.stalls[0]
    assert first.suppliers == [("Lin'an Greens Co-op", first.arrived)] and first.countries == [("", first.arrived)]
    assert sum(s.sold for s in status.stalls) == 196 * 3

    doc = parse_html(render_status_page(status, "/market/status.csv?days=30"))
    assert doc.by_id("licensed").text() == "80" and doc.by_id("failed").text() == "4"
    assert doc.find_all("script") == []
    bars = doc.by_id("market-chart").find_all("rect", cls="arrived")
    assert len(bars) == 30 and bars[-1].attrs["data-value"] == "10000"
    assert len(doc.by_id("stalls").find_all("tr", cls="stall")) == STALLS

    rows = list(csv.DictReader(io.StringIO(status_csv(status))))
    figures = {r["figure"]: r["value"] for r in rows if r["section"] == "market"}
    assert figures["licensed_stalls"] == "80" and figures["tests"] == "200" and figures["recalls"] == "2"
    sold_today = [r for r in rows if r["section"] == "market_day" and r["day"] == today.isoformat()]
    assert {r["figure"]: r["value"] for r in sold_today} == {"arrived": "10000", "sold": "588"}
    per_stall = sum(int(r["value"]) for r in rows if r["section"] == "stall_day" and r["figure"] == "sold")
    assert per_stall == 588


def test_market_status_keeps_settled_days_and_sums_today_again(databases: Databases) -> None:
    engine = databases.engine()
    write_busy_day(engine, TZ)
    today, today_start, end = market_window(None, TZ)
    start, _ = day_window(today - timedelta(days=29), TZ)
    # Seen from an hour into today: yesterday has settled whatever the wall clock's hour (in
    # the first hour of a market day yesterday is still open, and only 28 days would be kept).
    now = today_start + SETTLE_S
    settled: dict = {}
    first = market_status(engine, start, end, TZ, settled=settled, now=now)
    assert len(settled) == 29  # every day before today; today is still open
    yesterday = max(settled)
    settled[yesterday] = DayFigures(tests=7, sold={first.stalls[0].address: 5})
    again = market_status(engine, start, end, TZ, settled=settled, now=now)
    assert again.tests == first.tests + 7  # read from what was kept, not summed again
    assert again.stalls[0].sold == first.stalls[0].sold + 5
    assert again.days[-1] == first.days[-1]
