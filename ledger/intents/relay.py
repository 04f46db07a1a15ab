"""Relaying transactions participants signed themselves (they keep their keys; the market
cannot sign for them).

The signed bytes are stored as a ``relay`` intent, then a relayer (one per sender, under the
sender's submitter lock, started by the pool for a sender whose key this process does not
hold) stores them as the intent's transaction and sends them, and settles them by hash like
any other: after a crash the very same bytes are sent again (the chain cannot take them
twice). The nonce is the signer's business: one the node has already used ends the intent
refused with ``NonceTooLow``, naming the nonce the node expects.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.typed_transactions import TypedTransaction
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes
from sqlalchemy import Engine

from ledger.chain.freshledger import FreshLedgerContract
from ledger.errors import NodeError, TransactionError
from ledger.hexes import to_hex
from ledger.intents.outcome import settle
from ledger.intents.settings import QueueSettings
from ledger.store import intents as store
from ledger.store.intents import IntentRecord, TxRecord

log = logging.getLogger(__name__)
KIND = "relay"


@dataclass(frozen=True)
class SignedCall:
    """A signed transaction as relayed: who signed it, its nonce, where it goes and its data."""

    raw: bytes
    tx_hash: str
    sender: str
    nonce: int
    to: str | None
    data: bytes

    @property
    def payload(self) -> dict[str, Any]:
        return {"raw": to_hex(self.raw), "tx_hash": self.tx_hash, "nonce": self.nonce, "data": to_hex(self.data)}


def decode(raw: bytes) -> SignedCall:
    """The signer and fields of signed bytes; ValueError (or eth-account's) if they are none."""
    sender = Account.recover_transaction(raw)
    fields = TypedTransaction.from_bytes(HexBytes(raw)).as_dict() if raw[:1] in (b"\x01", b"\x02") else None
    if fields is None:
        raise ValueError("only typed (EIP-2930 or EIP-1559) transactions are relayed")
    to = fields.get("to")
    return SignedCall(
        raw=raw,
        tx_hash=to_hex(keccak(raw)),
        sender=sender,
        nonce=int(fields["nonce"]),
        to=to_checksum_address(to) if to else None,
        data=bytes(fields.get("data", b"")),
    )


def nonce_error(nonce: int, expected: int) -> dict[str, Any]:
    """The stored refusal of a transaction whose nonce the node has already used."""
    return {
        "name": "NonceTooLow",
        "args": {"nonce": nonce, "expected": expected},
        "message": f"nonce {nonce} is already used: the node expects nonce {expected} from this account; "
        "sign the transaction again with it",
    }


def take_turn(engine: Engine, intent: IntentRecord, next_nonce: int) -> TxRecord | None:
    """For the submitter of a sender whose key the market holds (its nonces are the
    submitter's): a relayed transaction signed for the submitter's next nonce is stored as
    that nonce's transaction (returned; the caller sends it); any other nonce can never be
    mined in turn, so the intent is refused naming the nonce expected (None)."""
    p = intent.payload
    if p["nonce"] != next_nonce:
        if p["nonce"] < next_nonce:
            error = nonce_error(p["nonce"], next_nonce)
        else:
            error = {
                "name": "NonceTooHigh",
                "args": {"nonce": p["nonce"], "expected": next_nonce},
                "message": f"nonce {p['nonce']} leaves a gap: the next nonce of this account is {next_nonce}",
            }
        store.refuse(engine, [intent.id], error)
        return None
    tx = TxRecord(p["tx_hash"], intent.sender, p["nonce"], KIND, p["raw"], 1, "sent", time.time(), None)
    store.mark_sent(engine, [intent.id], tx)
    return tx


class Relayer:
    """Sends and settles the relayed transactions of one sender; :meth:`run` until stopped or idle."""

    def __init__(
        self,
        engine: Engine,
        ledger: FreshLedgerContract,
        sender: str,
        settings: QueueSettings,
        *,
        stop: threading.Event,
        wake: threading.Event,
        notify: Any = lambda ids: None,
    ) -> None:
        self.engine = engine
        self.ledger = ledger
        self.client = ledger.client
        self.sender = sender
        self.settings = settings
        self.stop = stop
        self.wake = wake
        self.notify = notify

    def run(self) -> None:
        idle_since = time.monotonic()
        pause = self.settings.retry_first_s
        while not self.stop.is_set():
            try:
                busy = self.step()
                pause = self.settings.retry_first_s
            except NodeError as exc:
                log.warning("relayer %s: node unreachable (%s); retrying in %.1f s", self.sender, exc, pause)
                self.stop.wait(pause)
                pause = min(pause * 2, self.settings.retry_max_s)
                continue
            if busy:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since > self.settings.idle_exit_s:
                return
            self.wake.wait(self.settings.poll_s)
            self.wake.clear()

    def step(self) -> bool:
        """Settle what was mined, send what is queued; True while anything is unfinished."""
        unfinished = store.unfinished_transactions(self.engine, self.sender)
        for tx in unfinished:
            self._settle(tx)
        queued = [i for i in store.queued_run(self.engine, self.sender, 100) if i.kind == KIND]
        for intent in queued:
            self._send(intent)
        return bool(unfinished or queued)

    def _send(self, intent: IntentRecord) -> None:
        p = intent.payload
        tx = TxRecord(p["tx_hash"], self.sender, p["nonce"], KIND, p["raw"], 1, "sent", time.time(), None)
        store.mark_sent(self.engine, [intent.id], tx)
        self._push(tx)

    def _settle(self, tx: TxRecord) -> None:
        receipt = self.client.receipt(tx.tx_hash)
        if receipt is not None:
            self.notify(settle(self.engine, self.ledger, tx, receipt))
        elif not self.client.knows(tx.tx_hash):
            self._push(tx)  # lost by the node (a restart of it, or of ours before sending)

    def _push(self, tx: TxRecord) -> None:
        try:
            self.client.send_raw(bytes.fromhex(tx.raw.removeprefix("0x")))
        except TransactionError as exc:
            used = self.client.nonce_of(self.sender, "latest")
            if tx.nonce < used and self.client.receipt(tx.tx_hash) is None:
                error = nonce_error(tx.nonce, used)
            else:
                error = {"name": "TransactionRefused", "args": {}, "message": f"the node refused it: {exc}"}
            ids = [i.id for i in store.transaction_intents(self.engine, tx.tx_hash)]
            store.refuse(self.engine, ids, error, tx_hash=tx.tx_hash)
            self.notify(ids)
