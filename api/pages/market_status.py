"""The market's status page (``/market/status``) and its CSV: the figures of
:func:`ledger.queries.market_status.market_status`, with the daily arrivals and sales drawn as
SVG on the server (no script, no request: the page's policy allows none)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from markupsafe import Markup, escape

from api.pages.assets import page_css
from api.pages.shopper import environment
from api.pages.stall_names import describe_stall
from ledger.queries.market_status import DayFlow, MarketStatus

#: The chart's size in SVG units (it scales to the page's width).
WIDTH, HEIGHT, PAD = 720, 220, 30
ARRIVED, SOLD = "#15803d", "#b45309"


def day_chart(days: list[DayFlow], title: str, *, small: bool = False) -> Markup:
    """Bars of arrived and sold per day, with the largest value marked (`small`: a sparkline
    for a table row, bars only)."""
    if small:
        return _sparkline(days, title)
    top = max([1, *(max(d.arrived, d.sold) for d in days)])
    slot = (WIDTH - 2 * PAD) / max(1, len(days))
    bar = max(1.0, slot / 2 - 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}"'
        ' xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#94a3b8"/>',
        f'<text x="{PAD}" y="{PAD - 10}" font-size="12" fill="#475569">{top:,}</text>',
    ]
    for i, d in enumerate(days):
        x = PAD + i * slot
        for j, (value, colour, kind) in enumerate(((d.arrived, ARRIVED, "arrived"), (d.sold, SOLD, "sold"))):
            h = (HEIGHT - 2 * PAD) * value / top
            parts.append(
                f'<rect class="{kind}" data-day="{d.day.isoformat()}" data-value="{value}" x="{x + j * bar:.1f}"'
                f' y="{HEIGHT - PAD - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{d.day.isoformat()} {kind} {value:,}</title></rect>"
            )
    if days:
        for d, anchor, x in ((days[0], "start", PAD), (days[-1], "end", WIDTH - PAD)):
            parts.append(
                f'<text x="{x}" y="{HEIGHT - 8}" font-size="12" text-anchor="{anchor}" fill="#475569">'
                f"{d.day.isoformat()}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def _sparkline(days: list[DayFlow], title: str, width: int = 180, height: int = 36) -> Markup:
    top = max([1, *(max(d.arrived, d.sold) for d in days)])
    slot = width / max(1, len(days))
    parts = [
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img"'
        f' aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for i, d in enumerate(days):
        for j, (value, colour) in enumerate(((d.arrived, ARRIVED), (d.sold, SOLD))):
            h = (height - 2) * value / top
            if value:
                x, w = i * slot + j * slot / 2, max(0.8, slot / 2 - 0.3)
                parts.append(
                    f'<rect x="{x:.1f}" y="{height - h:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{colour}"/>'
                )
    parts.append("</svg>")
    return Markup("".join(parts))


def key(colour: str) -> Markup:
    """A legend's colour square."""
    return Markup(
        f'<svg width="14" height="14" aria-hidden="true"><rect width="14" height="14" fill="{colour}"/></svg>'
    )


def _shares(pairs: list[tuple[str, int]], other: str = "") -> list[tuple[str, int]]:
    """(label, percent) of each pair's share of the total, largest first."""
    total = sum(q for _, q in pairs) or 1
    return [(label or other, round(100 * q / total)) for label, q in pairs]


def render_status_page(status: MarketStatus, csv_href: str) -> str:
    """The status page (English)."""
    stalls = []
    for s in status.stalls:
        named = describe_stall(s.name)
        stalls.append(
            {
                "address": s.address,
                "sign": named.sign,
                "place": named.place or "-",
                "licence": s.licence,
                "suspended": s.suspended,
                "arrived": s.arrived,
                "sold": s.sold,
                "suppliers": _shares(s.suppliers),
                "countries": _shares(s.countries, other="not imported"),
                "chart": day_chart(s.days, f"{named.sign}: arrived and sold per day", small=True),
            }
        )
    return (
        environment()
        .get_template("market_status.html")
        .render(
            css=page_css(),
            status=status,
            first=status.days[0].day.isoformat() if status.days else "",
            last=status.days[-1].day.isoformat() if status.days else "",
            chart=day_chart(status.days, "Arrived and sold per day, all stalls"),
            stalls=stalls,
            csv_href=csv_href,
            arrived_key=key(ARRIVED),
            sold_key=key(SOLD),
        )
    )


def status_csv(status: MarketStatus) -> str:
    """The page's figures in long form: one row per figure (section, stall, name, day, figure,
    value)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows(_csv_rows(status))
    return out.getvalue()


def _csv_rows(status: MarketStatus) -> Iterator[list[object]]:
    yield ["section", "stall", "name", "day", "figure", "value"]
    market = {
        "licensed_stalls": len(status.stalls),
        "active_stalls": status.active,
        "suspended_stalls": status.suspended,
        "tests": status.tests,
        "failed_tests": status.failed_tests,
        "open_quarantines": status.open_quarantines,
        "recalls": status.recalls,
        "recalled_lots": status.recalled_lots,
    }
    for figure, value in market.items():
        yield ["market", "", "", "", figure, value]
    for d in status.days:
        yield ["market_day", "", "", d.day.isoformat(), "arrived", d.arrived]
        yield ["market_day", "", "", d.day.isoformat(), "sold", d.sold]
    for s in status.stalls:
        yield ["stall", s.address, s.name, "", "suspended", int(s.suspended)]
        for supplier, quantity in s.suppliers:
            yield ["stall_supplier", s.address, s.name, "", supplier, quantity]
        for country, quantity in s.countries:
            yield ["stall_country", s.address, s.name, "", country or "not imported", quantity]
        for d in s.days:
            if d.arrived or d.sold:
                yield ["stall_day", s.address, s.name, d.day.isoformat(), "arrived", d.arrived]
                yield ["stall_day", s.address, s.name, d.day.isoformat(), "sold", d.sold]
