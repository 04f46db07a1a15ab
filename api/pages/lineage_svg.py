"""``lineage_svg(chain)``: the path from origin(s) through repacks to the sold batch, as an SVG
drawn on the server (no script, no external resource).

Boxes are batches (lot; the farm, importer or repacker that made it, or the stall that sold it;
how it began or "sold here"), arrows are splits and merges with the quantity moved. The picture
is sized for a phone (340 units wide, scaled to the page width); a row of more boxes than fit
makes it wider and marks it ``wide``, which the page scrolls sideways at full text size rather
than shrinking it. Layout is in :mod:`api.pages.lineage_graph`. It is an accessible image
(``role="img"`` with a title and a text description of every box and arrow); all text is real
text, escaped, and the output is deterministic.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Protocol
from xml.sax.saxutils import escape

from api.pages.formats import Formatter
from api.pages.i18n import Messages
from api.pages.lineage_graph import Edge, Lineage, Node, lineage_of
from ledger.queries.views import CustodyChain

WIDTH = 340  # viewBox units: the content width of a 390 px phone screen less the page padding
MARGIN = 4
BOX_HEIGHT = 68
ROW_GAP = 50  # room for an arrow and its label between rows
COLUMN_GAP = 12
MIN_BOX = 104  # below this a lot number no longer fits: the picture gets wider instead
MAX_BOX = 260
PADDING = 8  # inside a box, on each side of the text
ID = "fl-lineage"  # element ids; there is one lineage picture on a page

#: Characters XML 1.0 does not allow (control characters other than tab and newlines).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_STYLES = {
    # fill, stroke, stroke width
    "harvest": ("#e8f5e9", "#2e7d32", 1.5),
    "import": ("#e3f2fd", "#1565c0", 1.5),
    "repack": ("#f5f5f4", "#78716c", 1.5),
    "sold": ("#fff8e1", "#b45309", 2.5),
    "alert": ("#ffebee", "#c62828", 2.5),
}
TEXT = "#1f2937"
MUTED = "#4b5563"
EDGE = "#57534e"


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float


class Labels(Protocol):
    """A catalogue of the picture's labels (``node_*``, ``edge_*``, ``svg_desc_*``): the
    shopper pages' :class:`Messages` or the workbench's."""

    def __call__(self, key: str, **values: object) -> str: ...


def lineage_svg(chain: CustodyChain, *, lang: str = "en") -> str:
    """An SVG picture of the sale's lineage, labels in `lang`."""
    t = Messages(lang)
    return draw_lineage(lineage_of(chain), t("svg_title", lot=chain.sale.lot), t, Formatter(lang, t))


def draw_lineage(lineage: Lineage, title: str, t: Labels, fmt: Formatter) -> str:
    """The SVG of `lineage` laid out in rows, titled `title`, labelled by `t`."""
    boxes, width, height = _layout(lineage)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="lineage{" wide" if width > WIDTH else ""}" role="img" '
        f'aria-labelledby="{ID}-title {ID}-desc" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'width="{_n(width)}" height="{_n(height)}" font-family="system-ui, sans-serif">',
        f'<title id="{ID}-title">{_x(title)}</title>',
        f'<desc id="{ID}-desc">{_x(_description(lineage, t, fmt))}</desc>',
        f'<defs><marker id="{ID}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{EDGE}"/></marker></defs>',
    ]
    parts.extend(_edges(lineage, boxes, t, fmt))
    parts.extend(_node(lineage.nodes[batch_id], box, t, fmt, lineage.unit) for batch_id, box in boxes.items())
    parts.append("</svg>")
    return "".join(parts)


