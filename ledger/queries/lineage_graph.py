"""``lineage_graph(batch_id)``: a lot's lineage as a graph to draw: the lots it came from back
to their harvest or import, the lots made from it, the edges between them (splits and
merges), and the stalls that sold any of them. Bounded: a huge lineage gives its nearest lots
only, and says that it was cut."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from ledger.errors import NotFound
from ledger.queries.lineage import nearest_ancestors, nearest_descendants
from ledger.queries.rows import IN_CHUNK, Parties, batch_rows
from ledger.queries.views import Party
from ledger.store import models

_LINEAGE = models.LineageEdge.__table__
_SALES = models.Sale.__table__
#: Lots drawn on each side of the lot (back and forward), and stalls drawn: a picture a
#: phone can show and a person can read; more is listed as cut.
MAX_SIDE = 24
MAX_STALLS = 12


@dataclass(frozen=True)
class LineageNode:
    """A lot of the lineage; `depth` is its steps from the traced lot (negative: back)."""

    batch_id: str
    gtin: str
    lot: str
    origin_kind: str  # harvest, import, split, merge
    status: str
    quantity: int
    unit: str
    custodian: Party
    depth: int


@dataclass(frozen=True)
class LineageStep:
    """`quantity` of lot `parent` went into lot `child` by a split or a merge (`kind`:
    ``split`` or ``merge``)."""

    parent: str
    child: str
    kind: str
    quantity: int


@dataclass(frozen=True)
class StallSales:
    """The sales of one lot at one stall."""

    batch_id: str
    vendor: Party
    sales: int
    quantity: int


@dataclass(frozen=True)
class LineageGraph:
    """The nodes (oldest first), the steps among them, the stalls' sales of them, and whether
    lots or stalls were left out (`cut`)."""

    batch_id: str
    nodes: list[LineageNode]
    steps: list[LineageStep]
    sales: list[StallSales]
    cut: bool


def lineage_graph(
    engine: Engine, batch_id: str, *, max_side: int = MAX_SIDE, max_stalls: int = MAX_STALLS
) -> LineageGraph:
    """The lineage of `batch_id`; raises :class:`NotFound` if unknown."""
    with engine.connect() as conn:
        back = nearest_ancestors(conn, batch_id, max_side + 2)  # itself, and one more: cut?
        forward = nearest_descendants(conn, batch_id, max_side + 2)
        cut = len(back) > max_side + 1 or len(forward) > max_side + 1
        depths = {b: -d for b, d in list(back.items())[: max_side + 1]}
        depths.update({b: d for b, d in list(forward.items())[: max_side + 1]})
        rows = batch_rows(conn, depths)
        if batch_id not in rows:
            raise NotFound(f"no batch {batch_id}")
        ids = sorted(rows, key=lambda b: (depths[b], rows[b]["created_block"], rows[b]["created_log_index"]))
        steps: list[LineageStep] = []
        sold: list[tuple[str, str, int, int]] = []
        for start in range(0, len(ids), IN_CHUNK):
            chunk = ids[start : start + IN_CHUNK]
            edge = _LINEAGE.c
            found = conn.execute(
                select(edge.parent_id, edge.child_id, edge.kind, edge.quantity).where(edge.child_id.in_(chunk))
            )
            steps += [LineageStep(p, c, k, int(q)) for p, c, k, q in found if p in rows]
            per_stall = (
                select(_SALES.c.batch_id, _SALES.c.vendor, func.count(), func.sum(_SALES.c.quantity))
                .where(_SALES.c.batch_id.in_(chunk))
                .group_by(_SALES.c.batch_id, _SALES.c.vendor)
            )
            sold += [(b, v, int(n), int(q)) for b, v, n, q in conn.execute(per_stall)]
        stalls = sorted({v for _, v, _, _ in sold})
        if len(stalls) > max_stalls:
            cut = True
            kept = set(stalls[:max_stalls])
            sold = [s for s in sold if s[1] in kept]
        parties = Parties(conn, [*(r["custodian"] for r in rows.values()), *stalls])
        nodes = [
            LineageNode(
                batch_id=b,
                gtin=rows[b]["gtin"],
                lot=rows[b]["lot"],
                origin_kind=rows[b]["origin_kind"],
                status=rows[b]["status"],
                quantity=int(rows[b]["quantity"]),
                unit=rows[b]["unit"],
                custodian=parties[rows[b]["custodian"]],
                depth=depths[b],
            )
            for b in ids
        ]
    order = {b: n for n, b in enumerate(ids)}
    sales = [StallSales(b, parties[v], n, q) for b, v, n, q in sorted(sold, key=lambda s: (order[s[0]], s[1]))]
    steps.sort(key=lambda step: (order[step.child], order[step.parent]))
    return LineageGraph(batch_id, nodes, steps, sales, cut)
