"""Builders for a test market: who holds which role, and batches in a given state."""

from __future__ import annotations

import hashlib
import itertools
import time
from dataclasses import dataclass
from typing import NamedTuple

from eth_account.signers.local import LocalAccount

from ledger.chain.accounts import dev_account
from ledger.chain.events import ChainEvent
from ledger.chain.freshledger import FreshLedgerContract, Residue
from ledger.gs1 import make_gtin

GTIN = make_gtin("0690123400001")
OTHER_GTIN = make_gtin("0690123400002")
_lots = itertools.count(1)


@dataclass(frozen=True)
class Market:
    """One registered participant per role, a second supplier and vendor, and an outsider."""

    ledger: FreshLedgerContract
    admin: LocalAccount
    supplier: LocalAccount
    supplier2: LocalAccount
    customs: LocalAccount
    lab: LocalAccount
    vendor: LocalAccount
    vendor2: LocalAccount
    regulator: LocalAccount
    outsider: LocalAccount

    def by_role(self, role: str) -> LocalAccount:
        """The participant holding `role` (SUPPLIER, CUSTOMS, LAB, VENDOR, REGULATOR)."""
        return {
            "SUPPLIER": self.supplier,
            "CUSTOMS": self.customs,
            "LAB": self.lab,
            "VENDOR": self.vendor,
            "REGULATOR": self.regulator,
        }[role]


MEMBERS = (
    ("supplier", "SUPPLIER", "Green Valley Farm", "6901234000016"),
    ("supplier2", "SUPPLIER", "West Lake Wholesale", "6901234000047"),
    ("customs", "CUSTOMS", "Ningbo Customs", "CN-NGB-3100"),
    ("lab", "LAB", "Market Lab", "CMA-2026-0417"),
    ("vendor", "VENDOR", "Stall A12", "JY33010600012345"),
    ("vendor2", "VENDOR", "Stall B03", "JY33010600067890"),
    ("regulator", "REGULATOR", "Market Supervision Bureau", "SAMR-HZ-01"),
)


def register_market(ledger: FreshLedgerContract) -> Market:
    accounts = {
        "admin": dev_account(0),
        "supplier": dev_account(1),
        "supplier2": dev_account(2),
        "customs": dev_account(3),
        "lab": dev_account(4),
        "vendor": dev_account(5),
        "vendor2": dev_account(6),
        "regulator": dev_account(7),
        "outsider": dev_account(8),
    }
    for attribute, role, name, identifier in MEMBERS:
        ledger.register_participant(accounts["admin"], accounts[attribute].address, role, name, identifier)
    return Market(ledger=ledger, **accounts)


def new_lot(prefix: str = "LOT") -> str:
    """A lot code not used before in this test session."""
    return f"{prefix}-{next(_lots):05d}"


def document_cid(content: bytes) -> bytes:
    """Binary CIDv1 (raw, sha2-256) of a small document."""
    return bytes([0x01, 0x55, 0x12, 0x20]) + hashlib.sha256(content).digest()


def harvest(
    market: Market,
    *,
    quantity: int = 100,
    gtin: str = GTIN,
    lot: str | None = None,
    supplier: LocalAccount | None = None,
) -> bytes:
    """Register a harvest and return its batch id."""
    result = market.ledger.register_harvest(
        supplier or market.supplier,
        gtin=gtin,
        lot=lot or new_lot("H"),
        quantity=quantity,
        unit="KGM",
        harvested_at=int(time.time()) - 3600,
        origin="geo:30.2336,119.7248",
        document_cid=document_cid(b"harvest photo"),
    )
    return result.event("HarvestRegistered").args["batchId"]


def deliver(market: Market, batch_id: bytes, sender: LocalAccount, recipient: LocalAccount) -> None:
    """Hand `batch_id` from `sender` to `recipient` and accept it."""
    market.ledger.hand_off(sender, batch_id, recipient.address)
    market.ledger.accept_hand_off(recipient, batch_id)


def at_stall(market: Market, *, quantity: int = 100) -> bytes:
    """A harvested batch delivered to the vendor."""
    batch_id = harvest(market, quantity=quantity)
    deliver(market, batch_id, market.supplier, market.vendor)
    return batch_id


def quarantined(market: Market) -> bytes:
    """A batch at the supplier that failed its residue test."""
    batch_id = harvest(market)
    market.ledger.record_inspection(market.lab, batch_id, passed=False, residues=[Residue("carbofuran", 37, 20)])
    return batch_id


class Diamond(NamedTuple):
    """A lineage that splits and merges back, then runs deep: `root` split into `left` and
    `right` (40 each), the two merged into `joined`, repacked into a lot a generation until
    `tip`, which the vendor sold (`sale`, the SaleRecorded event)."""

    root: bytes
    left: bytes
    right: bytes
    joined: bytes
    tip: bytes
    sale: ChainEvent


def record_diamond(market: Market, generations: int) -> Diamond:
    """Record a :class:`Diamond` whose `tip` is `generations` repackings below `joined`."""
    ledger = market.ledger
    root = harvest(market, quantity=100)
    left, right = (
        e.args["childId"]
        for e in ledger.split(market.supplier, root, [(new_lot(), 40), (new_lot(), 40)]).events_named("BatchSplit")
    )
    joined = ledger.merge(market.supplier, [left, right], new_lot()).event("BatchesMerged").args["childId"]
    tip = joined
    for _ in range(generations):
        tip = ledger.split(market.supplier, tip, [(new_lot(), 1)]).event("BatchSplit").args["childId"]
    deliver(market, tip, market.supplier, market.vendor)
    sale = ledger.record_sale(market.vendor, tip, quantity=1, price=100, currency="CNY").event("SaleRecorded")
    return Diamond(root, left, right, joined, tip, sale)
