"""The market board: the wall screen (``/board``), the screen above each stall
(``/board/stalls/{address}``, also the stall's phone page behind its QR code), and the day's
prices and arrivals as JSON. Every answer is read from the indexer's database and the API's
ratings; "today" is the market day in ``ApiSettings.market_timezone``.

``?day=YYYY-MM-DD`` shows another market day, ``?lang=`` a language (kept in a cookie),
``?refresh=N`` the seconds between in-place refreshes (0: none), and ``?fragment=1`` only the
refreshable part, which the page's script fetches.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import AfterValidator

from api.deps import ServicesDep
from api.pages.board import DEFAULT_REFRESH, BoardData, StallData, render_board, render_stall_screen
from api.pages.i18n import LANG_COOKIE, negotiate
from api.qr import qr_svg
from api.schemas import Address
from api.services import Services
from api.views import plain
from ledger.queries.market import (
    alerts_between,
    day_window,
    inspections_between,
    market_day,
    prices,
    stall_directory,
    stall_screen,
    supply,
)
from ledger.queries.rows import as_of_block
from ledger.store.ratings import recent_ratings

router = APIRouter(tags=["board"])

#: Market days a board can show: Unix time's range with room to spare (and no overflow).
FIRST_DAY, LAST_DAY = date(1970, 1, 2), date(9000, 12, 31)


def _day(value: date | None) -> date | None:
    if value is not None and not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"a market day lies between {FIRST_DAY} and {LAST_DAY}")
    return value


Day = Annotated[
    date | None,
    AfterValidator(_day),
    Query(description="market day, YYYY-MM-DD (default: today in the market's time zone)"),
]
Refresh = Annotated[int, Query(ge=0, le=3600, description="seconds between in-place refreshes; 0 for none")]
#: Comments shown on a stall's screen.
STALL_COMMENTS = 5


def _zone(services: Services) -> ZoneInfo:
    return ZoneInfo(services.settings.market_timezone)


def _window(services: Services, day: date | None) -> tuple[date, int, int]:
    tz = _zone(services)
    chosen = day or market_day(time.time(), tz)
    start, end = day_window(chosen, tz)
    return chosen, start, end


def _language(request: Request) -> str:
    return negotiate(
        request.headers.get("accept-language"), request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)
    )


def _page(request: Request, html: str, lang: str) -> HTMLResponse:
    page = HTMLResponse(html, headers={"Cache-Control": "no-store", "Vary": "Accept-Language, Cookie"})
    if request.query_params.get("lang") == lang:
        page.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax")
    return page


@router.get("/board", response_class=HTMLResponse)
def board(
    request: Request, services: ServicesDep, day: Day = None, refresh: Refresh = DEFAULT_REFRESH, fragment: bool = False
) -> HTMLResponse:
    """The market's wall screen: the day's lab tests, quarantined and recalled lots, the stall
    directory with ratings, prices and arrivals."""
    chosen, start, end = _window(services, day)
    engine, tz = services.engine, _zone(services)
    with engine.connect() as conn:
        block = as_of_block(conn)
    data = BoardData(
        day=chosen,
        inspections=inspections_between(engine, start, end),
        alerts=alerts_between(engine, start, end),
        stalls=stall_directory(engine),
        prices=prices(engine, start, end, tz),
        supply=supply(engine, start, end, tz),
        as_of_block=block,
        now=int(time.time()),
    )
    lang = _language(request)
    return _page(request, render_board(data, lang=lang, tz=tz, refresh=refresh, fragment=fragment), lang)


@router.get("/board/stalls/{address}", response_class=HTMLResponse)
def stall_board(
    address: Address,
    request: Request,
    services: ServicesDep,
    day: Day = None,
    refresh: Refresh = DEFAULT_REFRESH,
    fragment: bool = False,
) -> HTMLResponse:
    """The screen above one stall: owner, licence, rating, stock with origins and latest lab
    test per lot, the day's prices, and a QR code that opens this page on a phone."""
    _, start, end = _window(services, day)
    tz = _zone(services)
    phone_url = services.settings.public_url(f"/board/stalls/{address}")
    data = StallData(
        screen=stall_screen(services.engine, address, start, end, tz),
        comments=recent_ratings(services.engine, address, STALL_COMMENTS),
        qr_svg=qr_svg(phone_url),
        phone_url=phone_url,
        now=int(time.time()),
    )
    lang = _language(request)
    return _page(request, render_stall_screen(data, lang=lang, tz=tz, refresh=refresh, fragment=fragment), lang)


@router.get("/market/prices", tags=["market"])
def market_prices(
    services: ServicesDep, day: Day = None, vendor: Address | None = None, by_stall: bool = False
) -> dict[str, Any]:
    """Per product (GTIN) on a market day: median and range of the unit price (minor units of
    the currency per unit), market-wide, per stall (`by_stall`), or at one stall (`vendor`)."""
    chosen, start, end = _window(services, day)
    found = prices(services.engine, start, end, _zone(services), vendor=vendor, by_stall=by_stall)
    return {"day": chosen.isoformat(), "data": plain(found), "count": len(found)}


@router.get("/market/arrivals", tags=["market"])
def market_arrivals(services: ServicesDep, day: Day = None) -> dict[str, Any]:
    """Per product (GTIN) on a market day: quantities received by accepted hand-off and
    registered by customs import."""
    chosen, start, end = _window(services, day)
    found = supply(services.engine, start, end, _zone(services))
    return {
        "day": chosen.isoformat(),
        "data": [{**plain(row), "total": row.total} for row in found],
        "count": len(found),
    }
