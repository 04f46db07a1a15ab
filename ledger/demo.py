"""A small market scenario recorded on the chain through the write path.

Two farms harvest leafy greens and strawberries; customs at Ningbo clears an importer's
durian; a wholesaler receives all three and repacks them for two stalls; the market lab
passes the greens and fails one strawberry lot (quarantined); the stalls sell; a regulator
recalls the failed strawberry lot and its parent. Recording is idempotent: the first
harvest's batch id tells whether this chain has the scenario already.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount

from ledger.chain.accounts import dev_account
from ledger.chain.client import TxResult
from ledger.chain.freshledger import FreshLedgerContract, Residue, batch_id_of
from ledger.errors import ContractRevert
from ledger.gs1 import make_gtin

GREENS_GTIN = make_gtin("0690123400001")
STRAWBERRY_GTIN = make_gtin("0690123400002")
DURIAN_GTIN = make_gtin("0885000000001")
HOUR = 3600


@dataclass(frozen=True)
class Cast:
    """Who is who on the local chain (development keys)."""

    authority: LocalAccount
    greens_farm: LocalAccount
    berry_farm: LocalAccount
    customs: LocalAccount
    importer: LocalAccount
    wholesaler: LocalAccount
    lab: LocalAccount
    stall_a: LocalAccount
    stall_b: LocalAccount
    regulator: LocalAccount


@dataclass(frozen=True)
class Step:
    """One recorded step, for the summary table."""

    action: str
    actor: str
    detail: str
    block: int | None
    gas: int | None
    outcome: str = "recorded"


def cast() -> Cast:
    return Cast(*(dev_account(i) for i in range(10)))


PARTICIPANTS = (
    # attribute, role, display name, GLN or licence number
    ("greens_farm", "SUPPLIER", "Green Valley Farm, Lin'an", "6901234000016"),
    ("berry_farm", "SUPPLIER", "Sunberry Farm, Jiande", "6901234000023"),
    ("customs", "CUSTOMS", "Ningbo Customs District", "CN-NGB-CUSTOMS-3100"),
    ("importer", "SUPPLIER", "Tropical Fruit Imports Ltd", "6901234000030"),
    ("wholesaler", "SUPPLIER", "West Lake Produce Wholesale", "6901234000047"),
    ("lab", "LAB", "Market On-site Food Safety Lab", "CMA-2026-0417"),
    ("stall_a", "VENDOR", "Stall A12 Fresh Greens (Wang Li)", "JY33010600012345"),
    ("stall_b", "VENDOR", "Stall B03 Fruit Corner (Chen Mei)", "JY33010600067890"),
    ("regulator", "REGULATOR", "Hangzhou Market Supervision Bureau", "SAMR-HZ-01"),
)


def greens_batch_id() -> bytes:
    return batch_id_of(GREENS_GTIN, "GV-2611-01")


def already_recorded(ledger: FreshLedgerContract) -> bool:
    return ledger.batch(greens_batch_id()).status != "none"


def record_scenario(ledger: FreshLedgerContract, on_step: Callable[[Step], None] | None = None) -> list[Step]:
    """Record the scenario; return the steps (one per transaction or expected refusal)."""
    who = cast()
    steps: list[Step] = []

    def note(action: str, actor: str, detail: str, result: TxResult) -> TxResult:
        step = Step(action, actor, detail, result.block_number, result.gas_used)
        steps.append(step)
        if on_step:
            on_step(step)
        return result

    for attribute, role, name, identifier in PARTICIPANTS:
        account = getattr(who, attribute)
        note(
            "register participant",
            "market authority",
            f"{name} as {role.lower()}",
            ledger.register_participant(who.authority, account.address, role, name, identifier),
        )

    now = int(time.time())
    greens = (
        note(
            "register harvest",
            "Green Valley Farm",
            "leafy greens GV-2611-01, 400 kg",
            ledger.register_harvest(
                who.greens_farm,
                gtin=GREENS_GTIN,
                lot="GV-2611-01",
                quantity=400,
                unit="KGM",
                harvested_at=now - 20 * HOUR,
                origin="geo:30.2336,119.7248",
            ),
        )
        .event("HarvestRegistered")
        .args["batchId"]
    )
    berries = (
        note(
            "register harvest",
            "Sunberry Farm",
            "strawberries SB-2611-07, 120 kg",
            ledger.register_harvest(
                who.berry_farm,
                gtin=STRAWBERRY_GTIN,
                lot="SB-2611-07",
                quantity=120,
                unit="KGM",
                harvested_at=now - 18 * HOUR,
                origin="6901234000023",
            ),
        )
        .event("HarvestRegistered")
        .args["batchId"]
    )
    declaration = b"Customs declaration 310120261000123456: 300 kg durian (Monthong), origin TH, cleared Ningbo"
    durian = (
        note(
            "register import",
            "Ningbo Customs",
            "durian TH-DUR-0931, 300 kg, declaration 310120261000123456",
            ledger.register_import(
                who.customs,
                gtin=DURIAN_GTIN,
                lot="TH-DUR-0931",
                quantity=300,
                unit="KGM",
                importer=who.importer.address,
                origin_country="TH",
                declaration_number="310120261000123456",
                cleared_at=now - 30 * HOUR,
                entry_port="CNNGB",
                document_cid=_raw_cid(declaration),
            ),
        )
        .event("ImportRegistered")
        .args["batchId"]
    )

    for batch_id, sender, name in (
        (greens, who.greens_farm, "Green Valley Farm"),
        (berries, who.berry_farm, "Sunberry Farm"),
        (durian, who.importer, "Tropical Fruit Imports"),
    ):
        note(
            "hand off",
            name,
            "to West Lake Produce Wholesale",
            ledger.hand_off(sender, batch_id, who.wholesaler.address),
        )
        note(
            "accept hand-off",
            "West Lake Produce Wholesale",
            f"from {name}",
            ledger.accept_hand_off(who.wholesaler, batch_id),
        )

    greens_parts = note(
        "split",
        "West Lake Produce Wholesale",
        "greens into 2 x 50 kg",
        ledger.split(who.wholesaler, greens, [("GV-2611-01-A", 50), ("GV-2611-01-B", 50)]),
    )
    greens_a = greens_parts.events_named("BatchSplit")[0].args["childId"]
    berry_parts = note(
        "split",
        "West Lake Produce Wholesale",
        "strawberries into 2 x 20 kg",
        ledger.split(who.wholesaler, berries, [("SB-2611-07-A", 20), ("SB-2611-07-B", 20)]),
    )
    berries_a, berries_b = (e.args["childId"] for e in berry_parts.events_named("BatchSplit"))
    durian_parts = note(
        "split",
        "West Lake Produce Wholesale",
        "durian into 1 x 30 kg",
        ledger.split(who.wholesaler, durian, [("TH-DUR-0931-A", 30)]),
    )
    durian_b = durian_parts.event("BatchSplit").args["childId"]

    note(
        "inspect",
        "Market lab",
        "greens A: chlorpyrifos 4 / 50 ug/kg, lead 20 / 300 ug/kg, passed",
        ledger.record_inspection(
            who.lab, greens_a, passed=True, residues=[Residue("chlorpyrifos", 4, 50), Residue("lead (Pb)", 20, 300)]
        ),
    )
    note(
        "inspect",
        "Market lab",
        "strawberries A: procymidone 9 / 10 ug/kg, passed",
        ledger.record_inspection(who.lab, berries_a, passed=True, residues=[Residue("procymidone", 9, 10)]),
    )
    note(
        "inspect",
        "Market lab",
        "strawberries B: carbofuran 37 / 20 ug/kg, FAILED -> quarantined",
        ledger.record_inspection(who.lab, berries_b, passed=False, residues=[Residue("carbofuran", 37, 20)]),
    )

    for batch_id, stall, stall_name, lot in (
        (greens_a, who.stall_a, "Stall A12", "GV-2611-01-A"),
        (berries_a, who.stall_b, "Stall B03", "SB-2611-07-A"),
        (durian_b, who.stall_b, "Stall B03", "TH-DUR-0931-A"),
    ):
        note(
            "hand off",
            "West Lake Produce Wholesale",
            f"{lot} to {stall_name}",
            ledger.hand_off(who.wholesaler, batch_id, stall.address),
        )
        note("accept hand-off", stall_name, lot, ledger.accept_hand_off(stall, batch_id))

    for quantity, price in ((2, 1200), (1, 600), (3, 1800)):
        note(
            "sale",
            "Stall A12",
            f"{quantity} kg greens for CNY {price / 100:.2f}",
            ledger.record_sale(who.stall_a, greens_a, quantity=quantity, price=price, currency="CNY"),
        )
    note(
        "sale",
        "Stall B03",
        "1 kg strawberries for CNY 38.00",
        ledger.record_sale(who.stall_b, berries_a, quantity=1, price=3800, currency="CNY"),
    )
    note(
        "sale",
        "Stall B03",
        "2 kg durian for CNY 136.00",
        ledger.record_sale(who.stall_b, durian_b, quantity=2, price=13600, currency="CNY"),
    )

    try:
        ledger.hand_off(who.wholesaler, berries_b, who.stall_b.address)
    except ContractRevert as refusal:
        step = Step(
            "hand off",
            "West Lake Produce Wholesale",
            "SB-2611-07-B to Stall B03",
            None,
            None,
            outcome=f"refused by the contract: {refusal.name}",
        )
        steps.append(step)
        if on_step:
            on_step(step)

    note(
        "recall",
        "Market Supervision Bureau",
        "strawberry lot SB-2611-07 and its repacks: carbofuran over limit",
        ledger.recall(
            who.regulator,
            [berries, berries_a, berries_b],
            "Carbofuran residue 37 ug/kg over the 20 ug/kg limit in SB-2611-07-B",
        ),
    )
    return steps


@dataclass(frozen=True)
class BatchRow:
    gtin: str
    lot: str
    status: str
    remaining: int
    unit: str
    custodian: str
    sales: int


DEMO_LOTS = (
    (GREENS_GTIN, "GV-2611-01"),
    (GREENS_GTIN, "GV-2611-01-A"),
    (GREENS_GTIN, "GV-2611-01-B"),
    (STRAWBERRY_GTIN, "SB-2611-07"),
    (STRAWBERRY_GTIN, "SB-2611-07-A"),
    (STRAWBERRY_GTIN, "SB-2611-07-B"),
    (DURIAN_GTIN, "TH-DUR-0931"),
    (DURIAN_GTIN, "TH-DUR-0931-A"),
)


def batch_overview(ledger: FreshLedgerContract) -> list[BatchRow]:
    """The scenario's batches as the contract holds them now, custodians by name."""
    who = cast()
    names = {getattr(who, attribute).address: name for attribute, _, name, _ in PARTICIPANTS}
    rows = []
    for gtin, lot in DEMO_LOTS:
        state = ledger.batch(batch_id_of(gtin, lot))
        custodian = names.get(state.custodian, state.custodian)
        rows.append(BatchRow(gtin, lot, state.status, state.remaining, state.unit, custodian, state.sale_count))
    return rows


def _raw_cid(document: bytes) -> bytes:
    """Binary CIDv1 (raw codec, sha2-256) of a document of at most one 256 KiB block."""
    return bytes([0x01, 0x55, 0x12, 0x20]) + hashlib.sha256(document).digest()
