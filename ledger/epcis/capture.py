"""Capture: EPCIS events a participant's own system sends, turned into contract transactions.

:func:`ledger.epcis.plan.plan_events` decides, for each event of a valid document, which
life-cycle calls it means (or why FreshLedger cannot record it); :func:`execute` signs and
sends them for the participant, one event after another, and reports each event's outcome. A
blockchain cannot roll back what is mined, so capture always *proceeds* (GS1's ``proceed``
error behaviour): an event that fails does not stop the next one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount

from ledger.chain.client import TxResult
from ledger.chain.freshledger import FreshLedgerContract
from ledger.epcis.plan import Call, EventPlan
from ledger.errors import ContractRevert


@dataclass
class EventResult:
    """What became of one event: ``recorded``, ``unsupported`` or ``failed``."""

    index: int
    pointer: str
    event_id: str | None
    event_type: str
    biz_step: str | None
    status: str
    reason: str | None = None
    error: str | None = None
    transactions: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "pointer": self.pointer,
            "eventID": self.event_id,
            "type": self.event_type,
            "bizStep": self.biz_step,
            "status": self.status,
            "reason": self.reason,
            "error": self.error,
            "transactions": self.transactions,
        }


# ------------------------------------------------------------------ execution


def _tx(result: TxResult, call: Call) -> dict[str, Any]:
    return {"summary": call.summary, "transactionHash": result.tx_hash, "blockNumber": result.block_number}


def execute(
    ledger: FreshLedgerContract,
    account: LocalAccount,
    plans: list[EventPlan],
    describe: Callable[[ContractRevert], str] = str,
) -> list[EventResult]:
    """Send every planned call for `account`; an event's first failing call stops that event
    (earlier calls stay mined), and the next event goes on."""
    results = []
    for plan in plans:
        result = EventResult(plan.index, plan.pointer, plan.event_id, plan.event_type, plan.biz_step, "recorded")
        if plan.unsupported is not None:
            result.status, result.reason = "unsupported", plan.unsupported
            results.append(result)
            continue
        for call in plan.calls:
            try:
                mined = getattr(ledger, call.method)(account, *call.args, **call.kwargs)
            except ContractRevert as revert:
                result.status, result.error, result.reason = (
                    "failed",
                    revert.name,
                    f"{call.summary}: {describe(revert)}",
                )
                break
            except Exception as exc:  # encoding limits, the node: this event failed, the next one still runs
                result.status, result.error, result.reason = "failed", type(exc).__name__, f"{call.summary}: {exc}"
                break
            result.transactions.append(_tx(mined, call))
        results.append(result)
    return results
