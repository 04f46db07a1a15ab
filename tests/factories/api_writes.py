"""Builders for the write endpoints' tests, all through the API on a real chain: bodies,
batches in a given state (held, in transit, at a stall, quarantined), transactions a
participant signs itself, and the chain's block number (to prove nothing was sent)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from eth_account.signers.local import LocalAccount

from ledger.chain.node import rpc
from tests.api.conftest import Market
from tests.factories.market import GTIN, OTHER_GTIN

__all__ = [
    "GTIN",
    "OTHER_GTIN",
    "Stage",
    "ago",
    "block_number",
    "deliver",
    "fail_inspection",
    "hand_off",
    "harvest",
    "new_lot",
    "send_to_node",
    "sign_call",
    "stage_writes",
]

_lots = itertools.count(1)

#: Enough gas for any single life-cycle call; a forged transaction sent straight to the node
#: cannot be estimated (the estimate reverts), so it carries a fixed limit.
FORGED_GAS = 500_000


def new_lot(prefix: str = "EP") -> str:
    """A lot code no other test of the module uses (GS1 AI 10: at most 20 characters)."""
    return f"{prefix}-{next(_lots):05d}"


def ago(hours: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours)).isoformat()


def block_number(m: Market) -> int:
    return int(str(rpc(m.rpc_url, "eth_blockNumber")), 16)


def harvest(m: Market, key: str, *, quantity: int = 100, gtin: str = GTIN, lot: str | None = None) -> str:
    """Register a harvest through the API; return its batch id."""
    body = {
        "gtin": gtin,
        "lot": lot or new_lot(),
        "quantity": quantity,
        "unit": "KGM",
        "harvested_at": ago(5),
        "origin": "geo:30.2336,119.7248",
    }
    answer = m.client.post("/harvests", json=body, headers=m.auth(key))
    assert answer.status_code == 201, answer.text
    return answer.json()["batch_ids"][0]


def hand_off(m: Market, batch_id: str, sender_key: str, to: str) -> None:
    answer = m.client.post(f"/batches/{batch_id}/handoff", json={"to": to}, headers=m.auth(sender_key))
    assert answer.status_code == 200, answer.text


def deliver(m: Market, batch_id: str, sender: tuple[str, str], recipient: tuple[str, str]) -> None:
    """Hand `batch_id` from `sender` to `recipient` ((address, key) pairs) and accept it."""
    hand_off(m, batch_id, sender[1], recipient[0])
    answer = m.client.post(f"/batches/{batch_id}/accept", headers=m.auth(recipient[1]))
    assert answer.status_code == 200, answer.text


def fail_inspection(m: Market, lab_key: str, batch_id: str) -> str:
    """A residue test over its limit: the batch is quarantined. Returns the test's date
    (UTC, ISO), as refusals to sell the batch name it."""
    answer = m.client.post(
        "/inspections",
        headers=m.auth(lab_key),
        json={
            "batch_id": batch_id,
            "passed": False,
            "residues": [{"substance": "carbofuran", "measured": 37, "limit": 20}],
        },
    )
    assert answer.status_code == 201, answer.text
    client = m.client.app.state.services.ledger.client
    mined = client.w3.eth.get_block(answer.json()["block_number"])["timestamp"]
    return datetime.fromtimestamp(mined, UTC).date().isoformat()


@dataclass(frozen=True)
class Stage:
    """Batches in known states, recorded once per module and never changed afterwards:
    every request made against them is refused."""

    held: str  # the farm's, active, 100 KGM
    held2: str  # the farm's, same GTIN, 50 KGM
    other_gtin: str  # the farm's, another GTIN
    pending: str  # the farm's, handed to the wholesaler, not yet accepted
    at_vendor: str  # at the stall, active
    quarantined: str  # at the stall, failed its residue test
    failed_on: str  # the date of that test
    spare: str  # the farm's, what refused recalls name
    webhook: str  # the stall's webhook
    lots: dict[str, str]  # batch id -> lot

    def lot_of(self, batch_id: str) -> str:
        return f"{self.lots[batch_id]} (GTIN {GTIN if batch_id != self.other_gtin else OTHER_GTIN})"


def stage_writes(m: Market, cast: dict[str, tuple[str, str]]) -> Stage:
    """Record the stage through the API and index it (refusals name batches by lot)."""
    farm = cast["farm"]
    lots = {}

    def grown(quantity: int, gtin: str = GTIN) -> str:
        lot = new_lot("ST")
        batch_id = harvest(m, farm[1], quantity=quantity, gtin=gtin, lot=lot)
        lots[batch_id] = lot
        return batch_id

    held, held2, other = grown(100), grown(50), grown(30, OTHER_GTIN)
    pending = grown(40)
    hand_off(m, pending, farm[1], cast["wholesaler"][0])
    at_vendor, quarantined = grown(60), grown(60)
    deliver(m, at_vendor, farm, cast["vendor"])
    deliver(m, quarantined, farm, cast["vendor"])
    failed_on = fail_inspection(m, cast["lab"][1], quarantined)
    spare = grown(10)
    hook = m.client.post("/webhooks", json={"url": "https://stall.example/hook"}, headers=m.auth(cast["vendor"][1]))
    assert hook.status_code == 201, hook.text
    m.sync()
    return Stage(held, held2, other, pending, at_vendor, quarantined, failed_on, spare, hook.json()["id"], lots)


def sign_call(m: Market, account: LocalAccount, function: str, args: list[Any]) -> bytes:
    """A raw EIP-1559 transaction calling `function` on FreshLedger, signed by `account`
    with its next nonce and a fixed gas limit (as a participant's own wallet would)."""
    ledger = m.client.app.state.services.ledger
    client = ledger.client
    tx = {
        "to": ledger.address,
        "data": ledger.abi.encode_call(function, args),
        "gas": FORGED_GAS,
        "nonce": client.w3.eth.get_transaction_count(account.address, "pending"),
        "chainId": client.chain_id,
        "maxFeePerGas": 10**10,
        "maxPriorityFeePerGas": 10**6,
        "type": 2,
    }
    return bytes(account.sign_transaction(tx).raw_transaction)


def send_to_node(m: Market, raw: bytes) -> dict[str, Any]:
    """Send `raw` straight to the node, past the API's checks and simulation; the receipt.

    The API's chain client tracks nonces itself, so it is told to ask the node again."""
    client = m.client.app.state.services.ledger.client
    tx_hash = client.w3.eth.send_raw_transaction(raw)
    receipt = client.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
    client.forget_nonces()
    return dict(receipt)
