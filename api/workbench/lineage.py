"""The regulator's lineage picture: a lot's graph from the read path
(:func:`ledger.queries.lineage_graph.lineage_graph`) drawn by the shopper page's SVG drawing
(:func:`api.pages.lineage_svg.draw_lineage`), with the stalls that sold any of it as the last
boxes, and the same facts as a list for those who do not see the picture."""

from __future__ import annotations

from dataclasses import dataclass

from api.pages.formats import Formatter
from api.pages.i18n import Messages
from api.pages.lineage_graph import Edge, Node, laid_out
from api.pages.lineage_svg import draw_lineage
from api.workbench.messages import WorkbenchMessages
from ledger.queries.lineage_graph import LineageGraph
from ledger.vocabulary import QUARANTINED, RECALLED


@dataclass(frozen=True)
class LineagePicture:
    """The SVG (escaped text only), its text alternative (one line a lot or a stall's sales)
    and whether the lineage was cut to fit."""

    svg: str
    lines: list[str]
    cut: bool


def _name(party: object) -> str:
    return getattr(party, "name", None) or getattr(party, "address", "")


def lineage_picture(graph: LineageGraph, t: WorkbenchMessages, names: dict[str, str]) -> LineagePicture:
    """`graph` as a picture and a list, labels in `t`'s language; `names` are products by GTIN."""
    shop = Messages(t.lang)
    fmt = Formatter(t.lang, shop)
    by_id = {node.batch_id: node for node in graph.nodes}
    nodes: dict[str, Node] = {}
    for node in graph.nodes:
        origin = node.origin_kind if node.origin_kind in ("harvest", "import") else None
        nodes[node.batch_id] = Node(
            batch_id=node.batch_id,
            lot=node.lot,
            holder=node.custodian,
            origin=origin,
            quantity=node.quantity,
            sold=False,
            alert=node.status in (QUARANTINED, RECALLED),
        )
    edges = [Edge(s.parent, s.child, s.kind, s.quantity) for s in graph.steps]
    for sale in graph.sales:
        stall_node = f"{sale.batch_id}:{sale.vendor.address}"
        nodes[stall_node] = Node(
            batch_id=stall_node,
            lot=by_id[sale.batch_id].lot,
            holder=sale.vendor,
            origin=None,
            quantity=sale.quantity,
            sold=True,
            alert=False,
        )
        edges.append(Edge(sale.batch_id, stall_node, "sale", sale.quantity))
    unit = by_id[graph.batch_id].unit
    traced = by_id[graph.batch_id].lot
    svg = draw_lineage(laid_out(nodes, edges, unit), t("lineage_title", lot=traced), t, fmt)
    lines = []
    parents: dict[str, list[str]] = {}
    for step in graph.steps:
        parents.setdefault(step.child, []).append(by_id[step.parent].lot)
    for node in graph.nodes:
        product = names.get(node.gtin, node.gtin)
        came = parents.get(node.batch_id)
        how = t("lineage_from", lots=", ".join(came)) if came else t(f"node_{node.origin_kind}")
        status = t.get(f"status_{node.status}") or node.status
        lines.append(
            t("lineage_line", lot=node.lot, product=product, how=how, holder=_name(node.custodian), status=status)
        )
    for sale in graph.sales:
        lines.append(
            t(
                "lineage_sold_line",
                lot=by_id[sale.batch_id].lot,
                stall=_name(sale.vendor),
                count=sale.sales,
                quantity=fmt.quantity(sale.quantity, by_id[sale.batch_id].unit),
            )
        )
    return LineagePicture(svg, lines, graph.cut)
