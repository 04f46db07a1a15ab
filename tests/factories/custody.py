"""Chains of custody built by hand, step by step, for unit tests of pure page logic (lineage
layout, escaping, banners) on shapes the demo market does not have: diamonds, wide merges,
hostile names. Pages are also tested on real indexed chains (``shopper_market``)."""

from __future__ import annotations

import hashlib
from typing import Any

from ledger.queries.views import BatchView, CustodyChain, Origin, Party, SaleView, TimelineEvent
from ledger.vocabulary import Residue

START = 1_795_600_000  # 2026-11-25 (UTC): a fixed clock, so renders compare equal


def party(name: str, identifier: str | None = None) -> Party:
    address = "0x" + hashlib.sha256(name.encode()).hexdigest()[:40]
    return Party(address, name, identifier)


class ChainBuilder:
    """Records steps in chain order; ``sell`` returns the sale's ``CustodyChain``."""

    def __init__(self, gtin: str = "06901234000016", unit: str = "KGM") -> None:
        self.gtin, self.unit = gtin, unit
        self.events: list[TimelineEvent] = []
        self.origins: list[Origin] = []
        self.lots: dict[str, str] = {}
        self._block = 100

    def batch_id(self, lot: str) -> str:
        return "0x" + hashlib.sha256(lot.encode()).hexdigest()

    def harvest(
        self, lot: str, farm: Party, quantity: int, origin: str = "geo:30.2336,119.7248", cid: str | None = None
    ) -> str:
        batch = self._new(lot)
        details = {
            "quantity": quantity,
            "unit": self.unit,
            "harvested_at": START - 3600,
            "origin": origin,
            "document_cid": cid,
        }
        self._event("harvested", batch, farm, **details)
        self.origins.append(
            Origin(
                "harvest",
                batch,
                self.gtin,
                lot,
                farm,
                START - 3600,
                origin,
                {"document_cid": cid, "quantity": quantity, "unit": self.unit},
            )
        )
        return batch

    def imported(
        self, lot: str, importer: Party, customs: Party, quantity: int, country: str = "TH", cid: str | None = None
    ) -> str:
        batch = self._new(lot)
        details = {
            "origin_country": country,
            "declaration_number": "310120261000123456",
            "cleared_at": START - 7200,
            "entry_port": "CNNGB",
            "document_cid": cid,
            "quantity": quantity,
            "unit": self.unit,
        }
        self._event("imported", batch, customs, importer, **details)
        self.origins.append(
            Origin("import", batch, self.gtin, lot, importer, START - 7200, f"{country} via CNNGB", details)
        )
        return batch

    def hand_off(self, batch: str, sender: Party, recipient: Party, quantity: int) -> None:
        self._event("shipped", batch, sender, recipient, quantity=quantity)
        self._event("received", batch, sender, recipient, quantity=quantity)

    def split(self, parent: str, lot: str, quantity: int, by: Party) -> str:
        child = self._new(lot)
        self._event("split", child, by, parent_id=parent, quantity=quantity, parent_lot=self.lots[parent])
        return child

    def merge(self, parents: list[tuple[str, int]], lot: str, by: Party) -> str:
        child = self._new(lot)
        tx = self._tx()
        for parent, quantity in parents:
            self._event("merged", child, by, tx=tx, parent_id=parent, quantity=quantity, parent_lot=self.lots[parent])
        return child

    def inspect(self, batch: str, lab: Party, residues: list[Residue], cid: str | None = None) -> None:
        passed = not any(r.exceeded for r in residues)
        self._event("inspected", batch, lab, passed=passed, residues=residues, report_cid=cid)

    def release(self, batch: str, regulator: Party, reason: str) -> None:
        self._event("released", batch, regulator, reason=reason)

    def recall(self, batches: list[str], regulator: Party, reason: str) -> None:
        tx = self._tx()
        for batch in batches:
            self._event("recalled", batch, regulator, tx=tx, reason=reason)

    def sell(
        self, batch: str, vendor: Party, quantity: int, price: int, currency: str = "CNY", status: str = "active"
    ) -> CustodyChain:
        sold = self._event(
            "sold", batch, vendor, quantity=quantity, unit=self.unit, price=price, currency=currency, serial=1
        )
        sale = SaleView(
            "0x" + "5a" * 32,
            1,
            batch,
            self.gtin,
            self.lots[batch],
            vendor,
            quantity,
            self.unit,
            price,
            currency,
            sold.time,
            sold.block_number,
            sold.tx_hash,
        )
        view = BatchView(
            batch,
            self.gtin,
            self.lots[batch],
            self.unit,
            100,
            100 - quantity,
            status,
            vendor,
            None,
            "split",
            START,
            100,
        )
        alerts = [e for e in self.events if e.kind == "recalled" or (e.kind == "inspected" and not e.details["passed"])]
        return CustodyChain(sale, view, list(self.origins), list(self.events), alerts, self._block)

    def _new(self, lot: str) -> str:
        batch = self.batch_id(lot)
        self.lots[batch] = lot
        return batch

    def _tx(self) -> str:
        self._block += 1
        return "0x" + hashlib.sha256(str(self._block).encode()).hexdigest()

    def _event(
        self,
        kind: str,
        batch: str,
        actor: Party,
        counterparty: Party | None = None,
        tx: str | None = None,
        **details: Any,
    ) -> TimelineEvent:
        tx = tx or self._tx()
        event = TimelineEvent(
            kind=kind,
            batch_id=batch,
            lot=self.lots[batch],
            block_number=self._block,
            log_index=len(self.events),
            time=START + self._block * 60,
            tx_hash=tx,
            actor=actor,
            counterparty=counterparty,
            details=details,
        )
        self.events.append(event)
        return event
