"""The nine measured life-cycle steps and the realistic inputs every contract under test gets.

One market day in miniature: a farm harvests leafy greens, customs clears an importer's
durian, the farm ships the greens to a wholesaler, who repacks them into two crates, merges
one crate with the farm's next lot, has the other inspected and sells it through a stall;
a regulator recalls the durian. Each contract is driven through a :class:`LifeCycle`
adapter, so both receive the same values in the same order; the gas of the nine measured
transactions is taken from their receipts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from eth_account.signers.local import LocalAccount

from ledger.chain.accounts import dev_account
from ledger.chain.client import TxResult
from ledger.chain.freshledger import Residue, batch_id_of
from ledger.gs1 import make_gtin

#: The measured steps, in the order they run and appear in the report.
STEPS = (
    "register_harvest",
    "register_import",
    "hand_off",
    "accept_hand_off",
    "split_2",
    "merge_2",
    "record_inspection",
    "record_sale",
    "recall_1",
)

HOUR = 3600
GREENS_GTIN = make_gtin("0690123400001")  # 06901234000016
DURIAN_GTIN = make_gtin("0885000000001")  # 08850000000010
GREENS_LOT = "GV-2611-01"
GREENS_LOT_A = "GV-2611-01-A"
GREENS_LOT_B = "GV-2611-01-B"
GREENS_NEXT_LOT = "GV-2611-02"
MERGED_LOT = "GV-2611-M01"
DURIAN_LOT = "TH-DUR-0931"
ORIGIN = "geo:30.2336,119.7248"
RESIDUES = (Residue("chlorpyrifos", 4, 50), Residue("lead (Pb)", 20, 300))
SALE_REFERENCE = "A12-20261104-0001"
RECALL_REASON = "Listeria monocytogenes found in the importer's test of TH-DUR-0931"


def document_cid(document: bytes) -> bytes:
    """Binary CIDv1 (raw codec, sha2-256) of `document`: 36 bytes."""
    return bytes([0x01, 0x55, 0x12, 0x20]) + hashlib.sha256(document).digest()


HARVEST_CID = document_cid(b"Harvest record GV-2611-01: leafy greens, 400 kg, plot 7, Green Valley Farm")
NEXT_HARVEST_CID = document_cid(b"Harvest record GV-2611-02: leafy greens, 120 kg, plot 9, Green Valley Farm")
IMPORT_CID = document_cid(b"Customs declaration 310120261000123456: 300 kg durian (Monthong), origin TH")
REPORT_CID = document_cid(b"Lab report CMA-2026-0417-0815: GV-2611-01-A, 2 residues within limits")


@dataclass(frozen=True)
class Cast:
    """The participants (development keys of the local chain)."""

    authority: LocalAccount
    farm: LocalAccount
    customs: LocalAccount
    importer: LocalAccount
    wholesaler: LocalAccount
    lab: LocalAccount
    vendor: LocalAccount
    regulator: LocalAccount


def cast() -> Cast:
    """Accounts 0-7 of the development mnemonic, authority first."""
    return Cast(*(dev_account(i) for i in range(8)))


#: attribute of :class:`Cast`, role, display name, GLN or licence number
PARTICIPANTS = (
    ("farm", "SUPPLIER", "Green Valley Farm, Lin'an", "6901234000015"),
    ("customs", "CUSTOMS", "Ningbo Customs District", "CN-NGB-CUSTOMS-3100"),
    ("importer", "SUPPLIER", "Tropical Fruit Imports Ltd", "6901234000039"),
    ("wholesaler", "SUPPLIER", "West Lake Produce Wholesale", "6901234000046"),
    ("lab", "LAB", "Market On-site Food Safety Lab", "CMA-2026-0417"),
    ("vendor", "VENDOR", "Stall A12 Fresh Greens (Wang Li)", "JY33010600012345"),
    ("regulator", "REGULATOR", "Hangzhou Market Supervision Bureau", "SAMR-HZ-01"),
)


@dataclass(frozen=True)
class BatchSummary:
    """What both contracts can tell about a batch: status name, what is left, who holds it."""

    status: str
    remaining: int
    custodian: str


class LifeCycle(Protocol):
    """One contract under test, driven with plain Python values (see ledger.chain.freshledger)."""

    name: str

    def register_participant(
        self, admin: LocalAccount, account: str, role: str, name: str, identifier: str
    ) -> TxResult: ...

    def register_harvest(
        self,
        supplier: LocalAccount,
        *,
        gtin: str,
        lot: str,
        quantity: int,
        unit: str,
        harvested_at: int,
        origin: str,
        document_cid: bytes,
    ) -> TxResult: ...

    def register_import(
        self,
        customs: LocalAccount,
        *,
        gtin: str,
        lot: str,
        quantity: int,
        unit: str,
        importer: str,
        origin_country: str,
        hs_code: str,
        declaration_number: str,
        cleared_at: int,
        entry_port: str,
        document_cid: bytes,
    ) -> TxResult: ...

    def hand_off(self, sender: LocalAccount, batch_id: bytes, to: str) -> TxResult: ...

    def accept_hand_off(self, recipient: LocalAccount, batch_id: bytes) -> TxResult: ...

    def split(self, custodian: LocalAccount, parent_id: bytes, parts: Sequence[tuple[str, int]]) -> TxResult: ...

    def merge(self, custodian: LocalAccount, parent_ids: Sequence[bytes], lot: str) -> TxResult: ...

    def record_inspection(
        self, lab: LocalAccount, batch_id: bytes, *, passed: bool, residues: Sequence[Residue], report_cid: bytes
    ) -> TxResult: ...

    def record_sale(
        self, vendor: LocalAccount, batch_id: bytes, *, reference: str, quantity: int, price: int, currency: str
    ) -> TxResult: ...

    def recall(self, regulator: LocalAccount, batch_ids: Sequence[bytes], reason: str) -> TxResult: ...

    def summary(self, batch_id: bytes) -> BatchSummary: ...


def run(contract: LifeCycle, who: Cast, now: int) -> dict[str, int]:
    """Drive `contract` through the scenario; return the gas used by each measured step.

    `now` is a recent block timestamp (dates are set hours before it). Unmeasured setup
    transactions (participants, a second harvest, the hand-offs that bring batches where
    the next step needs them) run in between. The batches' final states are checked, so a
    step that did less than it should cannot pass for a cheap one.
    """
    for attribute, role, name, identifier in PARTICIPANTS:
        contract.register_participant(who.authority, getattr(who, attribute).address, role, name, identifier)
    greens = batch_id_of(GREENS_GTIN, GREENS_LOT)
    greens_a = batch_id_of(GREENS_GTIN, GREENS_LOT_A)
    greens_b = batch_id_of(GREENS_GTIN, GREENS_LOT_B)
    greens_next = batch_id_of(GREENS_GTIN, GREENS_NEXT_LOT)
    merged = batch_id_of(GREENS_GTIN, MERGED_LOT)
    durian = batch_id_of(DURIAN_GTIN, DURIAN_LOT)
    gas: dict[str, int] = {}

    gas["register_harvest"] = contract.register_harvest(
        who.farm,
        gtin=GREENS_GTIN,
        lot=GREENS_LOT,
        quantity=400,
        unit="KGM",
        harvested_at=now - 20 * HOUR,
        origin=ORIGIN,
        document_cid=HARVEST_CID,
    ).gas_used
    gas["register_import"] = contract.register_import(
        who.customs,
        gtin=DURIAN_GTIN,
        lot=DURIAN_LOT,
        quantity=300,
        unit="KGM",
        importer=who.importer.address,
        origin_country="TH",
        hs_code="08106000",
        declaration_number="310120261000123456",
        cleared_at=now - 30 * HOUR,
        entry_port="CNNGB",
        document_cid=IMPORT_CID,
    ).gas_used
    gas["hand_off"] = contract.hand_off(who.farm, greens, who.wholesaler.address).gas_used
    gas["accept_hand_off"] = contract.accept_hand_off(who.wholesaler, greens).gas_used
    gas["split_2"] = contract.split(who.wholesaler, greens, [(GREENS_LOT_A, 50), (GREENS_LOT_B, 50)]).gas_used

    # Setup: the farm's next lot of the same greens reaches the wholesaler.
    contract.register_harvest(
        who.farm,
        gtin=GREENS_GTIN,
        lot=GREENS_NEXT_LOT,
        quantity=120,
        unit="KGM",
        harvested_at=now - 8 * HOUR,
        origin=ORIGIN,
        document_cid=NEXT_HARVEST_CID,
    )
    contract.hand_off(who.farm, greens_next, who.wholesaler.address)
    contract.accept_hand_off(who.wholesaler, greens_next)
    gas["merge_2"] = contract.merge(who.wholesaler, [greens_b, greens_next], MERGED_LOT).gas_used

    gas["record_inspection"] = contract.record_inspection(
        who.lab, greens_a, passed=True, residues=RESIDUES, report_cid=REPORT_CID
    ).gas_used

    # Setup: the inspected crate goes to the stall.
    contract.hand_off(who.wholesaler, greens_a, who.vendor.address)
    contract.accept_hand_off(who.vendor, greens_a)
    gas["record_sale"] = contract.record_sale(
        who.vendor, greens_a, reference=SALE_REFERENCE, quantity=2, price=1200, currency="CNY"
    ).gas_used

    gas["recall_1"] = contract.recall(who.regulator, [durian], RECALL_REASON).gas_used

    expected = {
        greens: BatchSummary("active", 300, who.wholesaler.address),
        greens_a: BatchSummary("active", 48, who.vendor.address),
        greens_b: BatchSummary("sold_out", 0, who.wholesaler.address),
        greens_next: BatchSummary("sold_out", 0, who.wholesaler.address),
        merged: BatchSummary("active", 170, who.wholesaler.address),
        durian: BatchSummary("recalled", 300, who.importer.address),
    }
    for batch_id, want in expected.items():
        got = contract.summary(batch_id)
        if got != want:
            raise AssertionError(f"{contract.name}: batch 0x{batch_id.hex()} is {got}, expected {want}")
    return {step: gas[step] for step in STEPS}
