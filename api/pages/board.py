"""The market board (the wall screen) and the screen above one stall, rendered on the server
from ``ledger.queries`` results in English, Korean or simplified Chinese (each row built by
:mod:`api.pages.board_rows`).

Both pages are whole without JavaScript; a small inline script (no external request, allowed by its hash) fetches
the page's fragment every few seconds and swaps it in when it changed, so the screen stays
current without the flash of a reload. The fragment is the same template block the page
embeds, rendered alone (``fragment=True``).

Example::

    html = render_board(board, lang="zh", tz=ZoneInfo("Asia/Shanghai"), refresh=5)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, tzinfo
from typing import Any

from markupsafe import Markup

from api.pages.assets import board_css, board_script
from api.pages.board_rows import (
    alert_row,
    arrival_line,
    comment_line,
    inspection_row,
    price_line,
    stall_row,
    stock_line,
)
from api.pages.formats import Formatter
from api.pages.i18n import DEFAULT_LANGUAGE, HTML_LANG, LANGUAGES, NATIVE_NAMES, Messages, supported
from api.pages.notice_cards import NoticeCard
from api.pages.shopper import LanguageLink, environment
from api.pages.shopper import stylesheet as shopper_stylesheet
from api.pages.stall_names import place_order
from ledger.queries.days import market_day
from ledger.queries.plu import PluEntry
from ledger.queries.views import BoardInspection, LotAlert, PriceRow, StallEntry, StallProfile, SupplyRow
from ledger.store.ratings import RatingRecord

#: Seconds between the board's refreshes unless the route asks otherwise.
DEFAULT_REFRESH = 5
#: Seconds a wall-screen panel that holds more than fits shows one page before the next: long
#: enough to read a page of a dozen tests from across the hall.
DEFAULT_TURN = 10


# ------------------------------------------------------------------ what the routes pass in


@dataclass(frozen=True)
class BoardData:
    """One market day's board, as the queries return it."""

    day: date
    inspections: list[BoardInspection]
    alerts: list[LotAlert]
    stalls: list[StallEntry]
    prices: list[PriceRow]
    supply: list[SupplyRow]
    as_of_block: int | None
    now: int
    products: Mapping[str, str] = field(default_factory=dict)  # GTIN -> name in the page's language
    notices: list[NoticeCard] = field(default_factory=list)


@dataclass(frozen=True)
class StallData:
    """One stall's screen: the query's answer, its recent comments and its QR code (SVG)."""

    screen: StallProfile
    comments: list[RatingRecord]
    qr_svg: str
    phone_url: str
    now: int
    products: Mapping[str, str] = field(default_factory=dict)  # GTIN -> name in the page's language
    notices: list[NoticeCard] = field(default_factory=list)
    plu: list[PluEntry] = field(default_factory=list)  # the stall's scale keys


@dataclass
class Page:
    """Context every board page shares."""

    t: Messages
    fmt: Formatter
    refresh: int
    languages: list[LanguageLink] = field(default_factory=list)
    turn: int = DEFAULT_TURN


# ------------------------------------------------------------------ rendering


def render_board(
    data: BoardData,
    *,
    lang: str,
    tz: tzinfo,
    refresh: int = DEFAULT_REFRESH,
    fragment: bool = False,
    turn: int = DEFAULT_TURN,
) -> str:
    """The wall screen of market day `data.day` (or only its refreshable fragment). With the
    refresh on, panels holding more than fits page through their items in place, one page
    every `turn` seconds (0: only when the page counter is tapped)."""
    page = _page(lang, tz, refresh)
    page.turn = turn
    t, fmt = page.t, page.fmt
    stalls = {s.address for s in data.stalls}
    names = data.products
    context = {
        "day": fmt.date(data.now) if data.day == _day_of(data.now, tz) else data.day.isoformat(),
        "updated": fmt.datetime(data.now),
        "as_of_block": data.as_of_block,
        "inspections": [inspection_row(i, t, fmt, stalls, names) for i in data.inspections],
        "alerts": [alert_row(a, t, fmt, names) for a in data.alerts],
        "stalls": [stall_row(s, t) for s in sorted(data.stalls, key=place_order)],
        "prices": [price_line(p, t, fmt, names) for p in data.prices],
        "arrivals": [arrival_line(s, t, fmt, names) for s in data.supply],
        "notices": data.notices,
    }
    return _render("board.html", page, fragment, **context)


