"""EPCIS capture jobs: created when a document is accepted, finished with each event's outcome."""

from __future__ import annotations

import secrets
import time
from typing import Any

from sqlalchemy import Engine, insert, select, update

from ledger.store import models
from ledger.store.intents import NewIntent, insert_intents

_JOBS = models.EpcisCaptureJob.__table__
#: FreshLedger can only proceed: mined transactions are not rolled back (GS1-Capture-Error-Behaviour).
ERROR_BEHAVIOUR = "proceed"


def create_job(engine: Engine, address: str, event_count: int, document_sha256: str) -> str:
    """A running job for `address`; returns its capture id."""
    capture_id = "cj" + secrets.token_hex(12)
    with engine.begin() as conn:
        conn.execute(
            insert(_JOBS).values(
                capture_id=capture_id,
                address=address,
                created_at=int(time.time()),
                finished_at=None,
                running=True,
                success=True,
                error_behaviour=ERROR_BEHAVIOUR,
                event_count=event_count,
                document_sha256=document_sha256,
                results=None,
            )
        )
    return capture_id


def create_queued_job(
    engine: Engine,
    address: str,
    document_sha256: str,
    entries: list[dict[str, Any]],
    intents: list[tuple[str, NewIntent]],
) -> str:
    """A job whose events' calls are queued intents of `address`, all stored in one
    transaction: each entry's ``intents`` (indexes into `intents`) become ``intent_ids``. Its
    state is read from those intents (:mod:`ledger.epcis.queued`)."""
    capture_id = "cj" + secrets.token_hex(12)
    with engine.begin() as conn:
        ids = insert_intents(conn, address, intents)
        results = [{**e, "intent_ids": [ids[n] for n in e.get("intents", [])]} for e in entries]
        conn.execute(
            insert(_JOBS).values(
                capture_id=capture_id,
                address=address,
                created_at=int(time.time()),
                finished_at=None,
                running=True,
                success=True,
                error_behaviour=ERROR_BEHAVIOUR,
                event_count=len(entries),
                document_sha256=document_sha256,
                results=results,
            )
        )
    return capture_id


def finish_job(engine: Engine, capture_id: str, results: list[dict[str, Any]], success: bool) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(_JOBS)
            .where(_JOBS.c.capture_id == capture_id)
            .values(running=False, success=success, finished_at=int(time.time()), results=results)
        )


def get_job(engine: Engine, capture_id: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(_JOBS).where(_JOBS.c.capture_id == capture_id)).mappings().first()
        return dict(row) if row else None


def jobs_of(engine: Engine, address: str, limit: int = 100) -> list[dict[str, Any]]:
    """The newest jobs of `address`."""
    query = select(_JOBS).where(_JOBS.c.address == address).order_by(_JOBS.c.created_at.desc()).limit(limit)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]
