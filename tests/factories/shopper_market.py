"""The demo market plus a merged, later quarantined greens lot, indexed into a database: what a
shopper's page is rendered from in tests.

On top of ``ledger.demo``'s scenario the greens farm harvests a second lot (with a harvest
photo), the wholesaler merges it with the demo's spare greens repack ``GV-2611-01-B``, the lab
passes the merged lot (with a report), Stall A12 sells from it, and a second test fails, which
quarantines the lot after the sale. Sales are found by GTIN, lot and serial, as a QR code names
them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text

from ledger import demo
from ledger.chain.freshledger import FreshLedgerContract, Residue, batch_id_of
from ledger.documents.cid import cid_of
from ledger.queries import chain_of_custody
from ledger.queries.views import CustodyChain
from tests.factories.demo_market import indexed_demo

SECOND_GREENS_LOT = "GV-2612-02"
MERGED_LOT = "GV-MIX-01"
HARVEST_PHOTO = b"JPEG stand-in: harvest of GV-2612-02, Green Valley Farm, field 3"
LAB_REPORT = b"PDF stand-in: test report CMA-2026-0417-0088, GV-MIX-01, passed"
FAILED_REPORT = b"PDF stand-in: test report CMA-2026-0417-0091, GV-MIX-01, chlorpyrifos over limit"
QUARANTINE_SUBSTANCE = "chlorpyrifos"


@dataclass(frozen=True)
class ShopperMarket:
    """An indexed market: sales by lot and serial, and their chains of custody."""

    engine: Engine
    ledger: FreshLedgerContract

    def sale_id(self, gtin: str, lot: str, serial: int) -> str | None:
        """The sale of `gtin` + `lot` numbered `serial`, as a QR code names it; None if unknown."""
        batch_id = "0x" + batch_id_of(gtin, lot).hex()
        with self.engine.connect() as conn:
            return conn.execute(
                text("SELECT sale_id FROM sales WHERE batch_id = :batch_id AND serial = :serial"),
                {"batch_id": batch_id, "serial": serial},
            ).scalar()

    def chain(self, gtin: str, lot: str, serial: int = 1) -> CustodyChain:
        """The chain of custody of a recorded sale."""
        sale_id = self.sale_id(gtin, lot, serial)
        if sale_id is None:
            raise LookupError(f"no sale {gtin}/{lot}/{serial}")
        return chain_of_custody(self.engine, sale_id)


def record_merged_greens(ledger: FreshLedgerContract) -> None:
    """After ``demo.record_scenario``: a second harvest merged with ``GV-2611-01-B``, sold, then failed."""
    who = demo.cast()
    now = int(time.time())
    second = (
        ledger.register_harvest(
            who.greens_farm,
            gtin=demo.GREENS_GTIN,
            lot=SECOND_GREENS_LOT,
            quantity=200,
            unit="KGM",
            harvested_at=now - 10 * demo.HOUR,
            origin="geo:30.2411,119.7302",
            document_cid=bytes(cid_of(HARVEST_PHOTO)),
        )
        .event("HarvestRegistered")
        .args["batchId"]
    )
    ledger.hand_off(who.greens_farm, second, who.wholesaler.address)
    ledger.accept_hand_off(who.wholesaler, second)
    spare = batch_id_of(demo.GREENS_GTIN, "GV-2611-01-B")
    merged = ledger.merge(who.wholesaler, [spare, second], MERGED_LOT).event("BatchesMerged").args["childId"]
    ledger.record_inspection(
        who.lab,
        merged,
        passed=True,
        residues=[Residue(QUARANTINE_SUBSTANCE, 12, 50), Residue("lead (Pb)", 35, 300)],
        report_cid=bytes(cid_of(LAB_REPORT)),
    )
    ledger.hand_off(who.wholesaler, merged, who.stall_a.address)
    ledger.accept_hand_off(who.stall_a, merged)
    ledger.record_sale(who.stall_a, merged, quantity=1, price=850, currency="CNY")
    ledger.record_inspection(
        who.lab,
        merged,
        passed=False,
        residues=[Residue(QUARANTINE_SUBSTANCE, 80, 50)],
        report_cid=bytes(cid_of(FAILED_REPORT)),
    )


@contextmanager
def shopper_market(kind: str, workdir: Path) -> Iterator[ShopperMarket]:
    """Record the demo and the merged lot on a fresh anvil and index them into a `kind` database."""
    with indexed_demo(kind, workdir, record_merged_greens) as (engine, ledger):
        yield ShopperMarket(engine, ledger)