def render_stall_screen(
    data: StallData, *, lang: str, tz: tzinfo, refresh: int = DEFAULT_REFRESH, fragment: bool = False
) -> str:
    """The screen above one stall (also its phone page: the layout follows the width)."""
    page = _page(lang, tz, refresh)
    t, fmt = page.t, page.fmt
    screen = data.screen
    context = {
        "stall": stall_row(screen.stall, t),
        "stock": [stock_line(lot, t, fmt, data.products) for lot in screen.stock],
        "prices": [price_line(p, t, fmt, data.products) for p in screen.prices],
        "comments": [comment_line(c, t, fmt) for c in data.comments if c.comment],
        "qr": Markup(_inline_svg(data.qr_svg)),  # our own qrcode output: paths and numbers only
        "phone_url": data.phone_url,
        "updated": fmt.datetime(data.now),
        "as_of_block": screen.as_of_block,
        "notices": data.notices,
        "plu": [
            {
                "key": t("plu_key", plu=e.plu),
                "lot": e.lot or e.batch_id[:10],
                "product": data.products.get(e.gtin or "") or (t("product_code", gtin=e.gtin) if e.gtin else ""),
                "blocked": e.blocked,
            }
            for e in data.plu
        ],
    }
    return _render("board_stall.html", page, fragment, **context)


# ------------------------------------------------------------------ the rating form's answer page


def render_rating_result(lang: str, *, ok: bool, message: str, back: str | None) -> str:
    """The page a shopper sees after the no-JavaScript rating form, when it did not redirect
    back (an error) or for a plain thank-you: `message` is shown as text (escaped)."""
    t = Messages(_language(lang))
    title = t("rating_saved_title" if ok else "rating_error_title")
    # No language links: they would point at the form's POST address.
    context = {"t": t, "languages": [], "css": shopper_stylesheet(), "title": title, "message": message}
    return environment().get_template("rating_result.html").render(back=back, ok=ok, **context)


# ------------------------------------------------------------------ shared


def _page(lang: str, tz: tzinfo, refresh: int) -> Page:
    t = Messages(_language(lang))
    return Page(t, Formatter(t.lang, t, tz), refresh, _languages(t.lang))


def _languages(current: str) -> list[LanguageLink]:
    return [
        LanguageLink(code, NATIVE_NAMES[code], HTML_LANG[code], f"?lang={code}", code == current) for code in LANGUAGES
    ]


def _render(template: str, page: Page, fragment: bool, **context: Any) -> str:
    """`template` as a whole page, or with `fragment` only its refreshable part
    (``<name>_live.html``, which the page includes), for the script to swap in."""
    if fragment:
        template = template.removesuffix(".html") + "_live.html"
    values = {"t": page.t, "languages": page.languages, "refresh": page.refresh, "turn": page.turn}
    values["css"] = board_stylesheet()
    values |= {"script": board_script(), **context}
    return environment().get_template(template).render(values)


def board_stylesheet() -> Markup:
    """The board's CSS (see :mod:`api.pages.assets`)."""
    return board_css()


def _inline_svg(svg: str) -> str:
    """An SVG document without its XML declaration, to sit inside HTML."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def _day_of(timestamp: int, tz: tzinfo) -> date:
    return market_day(timestamp, tz)


def _language(lang: str) -> str:
    return supported(lang) or DEFAULT_LANGUAGE
