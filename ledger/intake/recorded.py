"""What the chain did with a queued file, read back from its intents: recorded (the batches
of its lines, the transactions that carried them), or the refusal naming the file's row."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ledger.chain.abi import ContractAbi
from ledger.chain.reverts import WRAPPING_ERRORS
from ledger.errors import ContractRevert, LedgerError, LineRefused, RecordingInterrupted
from ledger.hexes import from_hex
from ledger.intake.payloads import DECLARATION_PART
from ledger.intake.queued import QueuedFile
from ledger.store.intents import IntentRecord


@dataclass(frozen=True)
class FileRecorded:
    """A file every intent of which is recorded: the batches of its lines in order, the
    transactions that carried them (in order, each once), their first and last block."""

    batch_ids: list[str]
    transactions: list[str]
    first_block: int | None
    last_block: int | None
    resumed_at: int = 0


def stored_refusal(error: Mapping[str, Any] | None, abi: ContractAbi) -> ContractRevert:
    """A refused intent's stored error as the :class:`ContractRevert` the contract raised, the
    refused item's own error (``inner``) decoded again."""
    error = error or {}
    name, args = error.get("name", "TransactionReverted"), dict(error.get("args") or {})
    inner = None
    if name in WRAPPING_ERRORS and isinstance(args.get("reason"), str):
        args["reason"] = from_hex(args["reason"])
        decoded = abi.decode_error(args["reason"])
        if decoded is not None:
            inner = ContractRevert(*decoded)
    return ContractRevert(name, args, error.get("message"), inner=inner)


def recorded_file(queued: QueuedFile, intents: Mapping[int, IntentRecord], abi: ContractAbi) -> FileRecorded | None:
    """What the queue did with `queued` as `intents` (its intents read again) say: recorded,
    or None while any is unfinished.

    Raises for a refusal, once every intent is final: :class:`LineRefused` (or the contract's
    refusal naming no row) when nothing of the file was recorded; :class:`RecordingInterrupted`
    with the batches recorded when some were (a declaration: the lines before the refused
    part; a sheet: the lots recorded, the rest to be sent again in a sheet of their own).
    """
    now = [intents.get(i.id, i) for i in queued.intents]
    if not all(i.final for i in now):
        return None
    refused = [i for i in now if i.status == "refused"]
    if refused:
        raise _refusal_of(queued, now, refused[0], abi)
    transactions: list[str] = []
    for intent in now:
        if intent.tx_hash and intent.tx_hash not in transactions:
            transactions.append(intent.tx_hash)
    blocks = [i.block_number for i in now if i.block_number is not None]
    return FileRecorded(
        queued.batch_ids,
        transactions,
        min(blocks) if blocks else None,
        max(blocks) if blocks else None,
        queued.resumed_at,
    )


def _refusal_of(queued: QueuedFile, intents: list[IntentRecord], first: IntentRecord, abi: ContractAbi) -> LedgerError:
    cause = stored_refusal(first.error, abi)
    if queued.kind == DECLARATION_PART:
        part = first.payload
        position = part["first_line"]
        # The contract counts the refused line in the whole declaration.
        index = cause.index
        row = (
            part["rows"][index - position] if index is not None and 0 <= index - position < len(part["rows"]) else None
        )
        if position == 0:
            return LineRefused(row, cause) if row is not None else cause
        return RecordingInterrupted(row, queued.batch_ids[:position], cause)
    recorded = [batch for intent, batch in zip(intents, queued.batch_ids, strict=True) if intent.status == "recorded"]
    row = first.payload.get("row")
    if not recorded:
        return LineRefused(row, cause) if row is not None else cause
    return RecordingInterrupted(row, recorded, cause)
