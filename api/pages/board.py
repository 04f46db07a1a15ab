"""The market board (the wall screen) and the screen above one stall, rendered on the server
from ``ledger.queries`` results (board panels, prices and supply, stalls) in English, Korean or simplified Chinese.

Both pages are whole without JavaScript; a small inline script (no external request) fetches
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
from functools import cache
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from api.pages.blocks import party_name
from api.pages.formats import Formatter
from api.pages.i18n import DEFAULT_LANGUAGE, HTML_LANG, LANGUAGES, NATIVE_NAMES, Messages, supported
from api.pages.shopper import LanguageLink, environment
from api.pages.shopper import stylesheet as shopper_stylesheet
from api.pages.stall_names import describe_stall, place_order
from ledger.queries.days import market_day
from ledger.queries.views import BoardInspection, LotAlert, PriceRow, StallEntry, StallProfile, StockLot, SupplyRow
from ledger.store.ratings import RatingRecord, StallRating

BOARD_CSS = Path(__file__).resolve().parent.parent / "templates" / "board.css"
#: Seconds between the board's refreshes unless the route asks otherwise.
DEFAULT_REFRESH = 5
#: Shown for a value the record does not have (an en dash), and between a range's ends.
NONE = "\u2013"
RANGE_DASH = " \u2013 "
#: Lot statuses that keep a quarantine alert standing (anything else: released since).
ALERT_STATUSES = frozenset({"quarantined", "recalled"})


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


@dataclass(frozen=True)
class StallData:
    """One stall's screen: the query's answer, its recent comments and its QR code (SVG)."""

    screen: StallProfile
    comments: list[RatingRecord]
    qr_svg: str
    phone_url: str
    now: int
    products: Mapping[str, str] = field(default_factory=dict)  # GTIN -> name in the page's language


# ------------------------------------------------------------------ what the templates lay out


@dataclass(frozen=True)
class ProductText:
    """A product as the screens name it: the catalog's name with its GTIN small beside it, or
    the GTIN alone when the catalog does not know it. Renders itself in templates
    (``__html__``, escaped); ``str()`` is the plain text."""

    name: str | None
    code: str  # "GTIN 06901234000016", in the page's language

    def __str__(self) -> str:
        return f"{self.name} ({self.code})" if self.name else self.code

    def __html__(self) -> Markup:
        if not self.name:
            return escape(self.code)
        return Markup('<span class="product-name">{}</span> <span class="gtin">{}</span>').format(self.name, self.code)


@dataclass(frozen=True)
class ResidueCell:
    substance: str
    measured: str
    limit: str
    exceeded: bool


@dataclass(frozen=True)
class InspectionRow:
    product: ProductText
    lot: str
    holder: str
    holder_href: str | None
    lab: str
    when: str
    iso: str
    passed: bool
    verdict: str
    residues: list[ResidueCell]


@dataclass(frozen=True)
class AlertRow:
    kind: str
    label: str
    product: ProductText
    lot: str
    holder: str
    when: str
    iso: str
    reason: str
    released: str | None = None  # "Released from quarantine" once a regulator released the lot


@dataclass(frozen=True)
class RatingText:
    text: str
    count: int
    mean: str | None  # shown from five ratings on


@dataclass(frozen=True)
class StallRow:
    address: str
    href: str
    sign: str
    place: str
    owner: str
    licence: str
    suspended: bool
    rating: RatingText


@dataclass(frozen=True)
class PriceLine:
    product: ProductText
    lots: str
    median: str
    range: str
    sales: str
    sold: str


@dataclass(frozen=True)
class ArrivalLine:
    product: ProductText
    lots: str
    received: str
    imported: str
    total: str


@dataclass(frozen=True)
class StockLine:
    lot: str
    product: ProductText
    remaining: str
    status: str
    status_label: str
    origins: list[str]
    test: InspectionRow | None
    tested_as: str | None


@dataclass(frozen=True)
class CommentLine:
    stars: int
    label: str
    comment: str | None
    when: str
    iso: str


@dataclass
class Page:
    """Context every board page shares."""

    t: Messages
    fmt: Formatter
    refresh: int
    languages: list[LanguageLink] = field(default_factory=list)


# ------------------------------------------------------------------ rendering


def render_board(
    data: BoardData, *, lang: str, tz: tzinfo, refresh: int = DEFAULT_REFRESH, fragment: bool = False
) -> str:
    """The wall screen of market day `data.day` (or only its refreshable fragment)."""
    page = _page(lang, tz, refresh)
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
    }
    return _render("board_stall.html", page, fragment, **context)


# ------------------------------------------------------------------ pieces


def product_label(gtin: str, t: Messages, names: Mapping[str, str] | None = None) -> ProductText:
    """GTIN `gtin` named from the catalog's `names` (GTIN -> name), else by its code."""
    return ProductText((names or {}).get(gtin), t("product_code", gtin=gtin))


def rating_text(rating: StallRating, t: Messages) -> RatingText:
    if rating.count == 0:
        return RatingText(t("rating_none"), 0, None)
    if rating.mean is None:
        return RatingText(t("rating_count_only", count=rating.count), rating.count, None)
    mean = f"{rating.mean:.1f}"
    return RatingText(t("rating_mean", mean=mean, count=rating.count), rating.count, mean)


