"""The market's floor plan drawn as SVG on the server: each stall a rectangle labelled with
its place and coloured by its state (open with stock, quarantined stock, suspended, no
stock), empty places dashed, the lab, and the entrances on the hall's edge.

Colours and shapes are SVG presentation attributes, not ``style``: the page's CSP allows
no inline style but its own stylesheet, and the standalone SVG has no stylesheet at all.
Everything anyone wrote (names, labels) is escaped.

Example::

    svg = floor_map(plan, states, names, t, href=lambda a: f"/board/stalls/{a}", highlight={a})
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

from markupsafe import Markup, escape

from api.pages.i18n import Messages
from api.pages.stall_names import describe_stall
from ledger.notices.layout import FloorPlan, Place
from ledger.queries.notices import EMPTY, HELD, OPEN, SUSPENDED

#: Pixels per plan unit in the drawing's own coordinates (the SVG scales to its box).
SCALE = 24
#: Fill of each stall state, and of the other places (contrast with white text >= 4.5:1).
FILLS = {OPEN: "#15803d", HELD: "#b91c1c", SUSPENDED: "#52525b", EMPTY: "#334155"}
STATE_LABELS = {OPEN: "map_open", HELD: "map_quarantined", SUSPENDED: "map_suspended", EMPTY: "map_no_stock"}
LAB_FILL, HIGHLIGHT, INK, BACKGROUND, WALL = "#1d4ed8", "#facc15", "#ffffff", "#0f172a", "#94a3b8"
LEGEND_ROW = 40
NO_ATTRIBUTES = Markup("")


def floor_map(
    plan: FloorPlan,
    states: Mapping[str, str],
    names: Mapping[str, str],
    t: Messages,
    *,
    href: Callable[[str], str] | None = None,
    highlight: Collection[str] = (),
    legend: bool = True,
    standalone: bool = False,
) -> Markup:
    """The plan as an ``<svg>`` element (or a whole SVG document with `standalone`)."""
    width, height = plan.width * SCALE, plan.height * SCALE
    total = height + (LEGEND_ROW * 3 + 16 if legend else 0)
    parts: list[Markup] = []
    title = escape(t("map_heading"))
    xmlns = Markup(' xmlns="http://www.w3.org/2000/svg"')
    # A plan whose stalls are links is a group of links; a picture (role img) would hide them
    # from screen readers, which treat everything inside an image as decoration.
    role = "img" if href is None else "group"
    parts.append(
        Markup(
            '<svg{} class="floor-map" viewBox="0 0 {} {}" width="{}" height="{}" role="{}" '
            'aria-labelledby="map-title">'
            '<title id="map-title">{}</title>'
        ).format(xmlns, width, total, width, total, role, title)
    )
    parts.append(
        Markup('<rect x="0" y="0" width="{}" height="{}" fill="{}" stroke="{}" stroke-width="4"/>').format(
            width, height, BACKGROUND, WALL
        )
    )
    parts.append(_box(plan.lab, LAB_FILL, escape(t("map_lab")), "lab", title=escape(t("map_lab"))))
    for place in plan.empty:
        parts.append(_box(place, "none", escape(place.label or ""), "empty", dashed=True, title=escape(t("map_empty"))))
    for place in plan.stalls:
        parts.append(_stall(place, states, names, t, href, highlight))
    for entrance in plan.entrances:
        parts.append(_entrance(entrance.x * SCALE, entrance.y * SCALE, escape(entrance.label), t))
    if legend:
        parts.append(_legend(t, height + 16, width))
    parts.append(Markup("</svg>"))
    svg = Markup("").join(parts)
    if standalone:
        return Markup('<?xml version="1.0" encoding="UTF-8"?>\n') + svg
    return svg


def _stall(
    place: Place,
    states: Mapping[str, str],
    names: Mapping[str, str],
    t: Messages,
    href: Callable[[str], str] | None,
    highlight: Collection[str],
) -> Markup:
    address = place.stall or ""
    state = states.get(address, EMPTY)
    named = describe_stall(names.get(address, address))
    label = named.place or named.sign
    title = Markup("{} · {}").format(named.sign, t(STATE_LABELS[state]))
    lit = address in highlight
    attrs = Markup(' data-address="{}" data-state="{}"').format(address, state)
    kind = f"stall state-{state}" + (" lit" if lit else "")
    box = _box(place, FILLS[state], escape(label), kind, title=title, lit=lit, attrs=attrs)
    if href is None:
        return box
    return Markup('<a href="{}" aria-label="{}">{}</a>').format(href(address), title, box)


def _box(
    place: Place,
    fill: str,
    label: Markup,
    kind: str,
    *,
    title: Markup,
    dashed: bool = False,
    lit: bool = False,
    attrs: Markup = NO_ATTRIBUTES,
) -> Markup:
    x, y, w, h = place.x * SCALE, place.y * SCALE, place.w * SCALE, place.h * SCALE
    stroke = HIGHLIGHT if lit else WALL
    extra = Markup(' stroke-dasharray="8 6"') if dashed else Markup("")
    size = max(12, min(36, int(min(w, h) * 0.38), int(w / max(len(label), 1) * 1.6)))
    return Markup(
        '<g class="{}"{}><title>{}</title>'
        '<rect x="{}" y="{}" width="{}" height="{}" rx="6" fill="{}" stroke="{}" stroke-width="{}"{}/>'
        '<text x="{}" y="{}" fill="{}" font-size="{}" font-weight="700" text-anchor="middle" '
        'dominant-baseline="central" font-family="system-ui, sans-serif">{}</text></g>'
    ).format(
        kind,
        attrs,
        title,
        x + 3,
        y + 3,
        w - 6,
        h - 6,
        fill,
        stroke,
        8 if lit else 2,
        extra,
        x + w / 2,
        y + h / 2,
        INK,
        size,
        label,
    )


def _entrance(x: int, y: int, label: Markup, t: Messages) -> Markup:
    return Markup(
        '<g class="entrance"><title>{} · {}</title>'
        '<circle cx="{}" cy="{}" r="14" fill="{}" stroke="{}" stroke-width="4"/>'
        '<text x="{}" y="{}" fill="{}" font-size="16" font-weight="700" text-anchor="middle" '
        'font-family="system-ui, sans-serif">{}</text></g>'
    ).format(escape(t("map_entrance")), label, x, y, HIGHLIGHT, BACKGROUND, x, y + (30 if y == 0 else -22), INK, label)


def _legend(t: Messages, top: int, width: int) -> Markup:
    items = [(FILLS[state], t(STATE_LABELS[state])) for state in (OPEN, HELD, SUSPENDED, EMPTY)]
    items += [(LAB_FILL, t("map_lab")), ("none", t("map_empty"))]
    per_row = 2
    column = width // per_row
    parts = [Markup('<g class="legend">')]
    for i, (fill, text) in enumerate(items):
        x, y = (i % per_row) * column + 8, top + (i // per_row) * LEGEND_ROW
        parts.append(
            Markup(
                '<rect x="{}" y="{}" width="28" height="28" rx="4" fill="{}" stroke="{}" stroke-width="2"/>'
                '<text x="{}" y="{}" fill="{}" font-size="20" dominant-baseline="central" '
                'font-family="system-ui, sans-serif">{}</text>'
            ).format(x, y, fill, WALL, x + 38, y + 14, INK, text)
        )
    parts.append(Markup("</g>"))
    return Markup("").join(parts)
