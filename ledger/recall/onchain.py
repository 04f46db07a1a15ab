"""Recalling many batches on-chain in as few transactions as fit the block gas limit.

The contract's rules decide what is sent (``BatchRegistry.recall``): only a regulator may
call it; an empty list or reason reverts; an unknown batch reverts (``BatchNotFound``); a
batch already recalled is skipped and emits nothing; a sold-out batch is recalled like any
other (its sales must show the recall). So nothing needs filtering to avoid a revert:
sold-out batches are sent, and batches the chain reports recalled (read in JSON-RPC batches)
are left out only to save gas and a transaction that would change nothing; one recalled in
between is skipped on-chain and reported as already recalled (no RecallIssued for it).

Each transaction's gas limit (estimate times the client's margin) stays under a safety
fraction of the latest block's gas limit. Two estimates (one batch, two batches) give a
linear model and a chunk size; each chunk is estimated again before it is sent, and one over
the budget (memory grows with the list, so gas rises a little faster than the model) shrinks
the size in proportion. Measured at 3,001 batches (``bench/recall.py``): 3 transactions of
at most 15,000,000 gas under anvil's 30,000,000 block limit, 2.7 s in all.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3.exceptions import ContractLogicError

from ledger.chain.client import GAS_MARGIN
from ledger.chain.freshledger import FreshLedgerContract
from ledger.chain.reverts import revert_from
from ledger.hexes import to_hex
from ledger.recall.chunking import GasModel, RecallTooLarge, chunk
from ledger.vocabulary import STATUSES

#: Share of the block gas limit one recall transaction may take: the rest of the block stays
#: open to other participants (a full-block transaction waits for an empty block) and the
#: estimate may be off by a few percent when other transactions land first.
SAFETY_FRACTION = 0.5
#: Status reads per JSON-RPC batch request: well under the 1,000 calls a batch that public
#: node providers accept, and a few hundred kilobytes of answer.
STATUS_BATCH = 500


@dataclass(frozen=True)
class RecallTransaction:
    tx_hash: str
    block_number: int
    gas_limit: int
    gas_used: int
    batch_ids: list[str]  # recalled by this transaction (its RecallIssued events)
    sent_batch_ids: list[str]  # in its call: the contract skips those recalled meanwhile


@dataclass(frozen=True)
class RecallPlan:
    """What will be sent, what is left out, and the chunk size the gas model allows."""

    batch_ids: list[bytes]
    already_recalled: list[bytes]
    budget: int
    model: GasModel | None
    size: int  # batches a transaction by the model; sending may shrink it

    @property
    def chunks(self) -> list[list[bytes]]:
        """The transactions the model expects (:meth:`RecallSender.send` may need more)."""
        return chunk(self.batch_ids, self.size) if self.batch_ids else []


@dataclass(frozen=True)
class RecallOutcome:
    plan: RecallPlan
    transactions: list[RecallTransaction] = field(default_factory=list)

    @property
    def recalled(self) -> list[str]:
        """Batches these transactions recalled (their RecallIssued events), in order."""
        return [b for tx in self.transactions for b in tx.batch_ids]

    @property
    def already_recalled(self) -> list[str]:
        """Batches left out as recalled already, and those the contract skipped as recalled."""
        skipped = [to_hex(b) for b in self.plan.already_recalled]
        recalled = set(self.recalled)
        return skipped + [b for tx in self.transactions for b in tx.sent_batch_ids if b not in recalled]


class RecallSender:
    """One regulator recalling batches on one contract."""

    def __init__(self, contract: FreshLedgerContract, regulator: LocalAccount) -> None:
        self.contract = contract
        self.regulator = regulator

    # ------------------------------------------------------------ chain facts

    def block_gas_limit(self) -> int:
        return int(self.contract.client.w3.eth.get_block("latest")["gasLimit"])

    def statuses(self, batch_ids: Sequence[bytes]) -> dict[bytes, str]:
        """The stored status of each batch ("none" when unknown), read in JSON-RPC batches:
        one round trip per ``STATUS_BATCH`` calls instead of one per batch."""
        abi, w3 = self.contract.abi, self.contract.client.w3
        found: dict[bytes, str] = {}
        for start in range(0, len(batch_ids), STATUS_BATCH):
            ids = list(batch_ids[start : start + STATUS_BATCH])
            with w3.batch_requests() as batch:
                for batch_id in ids:
                    data = HexBytes(abi.encode_call("batch", (batch_id,)))
                    batch.add(w3.eth.call({"to": self.contract.address, "data": data}))
                answers = batch.execute()
            for batch_id, raw in zip(ids, answers, strict=True):
                (view,) = abi.decode_result("batch", bytes(raw))
                found[batch_id] = STATUSES[view["status"]]
        return found

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

    def plan(
        self,
        batch_ids: Sequence[bytes],
        reason: str,
        *,
        max_gas: int | None = None,
    ) -> RecallPlan:
        """What to send: `batch_ids` (order kept, duplicates and those the chain reports
        recalled dropped) and how many fit one transaction by the gas model, within `max_gas`
        or ``SAFETY_FRACTION`` of the latest block's gas limit."""
        unique = list(dict.fromkeys(bytes(b) for b in batch_ids))
        status = self.statuses(unique)
        todo = [b for b in unique if status[b] != "recalled"]
        budget = max_gas if max_gas is not None else int(self.block_gas_limit() * SAFETY_FRACTION)
        skipped = [b for b in unique if status[b] == "recalled"]
        if not todo:
            return RecallPlan([], skipped, budget, None, 0)
        one = self.estimate(todo[:1], reason)
        two = self.estimate(todo[:2], reason) if len(todo) > 1 else None
        model = GasModel.from_estimates(one, two)
        size = model.capacity(budget, GAS_MARGIN)
        if size < 1:
            raise RecallTooLarge(
                f"recalling one batch needs about {math.ceil(one * GAS_MARGIN):,} gas, over the budget of {budget:,}"
            )
        return RecallPlan(todo, skipped, budget, model, size)

    def send(self, plan: RecallPlan, reason: str) -> RecallOutcome:
        """Send `plan` in transactions of ``plan.size`` batches; when a chunk's own estimate is
        over the budget (memory grows with the list, so gas does a little faster than the
        linear model), the size shrinks in proportion and stays shrunk for the next chunks."""
        sent: list[RecallTransaction] = []
        remaining = list(plan.batch_ids)
        size = plan.size
        while remaining:
            ids = remaining[:size]
            gas = math.ceil(self.estimate(ids, reason) * GAS_MARGIN)
            if gas > plan.budget:
                if size == 1:
                    raise RecallTooLarge(f"recalling one batch needs {gas:,} gas, over the budget of {plan.budget:,}")
                size = max(1, min(size - 1, size * plan.budget // gas))
                continue
            data = self.contract.abi.encode_call("recall", (list(ids), reason))
            result = self.contract.client.transact(
                self.regulator, to=self.contract.address, data=data, abi=self.contract.abi, gas=gas
            )
            recalled = [to_hex(e.args["batchId"]) for e in result.events_named("RecallIssued")]
            sent.append(
                RecallTransaction(
                    result.tx_hash,
                    result.block_number,
                    gas,
                    result.gas_used,
                    recalled,
                    [to_hex(b) for b in ids],
                )
            )
            remaining = remaining[len(ids) :]
        return RecallOutcome(plan, sent)

    def recall(
        self,
        batch_ids: Sequence[bytes],
        reason: str,
        *,
        max_gas: int | None = None,
    ) -> RecallOutcome:
        """Plan and send: every batch of `batch_ids` recalled, in as few transactions as fit."""
        return self.send(self.plan(batch_ids, reason, max_gas=max_gas), reason)
