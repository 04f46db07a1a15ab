"""``chain_of_custody(sale_id)``: every step behind a sale, back to each farm or customs entry.

Two statements (:mod:`ledger.queries.timeline`) walk the sold batch's lineage back and gather
its batches and the rows of every step; one more fetches the parties named. The steps are merged
in chain order (block, log index). EU 178/2002's "one step back" is the first hand-off before
each batch; the walk goes all the way.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from ledger.errors import NotFound
from ledger.queries.rows import Parties, batch_view, sale_view
from ledger.queries.timeline import timeline_rows
from ledger.queries.views import CustodyChain, Origin, TimelineEvent
from ledger.vocabulary import Residue, timeline_kind

_ACTOR_COLUMN = {
    "harvests": "supplier",
    "imports": "customs",
    "inspections": "lab",
    "releases": "regulator",
    "recalls": "regulator",
}
#: The timeline's table names under the short names used below.
_SHORT = {"custody_events": "custody", "quarantine_releases": "releases"}
_KINDS = ("harvests", "imports", "custody", "lineage", "inspections", "residues", "releases", "recalls", "sales")


def chain_of_custody(engine: Engine, sale_id: str) -> CustodyChain:
    """The ordered history of sale `sale_id`; raises :class:`NotFound` for an unknown sale."""
    with engine.connect() as conn:
        rows, as_of = _fetch(conn, sale_id=sale_id)
        if not rows.get("sales"):
            raise NotFound(f"no sale {sale_id}")
        sale = rows["sales"][0]
        origins, events, batches, parties = _history(conn, rows)
        alerts = [e for e in events if e.kind == "recalled" or (e.kind == "inspected" and not e.details["passed"])]
        return CustodyChain(
            sale=sale_view(sale, batches[sale["batch_id"]], parties),
            batch=batch_view(batches[sale["batch_id"]], parties),
            origins=origins,
            events=events,
            alerts=alerts,
            as_of_block=as_of,
        )


def chain_of_custody_for_batch(engine: Engine, batch_id: str) -> tuple[list[Origin], list[TimelineEvent]]:
    """Origins and ordered history behind batch `batch_id` (no sale of its own)."""
    with engine.connect() as conn:
        rows, _ = _fetch(conn, batch_id=batch_id)
        if not rows.get("batches"):
            raise NotFound(f"no batch {batch_id}")
        origins, events, _, _ = _history(conn, rows)
        return origins, events


def _fetch(conn: Connection, **start: str) -> tuple[dict[str, list[Any]], int | None]:
    found, as_of = timeline_rows(conn, **start)
    return {_SHORT.get(table, table): table_rows for table, table_rows in found.items()}, as_of


def _history(
    conn: Connection, found: dict[str, list[Any]]
) -> tuple[list[Origin], list[TimelineEvent], dict[str, Any], Parties]:
    """Origins and ordered steps from the timeline rows `found`, with the batch rows and the
    parties looked up on the way (the caller reuses them instead of asking again)."""
    rows = {kind: found.get(kind, []) for kind in _KINDS}
    sale_rows = rows.pop("sales")
    batches = {row["batch_id"]: row for row in found.get("batches", [])}
    parties = Parties(conn, _addresses(rows, sale_rows, batches.values()))
    residues: dict[tuple[int, int], list[Residue]] = {}
    for r in sorted(rows["residues"], key=lambda r: r["position"]):
        residues.setdefault((r["block_number"], r["log_index"]), []).append(Residue.from_row(r))

    def event(
        kind: str, r: Any, batch_id: str, actor: str, counterparty: str | None = None, **details: Any
    ) -> TimelineEvent:
        return TimelineEvent(
            kind=kind,
            batch_id=batch_id,
            lot=batches[batch_id]["lot"] if batch_id in batches else "",
            block_number=int(r["block_number"]),
            log_index=int(r["log_index"]),
            time=int(r["block_time"]),
            tx_hash=r["tx_hash"],
            actor=parties[actor],
            counterparty=parties.get(counterparty),
            details=details,
        )

    events: list[TimelineEvent] = []
    origins: list[Origin] = []
    for r in rows["harvests"]:
        b = batches[r["batch_id"]]
        events.append(
            event(
                "harvested",
                r,
                r["batch_id"],
                r["supplier"],
                quantity=int(b["quantity"]),
                unit=b["unit"],
                harvested_at=int(r["harvested_at"]),
                origin=r["origin"],
                document_cid=r["document_cid"],
            )
        )
        origins.append(
            Origin(
                "harvest",
                r["batch_id"],
                b["gtin"],
                b["lot"],
                parties[r["supplier"]],
                int(r["harvested_at"]),
                r["origin"],
                {"document_cid": r["document_cid"], "quantity": int(b["quantity"]), "unit": b["unit"]},
            )
        )
    for r in rows["imports"]:
        b = batches[r["batch_id"]]
        details = {
            "origin_country": r["origin_country"],
            "hs_code": r["hs_code"],
            "declaration_number": r["declaration_number"],
            "declaration_line": None if r["declaration_line"] is None else int(r["declaration_line"]),
            "cleared_at": int(r["cleared_at"]),
            "entry_port": r["entry_port"],
            "document_cid": r["document_cid"],
            "quantity": int(b["quantity"]),
            "unit": b["unit"],
        }
        events.append(event("imported", r, r["batch_id"], r["customs"], r["importer"], **details))
        origins.append(
            Origin(
                "import",
                r["batch_id"],
                b["gtin"],
                b["lot"],
                parties[r["importer"]],
                int(r["cleared_at"]),
                f"{r['origin_country']} via {r['entry_port']}",
                details,
            )
        )
    for r in rows["custody"]:
        events.append(
            event(
                r["kind"],
                r,
                r["batch_id"],
                r["from_address"],
                r["to_address"],
                quantity=None if r["quantity"] is None else int(r["quantity"]),
            )
        )
    for r in rows["lineage"]:
        kind = timeline_kind("lineage", r["kind"])
        events.append(
            event(
                kind,
                r,
                r["child_id"],
                r["custodian"],
                parent_id=r["parent_id"],
                quantity=int(r["quantity"]),
                parent_lot=batches[r["parent_id"]]["lot"] if r["parent_id"] in batches else None,
            )
        )
    for r in rows["inspections"]:
        found = residues.get((r["block_number"], r["log_index"]), [])
        events.append(
            event(
                "inspected",
                r,
                r["batch_id"],
                r["lab"],
                passed=bool(r["passed"]),
                residues=found,
                report_cid=r["report_cid"],
            )
        )
    for r in rows["releases"]:
        events.append(event("released", r, r["batch_id"], r["regulator"], reason=r["reason"]))
    for r in rows["recalls"]:
        events.append(event("recalled", r, r["batch_id"], r["regulator"], reason=r["reason"]))
    for r in sale_rows:
        b = batches[r["batch_id"]]
        events.append(
            event(
                "sold",
                r,
                r["batch_id"],
                r["vendor"],
                quantity=int(r["quantity"]),
                unit=b["unit"],
                price=int(r["price"]),
                currency=r["currency"],
                serial=int(r["serial"]),
            )
        )
    events.sort(key=lambda e: (e.block_number, e.log_index, e.kind))
    origins.sort(key=lambda o: (o.time, o.lot))
    return origins, events, batches, parties


def _addresses(rows: dict[str, list[Any]], sale_rows: list[Any], batches: Iterable[Any]) -> set[str]:
    found: set[str] = set()
    for table, actor in _ACTOR_COLUMN.items():
        found.update(r[actor] for r in rows[table])
    found.update(r["importer"] for r in rows["imports"])
    found.update(r["custodian"] for r in rows["lineage"])
    for r in rows["custody"]:
        found.update((r["from_address"], r["to_address"]))
    found.update(r["vendor"] for r in sale_rows)
    found.update(b["custodian"] for b in batches)
    return found