def stall_row(entry: StallEntry, t: Messages) -> StallRow:
    named = describe_stall(entry.name)
    return StallRow(
        address=entry.address,
        href=f"/board/stalls/{entry.address}",
        sign=named.sign,
        place=named.place or NONE,
        owner=named.owner or NONE,
        licence=entry.licence,
        suspended=entry.suspended,
        rating=rating_text(entry.rating, t),
    )


def inspection_row(
    inspection: BoardInspection,
    t: Messages,
    fmt: Formatter,
    stalls: set[str] | None = None,
    names: Mapping[str, str] | None = None,
) -> InspectionRow:
    """A test as a table row; the holder links to its stall screen when it is one of `stalls`
    (None: the holder is known to be a stall)."""
    holder = inspection.holder.address
    return InspectionRow(
        product=product_label(inspection.gtin, t, names),
        lot=inspection.lot,
        holder=party_name(inspection.holder),
        holder_href=f"/board/stalls/{holder}" if stalls is None or holder in stalls else None,
        lab=party_name(inspection.lab),
        when=fmt.datetime(inspection.time),
        iso=fmt.iso(inspection.time),
        passed=inspection.passed,
        verdict=t("passed" if inspection.passed else "failed"),
        residues=[
            ResidueCell(r.substance, fmt.residue(r.measured, r.unit), fmt.residue(r.limit, r.unit), r.exceeded)
            for r in inspection.residues
        ],
    )


def alert_row(alert: LotAlert, t: Messages, fmt: Formatter, names: Mapping[str, str] | None = None) -> AlertRow:
    reason = alert.reason
    if alert.kind == "quarantined" and alert.residues:
        over = [
            t(
                "residue_over",
                substance=r.substance,
                measured=fmt.residue(r.measured, r.unit),
                limit=fmt.residue(r.limit, r.unit),
            )
            for r in alert.residues
            if r.exceeded
        ]
        reason = t("failed_test_reason", residues=", ".join(over)) if over else reason
    return AlertRow(
        kind=alert.kind,
        label=t(f"status_{alert.kind}"),
        product=product_label(alert.gtin, t, names),
        lot=alert.lot,
        holder=party_name(alert.holder),
        when=fmt.datetime(alert.time),
        iso=fmt.iso(alert.time),
        reason=reason,
        released=t("kind_released") if alert.kind == "quarantined" and alert.status not in ALERT_STATUSES else None,
    )


def _per_unit(minor: int, row: PriceRow, t: Messages, fmt: Formatter) -> str:
    return t("per_unit", price=fmt.money(minor, row.currency), unit=fmt.unit(row.unit))


def price_line(row: PriceRow, t: Messages, fmt: Formatter, names: Mapping[str, str] | None = None) -> PriceLine:
    low, high = fmt.money(row.low, row.currency), fmt.money(row.high, row.currency)
    return PriceLine(
        product=product_label(row.gtin, t, names),
        lots=", ".join(row.lots),
        median=_per_unit(row.median, row, t, fmt),
        range=low if row.low == row.high else f"{low}{RANGE_DASH}{high}",
        sales=fmt.number(row.sales),
        sold=fmt.quantity(row.quantity, row.unit),
    )


def arrival_line(row: SupplyRow, t: Messages, fmt: Formatter, names: Mapping[str, str] | None = None) -> ArrivalLine:
    return ArrivalLine(
        product=product_label(row.gtin, t, names),
        lots=", ".join(row.lots),
        received=fmt.quantity(row.received, row.unit),
        imported=fmt.quantity(row.imported, row.unit),
        total=fmt.quantity(row.total, row.unit),
    )


def stock_line(lot: StockLot, t: Messages, fmt: Formatter, names: Mapping[str, str] | None = None) -> StockLine:
    origins = [
        fmt.country(text) if kind == "import" else text
        for text, kind in zip(lot.origins, lot.origin_kinds, strict=True)
    ]
    test = inspection_row(lot.last_inspection, t, fmt, names=names) if lot.last_inspection else None
    tested_as = (
        t("tested_as", lot=lot.last_inspection.lot)
        if lot.last_inspection and lot.last_inspection.batch_id != lot.batch_id
        else None
    )
    return StockLine(
        lot=lot.lot,
        product=product_label(lot.gtin, t, names),
        remaining=fmt.quantity(lot.remaining, lot.unit),
        status=lot.status,
        status_label=t.get(f"status_{lot.status}") or lot.status,
        origins=origins,
        test=test,
        tested_as=tested_as,
    )


def comment_line(rating: RatingRecord, t: Messages, fmt: Formatter) -> CommentLine:
    return CommentLine(
        stars=rating.stars,
        label=t("stars_label", stars=rating.stars),
        comment=rating.comment,
        when=fmt.date(rating.created_at),
        iso=fmt.iso(rating.created_at),
    )


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
    values = {"t": page.t, "languages": page.languages, "refresh": page.refresh, "css": board_stylesheet(), **context}
    return environment().get_template(template).render(values)


@cache
def board_stylesheet() -> Markup:
    """The board's CSS, read once; our own file, so it goes into ``<style>`` as it is."""
    return Markup(BOARD_CSS.read_text(encoding="utf-8"))


def _inline_svg(svg: str) -> str:
    """An SVG document without its XML declaration, to sit inside HTML."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def _day_of(timestamp: int, tz: tzinfo) -> date:
    return market_day(timestamp, tz)


def _language(lang: str) -> str:
    return supported(lang) or DEFAULT_LANGUAGE
