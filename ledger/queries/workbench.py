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
