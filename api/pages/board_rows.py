"""The board's rows: what the templates lay out for each test, alert, stall, price, arrival,
lot in stock and comment, built from ``ledger.queries`` results in the page's language.
:mod:`api.pages.board` renders them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from markupsafe import Markup, escape

from api.pages.blocks import party_name
from api.pages.formats import Formatter
from api.pages.i18n import Messages
from api.pages.stall_names import describe_stall
from ledger.queries.views import BoardInspection, LotAlert, PriceRow, StallEntry, StockLot, SupplyRow
from ledger.store.ratings import RatingRecord, StallRating

#: Shown for a value the record does not have (an en dash), and between a range's ends.
NONE = "\u2013"
RANGE_DASH = " \u2013 "
#: Lot statuses that keep a quarantine alert standing (anything else: released since).
ALERT_STATUSES = frozenset({"quarantined", "recalled"})


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
