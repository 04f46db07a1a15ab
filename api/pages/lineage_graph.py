"""The batches behind a sale as a small graph: one node per batch, one edge per split or merge,
arranged in rows from the origins (top) to the sold batch (bottom row).

A node's row is its longest distance to the sold batch, so every edge points down; within a
row, nodes sit near the mean position of their parents (few crossings). Everything is
derived from ``CustodyChain.events`` in chain order, so the same chain gives the same graph.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from api.pages.banner import unreleased_failures
from ledger.queries.views import CustodyChain, Party

REPACKS = ("split", "merged")


@dataclass(frozen=True)
class Node:
    """A batch: its lot, who made it (farm, importer, repacker; the stall for the sold batch),
    how it began, its quantity, and whether it carries an alert."""

    batch_id: str
    lot: str
    holder: Party | None
    origin: str | None  # harvest or import; None for a repack
    quantity: int | None
    sold: bool
    alert: bool


@dataclass(frozen=True)
class Edge:
    """One lineage step: `quantity` of `parent` went into `child` by a split or a merge."""

    parent: str
    child: str
    kind: str  # split or merge
    quantity: int


@dataclass(frozen=True)
class Lineage:
    nodes: dict[str, Node]
    edges: list[Edge]
    rows: list[list[str]]  # batch ids, top (origins) row first, left to right
    unit: str


def lineage_of(chain: CustodyChain) -> Lineage:
    """The sale's lineage graph, laid out in rows."""
    lots: dict[str, str] = {}
    holders: dict[str, Party | None] = {}
    origins: dict[str, str] = {}
    quantities: dict[str, int] = {}
    edges: list[Edge] = []
    for event in chain.events:
        parent = event.details.get("parent_id") if event.kind in REPACKS else None
        if parent is not None:
            lots.setdefault(parent, event.details.get("parent_lot") or parent[:10])
            holders.setdefault(parent, None)
        lots.setdefault(event.batch_id, event.lot)
        holders.setdefault(event.batch_id, None)
        if event.kind in ("harvested", "imported"):
            origins[event.batch_id] = "harvest" if event.kind == "harvested" else "import"
            quantities[event.batch_id] = int(event.details["quantity"])
            holders[event.batch_id] = event.actor if event.kind == "harvested" else event.counterparty
        elif parent is not None:
            quantity = int(event.details["quantity"])
            edges.append(Edge(parent, event.batch_id, "split" if event.kind == "split" else "merge", quantity))
            earlier = quantities.get(event.batch_id, 0) if event.kind == "merged" else 0  # a merge adds its parents
            quantities[event.batch_id] = earlier + quantity
            holders[event.batch_id] = event.actor
    sold = chain.sale.batch_id
    lots.setdefault(sold, chain.sale.lot)
    holders[sold] = chain.sale.vendor
    alerted = {e.batch_id for e in chain.alerts if e.kind == "recalled"}
    alerted |= {e.batch_id for e in unreleased_failures(chain)}  # a released lot is no longer red
    if chain.batch.status in ("quarantined", "recalled"):
        alerted.add(sold)
    nodes = {
        batch_id: Node(
            batch_id=batch_id,
            lot=lot,
            holder=holders.get(batch_id),
            origin=origins.get(batch_id),
            quantity=quantities.get(batch_id),
            sold=batch_id == sold,
            alert=batch_id in alerted,
        )
        for batch_id, lot in lots.items()
    }
    return laid_out(nodes, edges, chain.batch.unit)


def laid_out(nodes: dict[str, Node], edges: list[Edge], unit: str) -> Lineage:
    """`nodes` and `edges` (parents before children in `nodes`' order) arranged in rows."""
    return Lineage(nodes, edges, _rows(list(nodes), edges), unit)


def _layers(order: list[str], edges: list[Edge]) -> dict[str, int]:
    """Each node's longest distance to a node without children (Kahn's order, no recursion)."""
    children: dict[str, list[str]] = {n: [] for n in order}
    parents: dict[str, list[str]] = {n: [] for n in order}
    for edge in edges:
        children[edge.parent].append(edge.child)
        parents[edge.child].append(edge.parent)
    pending = {n: len(set(children[n])) for n in order}
    layer = dict.fromkeys(order, 0)
    ready = deque(n for n in order if pending[n] == 0)
    while ready:
        node = ready.popleft()
        for parent in dict.fromkeys(parents[node]):
            layer[parent] = max(layer[parent], layer[node] + 1)
            pending[parent] -= 1
            if pending[parent] == 0:
                ready.append(parent)
    return layer  # a node on a cycle (a corrupted database) keeps layer 0


def _rows(order: list[str], edges: list[Edge]) -> list[list[str]]:
    layer = _layers(order, edges)
    parents: dict[str, list[str]] = {n: [] for n in order}
    for edge in edges:
        parents[edge.child].append(edge.parent)
    first_seen = {n: i / max(len(order) - 1, 1) for i, n in enumerate(order)}
    position: dict[str, float] = {}
    rows: list[list[str]] = []
    for depth in range(max(layer.values(), default=0), -1, -1):

        def key(node: str) -> tuple[float, int]:
            placed = [position[p] for p in parents[node] if p in position]
            mean = sum(placed) / len(placed) if placed else first_seen[node]
            return (mean, order.index(node))

        row = sorted((n for n in order if layer[n] == depth), key=key)
        for index, node in enumerate(row):
            position[node] = (index + 0.5) / len(row)
        rows.append(row)
    return rows