def _layout(lineage: Lineage) -> tuple[dict[str, Box], float, float]:
    widest = max((len(row) for row in lineage.rows), default=1)
    width = max(WIDTH, 2 * MARGIN + widest * MIN_BOX + (widest - 1) * COLUMN_GAP)
    boxes: dict[str, Box] = {}
    for index, row in enumerate(lineage.rows):
        box_width = min(MAX_BOX, (width - 2 * MARGIN - (len(row) - 1) * COLUMN_GAP) / len(row))
        left = (width - len(row) * box_width - (len(row) - 1) * COLUMN_GAP) / 2
        y = MARGIN + index * (BOX_HEIGHT + ROW_GAP)
        for column, batch_id in enumerate(row):
            boxes[batch_id] = Box(left + column * (box_width + COLUMN_GAP), y, box_width)
    height = 2 * MARGIN + len(lineage.rows) * BOX_HEIGHT + (len(lineage.rows) - 1) * ROW_GAP
    return boxes, width, height


def _node(node: Node, box: Box, t: Labels, fmt: Formatter, unit: str) -> str:
    style = "alert" if node.alert else "sold" if node.sold else node.origin or "repack"
    fill, stroke, stroke_width = _STYLES[style]
    holder = (node.holder.name or node.holder.address) if node.holder else ""
    middle = box.x + box.width / 2
    room = box.width - 2 * PADDING
    tag = _tag(node, t, fmt, unit, room)
    classes = " ".join(["node", style, *(["sold-batch"] if node.sold else [])])
    return (
        f'<g class="{classes}" data-batch-id="{_x(node.batch_id)}" data-lot="{_x(node.lot)}">'
        f"<title>{_x(' · '.join(p for p in (node.lot, holder, _tag(node, t, fmt, unit)) if p))}</title>"
        f'<rect x="{_n(box.x)}" y="{_n(box.y)}" width="{_n(box.width)}" height="{BOX_HEIGHT}" rx="8" '
        f'fill="{fill}" stroke="{stroke}" stroke-width="{stroke_width}"/>'
        f'<text x="{_n(middle)}" y="{_n(box.y + 22)}" text-anchor="middle" font-size="14" font-weight="700" '
        f'fill="{TEXT}">{_x(_fit(node.lot, room, 14, bold=True))}</text>'
        f'<text x="{_n(middle)}" y="{_n(box.y + 41)}" text-anchor="middle" font-size="12" fill="{TEXT}">'
        f"{_x(_fit(holder, room, 12))}</text>"
        f'<text x="{_n(middle)}" y="{_n(box.y + 58)}" text-anchor="middle" font-size="12" fill="{stroke}" '
        f'font-weight="700">{_x(_fit(tag, room, 12, bold=True))}</text>'
        "</g>"
    )


def _tag(node: Node, t: Labels, fmt: Formatter, unit: str, room: float | None = None) -> str:
    """How the batch began (or "sold here") and its quantity; only the first if both do not fit."""
    kind = t("node_sold") if node.sold else t(f"node_{node.origin}") if node.origin else ""
    amount = fmt.quantity(node.quantity, unit) if node.quantity is not None else ""
    both = " · ".join(p for p in (kind, amount) if p)
    if room is None or _width(both, 12, bold=True) <= room:
        return both
    return kind or amount


