"""The market's touchscreen (``/kiosk``): a portrait 1080 x 1920 page a shopper taps.

The start screen lists the catalog (each product's names in the three languages) over the
market map and the notices; a product shows the stalls that have it in stock now (price,
origin, latest test), lit on the map; a stall shows its stock. Every control is a link of at
least 48 px: no JavaScript, no typing. The page goes back to its start screen after
``idle`` seconds without a tap (``ApiSettings.kiosk_idle_s``, a minute), by a
``<meta http-equiv="refresh">``: every tap loads a new page, which starts the count again.

Example::

    html = render_kiosk(KioskData(...), lang="ko", tz=ZoneInfo("Asia/Shanghai"))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup

from api.pages.assets import kiosk_css
from api.pages.board_rows import InspectionRow, StockLine, inspection_row, product_label, stock_line
from api.pages.floor_map import floor_map
from api.pages.formats import Formatter
from api.pages.i18n import DEFAULT_LANGUAGE, HTML_LANG, LANGUAGES, NATIVE_NAMES, Messages, supported
from api.pages.notice_cards import NoticeCard
from api.pages.shopper import LanguageLink, environment
from api.pages.stall_names import describe_stall
from ledger.notices.layout import FloorPlan
from ledger.queries.search import StockOffer
from ledger.queries.views import BoardInspection, StallProfile
from ledger.store.products import ProductRecord

#: Today's tests the screen lists (the newest).
TESTS_SHOWN = 8


@dataclass(frozen=True)
class KioskData:
    """What the route read: the catalog, the plan and the stalls' states, notices, today's
    tests, and for a chosen product its offers, or for a chosen stall its profile."""

    catalog: list[ProductRecord]
    plan: FloorPlan | None
    states: Mapping[str, str]
    stall_names: Mapping[str, str]  # address -> registered name
    notices: list[NoticeCard]
    tests: list[BoardInspection]
    product: ProductRecord | None = None
    offers: list[StockOffer] = field(default_factory=list)
    stall: StallProfile | None = None


@dataclass(frozen=True)
class ProductTile:
    gtin: str
    href: str
    names: list[tuple[str, str]]  # (html lang, name), the page's language first
    current: bool


@dataclass(frozen=True)
class OfferCard:
    stall: str
    place: str | None
    href: str
    price: str
    line: StockLine


def _href(lang: str, **params: str) -> str:
    query = {**params, "lang": lang}
    return "/kiosk?" + urlencode(query)


def _tile(product: ProductRecord, lang: str, current: bool) -> ProductTile:
    order = [lang, *(code for code in LANGUAGES if code != lang)]
    names = []
    for code in order:
        name = product.names.get(code) or (product.name if code == DEFAULT_LANGUAGE else None)
        if name and name not in (n for _, n in names):
            names.append((HTML_LANG[code], name))
    if not names:
        names.append((HTML_LANG[DEFAULT_LANGUAGE], product.name))
    return ProductTile(product.gtin, _href(lang, product=product.gtin), names, current)


def render_kiosk(data: KioskData, *, lang: str, tz: tzinfo, idle: int = 60) -> str:
    """The touchscreen's page for `data` in `lang`."""
    lang = supported(lang) or DEFAULT_LANGUAGE
    t = Messages(lang)
    fmt = Formatter(lang, t, tz)
    names = {p.gtin: p.name_in(lang) for p in data.catalog}
    chosen = data.product.gtin if data.product else None
    params = {"product": chosen} if chosen else ({"stall": data.stall.vendor.address} if data.stall else {})
    languages = [
        LanguageLink(code, NATIVE_NAMES[code], HTML_LANG[code], _href(code, **params), code == lang)
        for code in LANGUAGES
    ]
    offers = [
        OfferCard(
            stall=describe_stall(data.stall_names.get(o.stall, o.stall)).sign,
            place=describe_stall(data.stall_names.get(o.stall, o.stall)).place,
            href=_href(lang, stall=o.stall),
            price=t("kiosk_no_price")
            if o.unit_price is None or o.currency is None
            else t("per_unit", price=fmt.money(o.unit_price, o.currency), unit=fmt.unit(o.lot.unit)),
            line=stock_line(o.lot, t, fmt, names),
        )
        for o in data.offers
    ]
    lit: set[str] = {o.stall for o in data.offers}
    if data.stall is not None:
        lit.add(data.stall.vendor.address)
    stall_view: dict[str, Any] | None = None
    if data.stall is not None:
        named = describe_stall(data.stall.vendor.name or data.stall.vendor.address)
        stall_view = {
            "sign": named.sign,
            "place": named.place,
            "owner": named.owner,
            "suspended": data.stall.suspended,
            "screen": f"/board/stalls/{data.stall.vendor.address}?lang={lang}",
            "stock": [stock_line(lot, t, fmt, names) for lot in data.stall.stock],
        }
    plan_svg = None
    if data.plan is not None:
        plan_svg = floor_map(
            data.plan,
            data.states,
            data.stall_names,
            t,
            href=lambda address: _href(lang, stall=address),
            highlight=lit,
        )
    tests: list[InspectionRow] = [inspection_row(i, t, fmt, names=names) for i in data.tests[:TESTS_SHOWN]]
    context = {
        "t": t,
        "languages": languages,
        "css": kiosk_css(),
        "idle": idle,
        "start": _href(lang) if lang != DEFAULT_LANGUAGE else "/kiosk",
        "home": "/kiosk",
        "tiles": [_tile(p, lang, p.gtin == chosen) for p in data.catalog],
        "product": product_label(data.product.gtin, t, names) if data.product else None,
        "offers": offers,
        "stall": stall_view,
        "map": Markup(plan_svg) if plan_svg is not None else None,
        "notices": data.notices,
        "tests": tests,
    }
    return environment().get_template("kiosk.html").render(context)
