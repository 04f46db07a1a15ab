"""The market board's day panels: the lab tests of a window and the lots quarantined or
recalled in it. A window is ``[start, end)`` Unix seconds (see :mod:`ledger.queries.days`);
each query is an index range scan over ``block_time`` (``ix_inspections_block_time``,
``ix_recalls_block_time``), so a day costs what that day holds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection

from ledger.queries.rows import Parties, batch_rows, inspection_key, residue_views
from ledger.queries.views import BoardInspection, LotAlert
from ledger.store import models
from ledger.vocabulary import Residue

_INSPECTIONS = models.Inspection.__table__
_RECALLS = models.Recall.__table__


def inspections_between(engine: Engine, start: int, end: int, *, limit: int = 200) -> list[BoardInspection]:
    """The lab tests recorded in ``[start, end)``, newest first (at most `limit`)."""
    query = (
        select(_INSPECTIONS)
        .where(_INSPECTIONS.c.block_time >= start, _INSPECTIONS.c.block_time < end)
        # Blocks share a timestamp (a second holds several): the block number orders them.
        .order_by(_INSPECTIONS.c.block_time.desc(), _INSPECTIONS.c.block_number.desc(), _INSPECTIONS.c.log_index.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        rows = list(conn.execute(query).mappings())
        return board_inspections(conn, rows)


def board_inspections(conn: Connection, rows: list[Mapping[str, Any]]) -> list[BoardInspection]:
    """Inspection rows with their lots, current holders, labs and residues."""
    batches = batch_rows(conn, [r["batch_id"] for r in rows])
    parties = Parties(conn, [*(b["custodian"] for b in batches.values()), *(r["lab"] for r in rows)])
    residues = residue_views(conn, rows)
    return [
        BoardInspection(
            batch_id=r["batch_id"],
            gtin=batches[r["batch_id"]]["gtin"],
            lot=batches[r["batch_id"]]["lot"],
            holder=parties[batches[r["batch_id"]]["custodian"]],
            lab=parties[r["lab"]],
            passed=bool(r["passed"]),
            time=int(r["block_time"]),
            residues=residues.get(inspection_key(r), []),
        )
        for r in rows
    ]


def alerts_between(engine: Engine, start: int, end: int) -> list[LotAlert]:
    """Lots quarantined (a failed test) or recalled in ``[start, end)``, newest first."""
    failed = select(_INSPECTIONS).where(
        _INSPECTIONS.c.block_time >= start, _INSPECTIONS.c.block_time < end, _INSPECTIONS.c.passed.is_(False)
    )
    recalled = select(_RECALLS).where(_RECALLS.c.block_time >= start, _RECALLS.c.block_time < end)
    with engine.connect() as conn:
        failures = list(conn.execute(failed).mappings())
        recalls = list(conn.execute(recalled).mappings())
        batches = batch_rows(conn, [r["batch_id"] for r in (*failures, *recalls)])
        parties = Parties(conn, [b["custodian"] for b in batches.values()])
        residues = residue_views(conn, failures)
        alerts = [
            _alert("quarantined", r, batches[r["batch_id"]], parties, residues.get(inspection_key(r), []), reason="")
            for r in failures
        ]
        alerts += [_alert("recalled", r, batches[r["batch_id"]], parties, [], reason=r["reason"]) for r in recalls]
    return sorted(alerts, key=lambda a: (-a.block_number, -a.log_index))


def _alert(
    kind: str,
    row: Mapping[str, Any],
    batch: Mapping[str, Any],
    parties: Parties,
    residues: list[Residue],
    reason: str,
) -> LotAlert:
    over = [r for r in residues if r.exceeded]
    if not reason and over:
        reason = ", ".join(f"{r.substance} {r.measured}/{r.limit} {r.unit}" for r in over)
    return LotAlert(
        kind=kind,
        batch_id=row["batch_id"],
        gtin=batch["gtin"],
        lot=batch["lot"],
        holder=parties[batch["custodian"]],
        time=int(row["block_time"]),
        reason=reason,
        status=batch["status"],
        residues=over or residues,
        block_number=int(row["block_number"]),
        log_index=int(row["log_index"]),
    )
