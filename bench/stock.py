"""A stall stocked for a write benchmark: FreshLedger deployed on a fresh node, a farm and a
stall registered, and one lot so large (10**12 kg) that no run sells it out, handed over and
accepted."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from eth_account.signers.local import LocalAccount

from ledger.chain.accounts import dev_account
from ledger.chain.client import ChainClient
from ledger.chain.deploy import Deployment, deploy, save
from ledger.chain.freshledger import FreshLedgerContract
from ledger.gs1 import make_gtin

GTIN = make_gtin("0690123400099")
STOCK = 10**12


def stocked_stall(
    ledger: FreshLedgerContract, authority: LocalAccount, farm: LocalAccount, vendor: LocalAccount, lot: str
) -> bytes:
    """Register `farm` and `vendor`, harvest `lot` of :data:`STOCK` kg and put it in the
    stall's custody; the lot's batch id."""
    ledger.register_participant(authority, farm.address, "SUPPLIER", "Farm", "6901234000016")
    ledger.register_participant(authority, vendor.address, "VENDOR", "Stall", "JY33010600012345")
    harvest = ledger.register_harvest(
        farm,
        gtin=GTIN,
        lot=lot,
        quantity=STOCK,
        unit="KGM",
        harvested_at=int(time.time()) - 60,
        origin="geo:30,120",
    )
    batch: bytes = harvest.event("HarvestRegistered").args["batchId"]
    ledger.hand_off(farm, batch, vendor.address)
    ledger.accept_hand_off(vendor, batch)
    return batch


@dataclass(frozen=True)
class StockedStall:
    ledger: FreshLedgerContract
    deployment: Deployment
    vendor: LocalAccount
    batch: bytes


def deployed_stall(rpc_url: str, lot: str, data_dir: Path | None = None) -> StockedStall:
    """FreshLedger deployed on the node at `rpc_url` by dev account 0 (its deployment saved
    in `data_dir`, where an API finds it), and dev account 2's stall stocked with `lot` from
    dev account 1's farm (:func:`stocked_stall`)."""
    chain = ChainClient(rpc_url)
    authority, farm, vendor = dev_account(0), dev_account(1), dev_account(2)
    deployment = deploy(chain, authority)
    if data_dir is not None:
        save(deployment, data_dir)
    ledger = FreshLedgerContract(chain, deployment.address)
    return StockedStall(ledger, deployment, vendor, stocked_stall(ledger, authority, farm, vendor, lot))
