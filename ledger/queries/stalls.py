"""``stall_profile(address)``: what the screen above a market stall shows."""

from __future__ import annotations

from sqlalchemy import Engine, select

from ledger.errors import NotFound
from ledger.queries.rows import Parties, as_of_block, batch_rows, batch_view, sale_view
from ledger.queries.views import InspectionView, StallProfile
from ledger.store import models
from ledger.vocabulary import Residue

_PARTICIPANTS = models.Participant.__table__
_BATCHES = models.Batch.__table__
_INSPECTIONS = models.Inspection.__table__
_RESIDUES = models.Residue.__table__
_SALES = models.Sale.__table__


def stall_profile(engine: Engine, address: str, *, recent: int = 20) -> StallProfile:
    """The vendor, its licence, current stock, recent inspections of its stock and recent
    sales; raises :class:`NotFound` for an address that is not a participant."""
    with engine.connect() as conn:
        vendor = conn.execute(select(_PARTICIPANTS).where(_PARTICIPANTS.c.address == address)).mappings().first()
        if vendor is None:
            raise NotFound(f"no participant {address}")
        stock_rows = list(
            conn.execute(
                select(_BATCHES)
                .where(_BATCHES.c.custodian == address, _BATCHES.c.remaining > 0)
                .order_by(_BATCHES.c.created_block.desc())
            ).mappings()
        )
        stock_ids = [row["batch_id"] for row in stock_rows]
        inspections = list(
            conn.execute(
                select(_INSPECTIONS)
                .where(_INSPECTIONS.c.batch_id.in_(stock_ids))
                .order_by(_INSPECTIONS.c.block_number.desc(), _INSPECTIONS.c.log_index.desc())
                .limit(recent)
            ).mappings()
        )
        residues: dict[tuple[int, int], list[Residue]] = {}
        if inspections:
            keys = {(i["block_number"], i["log_index"]) for i in inspections}
            query = select(_RESIDUES).where(_RESIDUES.c.batch_id.in_([i["batch_id"] for i in inspections]))
            for r in conn.execute(query.order_by(_RESIDUES.c.position)).mappings():
                if (r["block_number"], r["log_index"]) in keys:
                    residues.setdefault((r["block_number"], r["log_index"]), []).append(Residue.from_row(r))
        sales = list(
            conn.execute(
                select(_SALES)
                .where(_SALES.c.vendor == address)
                .order_by(_SALES.c.block_number.desc(), _SALES.c.log_index.desc())
                .limit(recent)
            ).mappings()
        )
        batches = {row["batch_id"]: row for row in stock_rows}
        batches.update(batch_rows(conn, [s["batch_id"] for s in sales if s["batch_id"] not in batches]))
        parties = Parties(conn, [address, *(i["lab"] for i in inspections)])
        return StallProfile(
            vendor=parties[address],
            roles=int(vendor["roles"]),
            suspended=bool(vendor["suspended"]),
            stock=[batch_view(row, parties) for row in stock_rows],
            recent_inspections=[
                InspectionView(
                    batch_id=i["batch_id"],
                    lot=batches[i["batch_id"]]["lot"],
                    lab=parties[i["lab"]],
                    passed=bool(i["passed"]),
                    time=int(i["block_time"]),
                    block_number=int(i["block_number"]),
                    residues=residues.get((i["block_number"], i["log_index"]), []),
                    report_cid=i["report_cid"],
                )
                for i in inspections
            ],
            recent_sales=[sale_view(s, batches[s["batch_id"]], parties) for s in sales],
            as_of_block=as_of_block(conn),
        )
