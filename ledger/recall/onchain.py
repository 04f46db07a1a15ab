"""Recalling many batches on-chain in as few transactions as fit the block gas limit.

The contract's rules decide what is sent (``BatchRegistry.recall``): only a regulator may
call it; an empty list or reason reverts; an unknown batch reverts (``BatchNotFound``); a
batch already recalled is skipped and emits nothing; a sold-out batch is recalled like any
other (its sales must show the recall). So sold-out batches are sent, and batches the chain
already reports recalled are left out only to save gas, which changes nothing on-chain.

Each transaction's gas limit (estimate times the client's margin) stays under a safety
fraction of the latest block's gas limit; a chunk whose real estimate is above the budget
(the two-estimate model was too optimistic) is halved and estimated again.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3.exceptions import ContractLogicError

from ledger.chain.client import GAS_MARGIN, revert_from
from ledger.chain.freshledger import FreshLedgerContract
from ledger.recall.chunking import GasModel, RecallTooLarge, chunk

#: Share of the block gas limit one recall transaction may take: the rest of the block stays
#: open to other participants (a full-block transaction waits for an empty block) and the
#: estimate may be off by a few percent when other transactions land first.
SAFETY_FRACTION = 0.5


@dataclass(frozen=True)
class RecallTransaction:
    transaction_hash: str
    block_number: int
    gas_limit: int
    gas_used: int
    batch_ids: list[str]  # recalled by this transaction (its RecallIssued events)


@dataclass(frozen=True)
class RecallPlan:
    """What will be sent: the batches in transaction-sized chunks, and what is skipped."""

    chunks: list[list[bytes]]
    already_recalled: list[bytes]
    budget: int
    model: GasModel | None


@dataclass(frozen=True)
class RecallOutcome:
    plan: RecallPlan
    transactions: list[RecallTransaction] = field(default_factory=list)

    @property
    def recalled(self) -> list[str]:
        return [b for tx in self.transactions for b in tx.batch_ids]


class RecallSender:
    """One regulator recalling batches on one contract."""

    def __init__(self, contract: FreshLedgerContract, regulator: LocalAccount) -> None:
        self.contract = contract
        self.regulator = regulator

    # ------------------------------------------------------------ chain facts

    def block_gas_limit(self) -> int:
        return int(self.contract.client.w3.eth.get_block("latest")["gasLimit"])

    def estimate(self, batch_ids: Sequence[bytes], reason: str) -> int:
        """``eth_estimateGas`` of ``recall(batch_ids, reason)`` from the regulator; a revert
        (not a regulator, unknown batch) raises :class:`ContractRevert` before anything is sent."""
        abi = self.contract.abi
        tx = {
            "from": self.regulator.address,
            "to": self.contract.address,
            "data": HexBytes(abi.encode_call("recall", (list(batch_ids), reason))),
        }
        try:
            return int(self.contract.client.w3.eth.estimate_gas(tx))
        except ContractLogicError as exc:
            raise revert_from(exc, abi) from None

    # ------------------------------------------------------------ plan and send

    def plan(self, batch_ids: Sequence[bytes], reason: str, *, max_gas: int | None = None) -> RecallPlan:
        """Chunks of `batch_ids` (order kept, duplicates dropped) that each fit the budget:
        `max_gas` or ``SAFETY_FRACTION`` of the latest block's gas limit."""
        unique = list(dict.fromkeys(bytes(b) for b in batch_ids))
        status = {b: self.contract.batch(b).status for b in unique}
        recalled = [b for b in unique if status[b] == "recalled"]
        todo = [b for b in unique if status[b] != "recalled"]
        budget = max_gas if max_gas is not None else int(self.block_gas_limit() * SAFETY_FRACTION)
        if not todo:
            return RecallPlan([], recalled, budget, None)
        one = self.estimate(todo[:1], reason)
        two = self.estimate(todo[:2], reason) if len(todo) > 1 else None
        model = GasModel.from_estimates(one, two)
        size = model.capacity(budget, GAS_MARGIN)
        if size < 1:
            raise RecallTooLarge(
                f"recalling one batch needs about {math.ceil(one * GAS_MARGIN):,} gas, over the budget of {budget:,}"
            )
        return RecallPlan(chunk(todo, size), recalled, budget, model)

    def send(self, plan: RecallPlan, reason: str) -> RecallOutcome:
        """Send every chunk of `plan`, one transaction each (halving any that turns out too big)."""
        sent: list[RecallTransaction] = []
        queue = list(plan.chunks)
        while queue:
            ids = queue.pop(0)
            gas = math.ceil(self.estimate(ids, reason) * GAS_MARGIN)
            if gas > plan.budget:
                if len(ids) == 1:
                    raise RecallTooLarge(f"recalling one batch needs {gas:,} gas, over the budget of {plan.budget:,}")
                half = len(ids) // 2
                queue[:0] = [ids[:half], ids[half:]]
                continue
            data = self.contract.abi.encode_call("recall", (list(ids), reason))
            result = self.contract.client.transact(
                self.regulator, to=self.contract.address, data=data, abi=self.contract.abi, gas=gas
            )
            recalled = ["0x" + bytes(e.args["batchId"]).hex() for e in result.events_named("RecallIssued")]
            sent.append(RecallTransaction(result.transaction_hash, result.block_number, gas, result.gas_used, recalled))
        return RecallOutcome(plan, sent)

    def recall(self, batch_ids: Sequence[bytes], reason: str, *, max_gas: int | None = None) -> RecallOutcome:
        """Plan and send: every batch of `batch_ids` recalled, in as few transactions as fit."""
        return self.send(self.plan(batch_ids, reason, max_gas=max_gas), reason)
