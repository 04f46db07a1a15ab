"""Capture through the write queue: each planned call of each event becomes an intent of the
participant, stored with the capture job in one database transaction, and the job's state is
read from its intents (running while any is unfinished), so a restart of the API mid-job
loses nothing and leaves no job marked running forever.

Events still *proceed* (GS1): every event's calls are queued and submitted in order; an event
whose call the contract refuses is ``failed`` with that call's error (calls of it mined before
stay mined), and the next event goes on. A call that cannot even be encoded (a quantity
beyond the contract's integer size) fails its event before anything of it is queued.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ledger.chain.abi import ContractAbi
from ledger.epcis.plan import Call, EventPlan
from ledger.errors import ContractRevert
from ledger.hexes import to_hex
from ledger.intents.accept import request_hash
from ledger.intents.kinds import Payload, kind_of
from ledger.store.intents import IntentRecord, NewIntent

#: A FreshLedgerContract method (what plan_events names) -> the intent kind and its payload.
_KINDS: dict[str, tuple[str, Callable[[Call], Payload]]] = {
    "register_harvest": ("harvest", lambda c: {**c.kwargs, "document_cid": _hex(c.kwargs.get("document_cid"))}),
    "register_import": ("import", lambda c: {**c.kwargs, "document_cid": _hex(c.kwargs.get("document_cid"))}),
    "hand_off": ("handoff", lambda c: {"batch_id": to_hex(c.args[0]), "to": c.args[1]}),
    "accept_hand_off": ("accept", lambda c: {"batch_id": to_hex(c.args[0])}),
    "cancel_hand_off": ("cancel", lambda c: {"batch_id": to_hex(c.args[0])}),
    "record_inspection": (
        "inspection",
        lambda c: {
            "batch_id": to_hex(c.args[0]),
            "passed": c.kwargs["passed"],
            "residues": [[r.substance, r.measured, r.limit, r.unit] for r in c.kwargs["residues"]],
            "report_cid": _hex(c.kwargs.get("report_cid")),
        },
    ),
    "record_sale": ("sale", lambda c: {"batch_id": to_hex(c.args[0]), **c.kwargs}),
    "split": ("split", lambda c: {"batch_id": to_hex(c.args[0]), "parts": [[lot, qty] for lot, qty in c.args[1]]}),
    "merge": ("merge", lambda c: {"batch_ids": [to_hex(b) for b in c.args[0]], "lot": c.args[1]}),
}


def _hex(value: bytes | None) -> str | None:
    return to_hex(value) if value else None


def intent_of(call: Call) -> tuple[str, Payload]:
    """The kind and payload of one planned call."""
    kind, payload = _KINDS[call.method]
    return kind, payload(call)


def queue_plan(
    plans: Sequence[EventPlan], abi: ContractAbi
) -> tuple[list[dict[str, Any]], list[tuple[str, NewIntent]]]:
    """Each event's entry of the job (its intents numbered in the returned list, in order) and
    the intents to store. An event whose call cannot be encoded is failed at once."""
    entries: list[dict[str, Any]] = []
    intents: list[tuple[str, NewIntent]] = []
    for plan in plans:
        entry: dict[str, Any] = {
            "index": plan.index,
            "pointer": plan.pointer,
            "eventID": plan.event_id,
            "type": plan.event_type,
            "bizStep": plan.biz_step,
            "status": "queued",
            "reason": None,
            "error": None,
            "intents": [],
            "summaries": [c.summary for c in plan.calls],
        }
        if plan.unsupported is not None:
            entry.update(status="unsupported", reason=plan.unsupported)
            entries.append(entry)
            continue
        mine: list[tuple[str, Payload]] = []
        for call in plan.calls:
            kind, payload = intent_of(call)
            try:
                abi.encode_call(*kind_of(kind).call([payload]))
            except Exception as exc:  # beyond the contract's types: the node would never see it
                entry.update(status="failed", error=type(exc).__name__, reason=f"{call.summary}: {exc}")
                break
            mine.append((kind, payload))
        else:
            entry["intents"] = list(range(len(intents), len(intents) + len(mine)))
            intents.extend((kind, NewIntent(payload, None, request_hash(kind, payload))) for kind, payload in mine)
        entries.append(entry)
    return entries, intents


def event_results(
    entries: list[dict[str, Any]], intents: dict[int, IntentRecord], describe: Callable[[ContractRevert], str] = str
) -> tuple[list[dict[str, Any]], bool]:
    """Each event's outcome (``recorded``, ``unsupported``, ``failed``, or ``queued`` while its
    intents are unfinished) with its transactions, and whether the job still runs."""
    results, running = [], False
    for entry in entries:
        result = {k: v for k, v in entry.items() if k not in ("intents", "summaries", "intent_ids")}
        result["transactions"] = []
        ids = entry.get("intent_ids") or []
        for intent_id, summary in zip(ids, entry.get("summaries", []), strict=False):
            intent = intents.get(intent_id)
            if intent is None or not intent.final:
                result["status"] = "queued"
                running = True
                break
            if intent.status == "refused":
                error = intent.error or {}
                revert = ContractRevert(
                    error.get("name", "TransactionReverted"), error.get("args") or {}, error.get("message")
                )
                result.update(status="failed", error=revert.name, reason=f"{summary}: {describe(revert)}")
                break
            result["transactions"].append(
                {"summary": summary, "transactionHash": intent.tx_hash, "blockNumber": intent.block_number}
            )
        else:
            if ids:
                result["status"] = "recorded"
        result["intentIDs"] = ids
        results.append(result)
    return results, running
