"""The regulators' view of the market's stalls: shoppers' ratings next to the lab tests of
the lots each stall has held."""

from __future__ import annotations

from sqlalchemy import Engine, case, func, select

from ledger.queries.stalls import stall_entries, vendor_rows
from ledger.queries.views import StallOversight
from ledger.store import models

_BATCHES = models.Batch.__table__
_CUSTODY = models.CustodyEvent.__table__
_INSPECTIONS = models.Inspection.__table__


def stall_oversight(engine: Engine) -> list[StallOversight]:
    """Per stall, its rating next to the lab tests of every lot it has held (received by
    hand-off, or holds now, e.g. its own repacks), failed tests first, then by name."""
    with engine.connect() as conn:
        vendors = vendor_rows(conn)
        addresses = [v["address"] for v in vendors]
        # The stall filter sits inside each half of the union: SQLite does not push it down.
        held = (
            select(_CUSTODY.c.to_address.label("vendor"), _CUSTODY.c.batch_id)
            .where(_CUSTODY.c.kind == "received", _CUSTODY.c.to_address.in_(addresses))
            .union(select(_BATCHES.c.custodian, _BATCHES.c.batch_id).where(_BATCHES.c.custodian.in_(addresses)))
            .subquery()
        )
        failed = _INSPECTIONS.c.passed.is_(False)
        counts = (
            select(
                held.c.vendor,
                func.count(_INSPECTIONS.c.block_number),
                func.sum(case((failed, 1), else_=0)),
                func.max(case((failed, _INSPECTIONS.c.block_time), else_=None)),
            )
            .select_from(held.join(_INSPECTIONS, _INSPECTIONS.c.batch_id == held.c.batch_id))
            .group_by(held.c.vendor)
        )
        tallies = {row[0]: row[1:] for row in conn.execute(counts)} if vendors else {}
    found = []
    for entry in stall_entries(engine, vendors):
        total, failed, last_failed = tallies.get(entry.address, (0, 0, None))
        found.append(
            StallOversight(
                stall=entry,
                inspections=int(total or 0),
                failed_inspections=int(failed or 0),
                last_failed_at=int(last_failed) if last_failed else None,
            )
        )
    # Stable: within one count of failures, the directory's order.
    return sorted(found, key=lambda o: -o.failed_inspections)
