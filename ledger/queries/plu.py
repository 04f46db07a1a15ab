"""A stall's scale keys (PLUs): which lot each key sells from, and whether it is blocked.

The mapping is the latest ``PluMapped`` event per (stall, key) (a zero batch id clears the
key: it is not listed); a key is blocked while its lot is quarantined (a failed lab test) or
recalled, which is what the stall gateway tells the
scales and the stall screen shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, and_, func, select

from ledger.store import models
from ledger.vocabulary import QUARANTINED, RECALLED

_PLU = models.PluMapping.__table__
_BATCHES = models.Batch.__table__
#: Batch statuses that stop a scale from selling its key.
BLOCKING_STATUSES = (QUARANTINED, RECALLED)


@dataclass(frozen=True)
class PluEntry:
    """One key of a stall's scales: the lot it sells from and that lot's state now."""

    plu: int
    batch_id: str
    gtin: str | None
    lot: str | None
    unit: str | None
    status: str | None
    custodian: str | None
    mapped_block: int

    @property
    def blocked(self) -> str | None:
        """Why the key is blocked ("quarantined", "recalled"), or None."""
        return self.status if self.status in BLOCKING_STATUSES else None


def plu_table(engine: Engine, stall: str) -> dict[int, PluEntry]:
    """Every key of `stall` (a checksummed address), by key."""
    return plu_tables(engine, [stall]).get(stall, {})


def plu_tables(engine: Engine, stalls: list[str]) -> dict[str, dict[int, PluEntry]]:
    """The keys of each stall of `stalls`, in one query."""
    if not stalls:
        return {}
    latest = (
        select(_PLU.c.vendor, _PLU.c.plu, func.max(_PLU.c.block_number * 100_000 + _PLU.c.log_index).label("at"))
        .where(_PLU.c.vendor.in_(stalls))
        .group_by(_PLU.c.vendor, _PLU.c.plu)
        .subquery()
    )
    query = (
        select(_PLU, _BATCHES.c.gtin, _BATCHES.c.lot, _BATCHES.c.unit, _BATCHES.c.status, _BATCHES.c.custodian)
        .join(
            latest,
            and_(
                latest.c.vendor == _PLU.c.vendor,
                latest.c.plu == _PLU.c.plu,
                latest.c.at == _PLU.c.block_number * 100_000 + _PLU.c.log_index,
            ),
        )
        .outerjoin(_BATCHES, _BATCHES.c.batch_id == _PLU.c.batch_id)
    )
    tables: dict[str, dict[int, PluEntry]] = {}
    with engine.connect() as conn:
        for row in conn.execute(query).mappings():
            if int(row["batch_id"], 16) == 0:
                continue  # the key's latest mapping cleared it
            tables.setdefault(row["vendor"], {})[row["plu"]] = PluEntry(
                plu=row["plu"],
                batch_id=row["batch_id"],
                gtin=row["gtin"],
                lot=row["lot"],
                unit=row["unit"],
                status=row["status"],
                custodian=row["custodian"],
                mapped_block=row["block_number"],
            )
    return tables


def sellable_lots(engine: Engine, stall: str) -> list[tuple[str, str, int]]:
    """(batch id, unit, remaining) of each lot `stall` could sell now, most left first."""
    b = _BATCHES.c
    query = (
        select(b.batch_id, b.unit, b.remaining)
        .where(b.custodian == stall, b.status == "active", b.pending_recipient.is_(None), b.remaining > 0)
        .order_by(b.remaining.desc(), b.batch_id)
    )
    with engine.connect() as conn:
        return [(row.batch_id, row.unit, row.remaining) for row in conn.execute(query)]
