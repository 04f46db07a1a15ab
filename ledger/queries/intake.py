"""What the declaration-file checks ask the index: participants by address or identifier,
which lots are batches already (a declaration by number is
:func:`ledger.queries.declarations.get_declaration`)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Engine, select, tuple_

from ledger.queries.rows import IN_CHUNK
from ledger.store import models

_PARTICIPANTS = models.Participant.__table__
_BATCHES = models.Batch.__table__


def participants_named(
    engine: Engine, *, address: str | None = None, identifier: str | None = None
) -> list[tuple[str, int, bool]]:
    """(address, roles, suspended) of the participant at `address` (checksum form), or of
    those registered under `identifier` (GLN or licence number)."""
    column, value = (_PARTICIPANTS.c.address, address) if address else (_PARTICIPANTS.c.identifier, identifier)
    query = select(_PARTICIPANTS.c.address, _PARTICIPANTS.c.roles, _PARTICIPANTS.c.suspended).where(column == value)
    with engine.connect() as conn:
        return [(row.address, row.roles, bool(row.suspended)) for row in conn.execute(query)]


def registered_lots(engine: Engine, lots: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which (GTIN-14, lot) pairs are batches in the index."""
    pairs = sorted(lots)
    found: set[tuple[str, str]] = set()
    with engine.connect() as conn:
        for start in range(0, len(pairs), IN_CHUNK):
            chunk = pairs[start : start + IN_CHUNK]
            query = select(_BATCHES.c.gtin, _BATCHES.c.lot).where(tuple_(_BATCHES.c.gtin, _BATCHES.c.lot).in_(chunk))
            found.update((row.gtin, row.lot) for row in conn.execute(query))
    return found
