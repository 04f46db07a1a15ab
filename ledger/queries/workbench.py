"""What the workbench's screens list: shipments waiting for a participant, lots no lab has
tested, participants' names."""

from __future__ import annotations

from sqlalchemy import Engine, exists, select

from ledger.queries.rows import Parties, batch_view
from ledger.queries.views import BatchView
from ledger.store import models

_BATCHES = models.Batch.__table__
_INSPECTIONS = models.Inspection.__table__
_PARTICIPANTS = models.Participant.__table__
MAX_ROWS = 200


def participant_names(engine: Engine) -> dict[str, str]:
    """Every registered participant's address and name, in registration order."""
    with engine.connect() as conn:
        rows = conn.execute(select(_PARTICIPANTS.c.address, _PARTICIPANTS.c.name).order_by(_PARTICIPANTS.c.index))
        return {address: name for address, name in rows}


def _views(engine: Engine, query) -> list[BatchView]:
    with engine.connect() as conn:
        rows = list(conn.execute(query.limit(MAX_ROWS)).mappings())
        parties = Parties(conn, [a for r in rows for a in (r["custodian"], r["pending_recipient"])])
        return [batch_view(r, parties) for r in rows]


def incoming(engine: Engine, address: str) -> list[BatchView]:
    """Lots handed off to `address` and not yet accepted, oldest first."""
    query = (
        select(_BATCHES)
        .where(_BATCHES.c.pending_recipient == address, _BATCHES.c.status == "active")
        .order_by(_BATCHES.c.created_block, _BATCHES.c.created_log_index)
    )
    return _views(engine, query)


def untested(engine: Engine) -> list[BatchView]:
    """Active lots with stock and no residue test recorded, newest first."""
    tested = exists().where(_INSPECTIONS.c.batch_id == _BATCHES.c.batch_id)
    query = (
        select(_BATCHES)
        .where(_BATCHES.c.status == "active", _BATCHES.c.remaining > 0, ~tested)
        .order_by(_BATCHES.c.created_block.desc(), _BATCHES.c.created_log_index.desc())
    )
    return _views(engine, query)


def declarations_by(engine: Engine, customs: str, limit: int = 50) -> list[dict]:
    """The declarations `customs` recorded, newest first: number, clearance, and each line's lot."""
    imports = models.Import.__table__
    query = (
        select(
            imports.c.declaration_number,
            imports.c.cleared_at,
            imports.c.origin_country,
            imports.c.batch_id,
            _BATCHES.c.lot,
            _BATCHES.c.gtin,
        )
        .join(_BATCHES, _BATCHES.c.batch_id == imports.c.batch_id)
        .where(imports.c.customs == customs)
        .order_by(imports.c.block_number.desc(), imports.c.log_index)
    )
    found: dict[str, dict] = {}
    with engine.connect() as conn:
        for row in conn.execute(query.limit(MAX_ROWS)):
            entry = found.setdefault(
                row.declaration_number, {"number": row.declaration_number, "cleared_at": row.cleared_at, "lots": []}
            )
            entry["lots"].append(
                {"batch_id": row.batch_id, "lot": row.lot, "gtin": row.gtin, "country": row.origin_country}
            )
    return list(found.values())[:limit]
