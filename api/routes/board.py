"""The market board: the wall screen (``/board``), the screen above each stall
(``/board/stalls/{address}``, also the stall's phone page behind its QR code), and the day's
prices and arrivals as JSON. Every answer is read from the indexer's database and the API's
ratings; "today" is the market day in ``ApiSettings.market_timezone``.

``?day=YYYY-MM-DD`` shows another market day, ``?lang=`` a language (kept in a cookie),
``?refresh=N`` the seconds between in-place refreshes (0: none, and no paging: the page
scrolls), ``?turn=N`` the seconds each page of a panel too full for the screen shows, and ``?fragment=1`` only the
refreshable part, which the page's script fetches.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import AfterValidator

from api.day_panels import DAY_PANELS, day_window, market_zone
from api.deps import ServicesDep
from api.pages.board import DEFAULT_REFRESH, DEFAULT_TURN, BoardData, StallData, render_board, render_stall_screen
from api.pages.formats import Formatter
from api.pages.i18n import LANG_COOKIE, Messages, negotiate
from api.pages.notice_cards import NoticeCard, notice_cards
from api.schemas import Address
from api.services import Services
from api.views import plain
from ledger.qr import qr_svg
from ledger.queries.notices import current_notices
from ledger.queries.plu import plu_table
from ledger.queries.prices import prices, supply
from ledger.queries.stalls import stall_directory, stall_profile
from ledger.store.products import product_names
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
Turn = Annotated[
    int, Query(ge=0, le=3600, description="seconds a panel shows one page of its items; 0: turn only on a tap")
]
#: Comments shown on a stall's screen.
STALL_COMMENTS = 5


def _language(request: Request) -> str:
    return negotiate(
        request.headers.get("accept-language"), request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)
    )


def _page(request: Request, html: str, lang: str) -> HTMLResponse:
    page = HTMLResponse(html, headers={"Cache-Control": "no-store", "Vary": "Accept-Language, Cookie"})
    if request.query_params.get("lang") == lang:
        page.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax")
    return page


def _notices(services: Services, lang: str, *, stall: str | None = None) -> list[NoticeCard]:
    """The notices shown now: all of them on the wall, a stall's and the general ones above
    a stall (an expired notice is not current, so it is gone at the next refresh)."""
    rows = current_notices(services.engine, int(time.time()), stalls=[stall] if stall else None)
    t = Messages(lang)
    names = {entry.address: entry.name for entry in stall_directory(services.engine)}
    return notice_cards(rows, services.published, t, Formatter(lang, t, market_zone(services)), stalls=names)


@router.get("/board", response_class=HTMLResponse)
def board(
    request: Request,
    services: ServicesDep,
    day: Day = None,
    refresh: Refresh = DEFAULT_REFRESH,
    fragment: bool = False,
    turn: Turn = DEFAULT_TURN,
) -> HTMLResponse:
    """The market's wall screen: the day's lab tests, quarantined and recalled lots, the stall
    directory with ratings, prices and arrivals. It fits one screen: a panel holding more than
    fits pages through its items in place (``turn`` seconds a page), alerts always first."""
    chosen, start, end = day_window(services, day)
    panels = DAY_PANELS.get(services, start, end)
    lang = _language(request)
    data = BoardData(
        day=chosen,
        inspections=panels.inspections,
        alerts=panels.alerts,
        stalls=stall_directory(services.engine),
        prices=panels.prices,
        supply=panels.supply,
        as_of_block=panels.as_of_block,
        now=int(time.time()),
        products=product_names(services.engine, lang),
        notices=_notices(services, lang),
    )
    html = render_board(data, lang=lang, tz=market_zone(services), refresh=refresh, fragment=fragment, turn=turn)
    return _page(request, html, lang)


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
    _, start, end = day_window(services, day)
    tz = market_zone(services)
    phone_url = services.settings.public_url(f"/board/stalls/{address}")
    lang = _language(request)
    data = StallData(
        screen=stall_profile(services.engine, address, start, end, tz),
        comments=recent_ratings(services.engine, address, STALL_COMMENTS),
        qr_svg=qr_svg(phone_url),
        phone_url=phone_url,
        now=int(time.time()),
        products=product_names(services.engine, lang),
        notices=_notices(services, lang, stall=address),
        plu=sorted(plu_table(services.engine, address).values(), key=lambda e: e.plu),
    )
    return _page(request, render_stall_screen(data, lang=lang, tz=tz, refresh=refresh, fragment=fragment), lang)


@router.get("/market/prices", tags=["market"])
def market_prices(
    services: ServicesDep, day: Day = None, vendor: Address | None = None, by_stall: bool = False
) -> dict[str, Any]:
    """Per product (GTIN) on a market day: median and range of the unit price (minor units of
    the currency per unit), market-wide, per stall (`by_stall`), or at one stall (`vendor`).
    `product` is the catalog's name of the GTIN (null when the market has not named it)."""
    chosen, start, end = day_window(services, day)
    found = prices(services.engine, start, end, market_zone(services), vendor=vendor, by_stall=by_stall)
    names = product_names(services.engine)
    data = [{**plain(row), "product": names.get(row.gtin)} for row in found]
    return {"day": chosen.isoformat(), "data": data, "count": len(found)}


@router.get("/market/arrivals", tags=["market"])
def market_arrivals(services: ServicesDep, day: Day = None) -> dict[str, Any]:
    """Per product (GTIN) on a market day: quantities received by accepted hand-off and
    registered by customs import; `product` as in ``/market/prices``."""
    chosen, start, end = day_window(services, day)
    found = supply(services.engine, start, end, market_zone(services))
    names = product_names(services.engine)
    return {
        "day": chosen.isoformat(),
        "data": [{**plain(row), "total": row.total, "product": names.get(row.gtin)} for row in found],
        "count": len(found),
    }