def _edges(lineage: Lineage, boxes: dict[str, Box], t: Labels, fmt: Formatter) -> list[str]:
    def spread(edges: list[Edge], own: str, other: str) -> dict[int, float]:
        """x offsets of several arrows leaving (or entering) one box, ordered by the far end."""
        found: dict[int, float] = {}
        for batch_id in dict.fromkeys(getattr(e, own) for e in edges):
            mine = sorted(
                (i for i, e in enumerate(edges) if getattr(e, own) == batch_id),
                key=lambda i: boxes[getattr(edges[i], other)].x,
            )
            step = min(28.0, boxes[batch_id].width / (len(mine) + 1))
            for rank, i in enumerate(mine):
                found[i] = (rank - (len(mine) - 1) / 2) * step
        return found

    edges = [e for e in lineage.edges if e.parent in boxes and e.child in boxes]
    out_offset, in_offset = spread(edges, "parent", "child"), spread(edges, "child", "parent")
    parents_of = Counter(e.child for e in edges)
    paths, labels = [], []
    for i, edge in enumerate(edges):
        top, bottom = boxes[edge.parent], boxes[edge.child]
        start = (top.x + top.width / 2 + out_offset[i], top.y + BOX_HEIGHT)
        end = (bottom.x + bottom.width / 2 + in_offset[i], bottom.y - 2)
        bend = (end[1] - start[1]) / 2
        controls = ((start[0], start[1] + bend), (end[0], end[1] - bend))
        paths.append(
            f'<g class="edge {edge.kind}" data-parent="{_x(edge.parent)}" data-child="{_x(edge.child)}">'
            f'<path d="M{_p(start)} C{_p(controls[0])} {_p(controls[1])} {_p(end)}" fill="none" stroke="{EDGE}" '
            f'stroke-width="1.5" marker-end="url(#{ID}-arrow)"/></g>'
        )
        # A split's label sits halfway; the arrows into a merge meet, so theirs sit by their parents.
        x, y = _bezier(start, *controls, end, 0.5 if parents_of[edge.child] == 1 else 0.25)
        label = f"{t('edge_' + edge.kind)} {fmt.quantity(edge.quantity, lineage.unit)}"
        plate = _width(label, 12) + 8  # a white plate under the label
        labels.append(
            f'<g class="edge-label"><rect x="{_n(x - plate / 2)}" y="{_n(y - 9)}" width="{_n(plate)}" height="18" '
            f'rx="4" fill="#ffffff"/><text x="{_n(x)}" y="{_n(y + 4)}" text-anchor="middle" font-size="12" '
            f'fill="{MUTED}">{_x(label)}</text></g>'
        )
    return paths + labels


def _bezier(
    p0: tuple[float, float], p1: tuple[float, float], p2: tuple[float, float], p3: tuple[float, float], at: float
) -> tuple[float, float]:
    """The point of a cubic Bézier curve at parameter `at`."""
    weights = ((1 - at) ** 3, 3 * (1 - at) ** 2 * at, 3 * (1 - at) * at**2, at**3)
    return (
        sum(w * p[0] for w, p in zip(weights, (p0, p1, p2, p3), strict=True)),
        sum(w * p[1] for w, p in zip(weights, (p0, p1, p2, p3), strict=True)),
    )


def _description(lineage: Lineage, t: Labels, fmt: Formatter) -> str:
    sentences = []
    for row in lineage.rows:
        for batch_id in row:
            node = lineage.nodes[batch_id]
            holder = (node.holder.name or node.holder.address) if node.holder else "?"
            what = _tag(node, t, fmt, lineage.unit) or t("lot")
            sentences.append(t("svg_desc_node", lot=node.lot, what=what, holder=holder))
    for edge in lineage.edges:
        sentences.append(
            t(
                "svg_desc_edge",
                parent=lineage.nodes[edge.parent].lot,
                child=lineage.nodes[edge.child].lot,
                how=t("edge_" + edge.kind),
                quantity=fmt.quantity(edge.quantity, lineage.unit),
            )
        )
    return ". ".join(sentences) + "."


def _fit(text: str, room: float, size: float, bold: bool = False) -> str:
    """`text` cut with an ellipsis to fit `room` units at font `size` (a generous estimate)."""
    used = 0.0
    for index, char in enumerate(text):
        used += _advance(char, size, bold)
        if used > room:
            kept = text[:index]
            while kept and _width(kept, size, bold) + size > room:
                kept = kept[:-1]
            return kept.rstrip() + "…"
    return text


def _width(text: str, size: float, bold: bool = False) -> float:
    return sum(_advance(c, size, bold) for c in text)


def _advance(char: str, size: float, bold: bool) -> float:
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return size
    return size * (0.62 if bold else 0.56)


def _x(text: str) -> str:
    """Text for XML content or a double-quoted attribute."""
    return escape(_NOT_XML.sub("", text), {'"': "&quot;"})


def _p(point: tuple[float, float]) -> str:
    return f"{_n(point[0])},{_n(point[1])}"


def _n(value: float) -> str:
    """A coordinate with at most one decimal, the same on every run."""
    return f"{value:.1f}".rstrip("0").rstrip(".")
