"""The submitter of one sender: takes its queued intents in order, packs them into
transactions, signs, stores, sends, and settles each mined transaction.

It runs only while holding the sender's lock (:mod:`ledger.intents.lock`), so it alone
chooses the sender's nonces. One step at a time:

1. settle: the oldest transactions in flight whose receipts are in;
2. fill: while fewer than ``max_in_flight`` are in flight, take the run of queued intents of
   one kind at the head of the queue (several when the kind packs: whatever arrived while
   the previous transactions were in flight; while one is in flight the next goes at most
   every ``group_window_s``, so a busy sender's writes pack), run the call on the node's
   pending state for its gas (an estimate, or for packed sales one call under their gas bound,
   :mod:`ledger.intents.gas`; a revert there names a bad intent: the group is halved until
   each guilty intent stands alone and is refused, and the rest go out), sign with the next
   nonce, store the signed bytes with the intents in one database transaction, and only then
   send them.

An intent whose call reverts there while earlier transactions of the sender are still in
flight is not refused yet: it may depend on them (a sale of a batch just accepted). It waits
until they are mined and is tried again.

When the node does not answer, the submitter backs off (doubling up to ``retry_max_s``) and
reconciles with the node before going on (:mod:`ledger.intents.reconcile`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from itertools import takewhile

from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine

from ledger.chain.client import GAS_MARGIN
from ledger.chain.freshledger import FreshLedgerContract
from ledger.chain.jsonrpc import RpcError
from ledger.errors import NodeError, TransactionError
from ledger.hexes import to_hex
from ledger.intents.crash import crash_point
from ledger.intents.gas import gas_bound
from ledger.intents.kinds import KINDS, kind_of, leading_group
from ledger.intents.outcome import calldata, lone_refusal, settle, target
from ledger.intents.reconcile import reconcile
from ledger.intents.relay import KIND as RELAY
from ledger.intents.relay import take_turn
from ledger.intents.reorgs import Look, MinedWatch, nonce_filler
from ledger.intents.replace import fees_of, replace, settle_superseded
from ledger.intents.settings import QueueSettings
from ledger.store import intents as store
from ledger.store.intents import IntentRecord, TxRecord

log = logging.getLogger(__name__)
#: How many queued intents one look takes (a group is cut from their head): the largest group
#: a transaction carries. More were read and decoded for nothing on every look (500 rows for a
#: transaction of 200, the submitter's largest cost per sale after encoding).
LOOKAHEAD = max(kind.max_group for kind in KINDS.values())


class Submitter:
    """Submits the queued intents of one sender; :meth:`run` until stopped or idle."""

    def __init__(
        self,
        engine: Engine,
        ledger: FreshLedgerContract,
        account: LocalAccount,
        settings: QueueSettings,
        *,
        stop: threading.Event,
        wake: threading.Event,
        notify: Callable[[list[int]], None] = lambda ids: None,
        node_state: Callable[[bool], None] = lambda up: None,
    ) -> None:
        self.engine = engine
        self.ledger = ledger
        self.client = ledger.client
        self.account = account
        self.sender = account.address
        self.settings = settings
        self.stop = stop
        self.wake = wake
        self.notify = notify
        self.node_state = node_state
        self.in_flight: list[TxRecord] = []
        #: The intents each transaction sent by this submitter carries, by hash: settling one
        #: reads its intents from here instead of the database (200 rows, payloads decoded).
        self._carried: dict[str, list[IntentRecord]] = {}
        self.next_nonce = 0
        self._ready = False
        self._pending_at = -1  # the head block at which the oldest in flight was not mined yet
        #: The head block whose transactions are being settled, one a step (None between blocks).
        self._settling_up_to: int | None = None
        #: The oldest in-flight transaction and the block height it became the oldest at, and
        #: the replacements of stuck ones (whose replaced transaction may be mined instead).
        self._head: str | None = None
        self._head_since = 0
        self._replacements: set[str] = set()
        self._bump_checked = 0.0
        self._head_checked = -float("inf")  # when the head block was last asked for
        self._sent_at = -float("inf")  # when the last transaction was sent
        #: Transactions mined lately, watched for a reorganisation that drops them.
        self.mined = MinedWatch(settings.reorg_watch_blocks)
        self._reorg_checked = -float("inf")

    # ------------------------------------------------------------ the loop

    def run(self) -> None:
        idle_since = time.monotonic()
        pause = self.settings.retry_first_s
        while not self.stop.is_set():
            try:
                if not self._ready:
                    self._resume()
                busy = self.check_reorgs() | self.settle_mined() | self.fill()
                self.node_state(True)
                pause = self.settings.retry_first_s
            except NodeError as exc:
                log.warning("submitter %s: node unreachable (%s); retrying in %.1f s", self.sender, exc, pause)
                self.node_state(False)
                self._ready = False
                self.stop.wait(pause)
                pause = min(pause * 2, self.settings.retry_max_s)
                continue
            except Exception:  # a bug or a database hiccup must not end the sender's queue
                log.exception("submitter %s: step failed; reconciling and retrying in %.1f s", self.sender, pause)
                self._ready = False
                self.stop.wait(pause)
                pause = min(pause * 2, self.settings.retry_max_s)
                continue
            if busy or self.in_flight:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since > self.settings.idle_exit_s:
                return
            if not busy:
                self.wake.wait(self._pause())
                self.wake.clear()

    def _pause(self) -> float:
        """How long to wait for a wake before looking again: the poll when nothing is in
        flight, else until the next look at the head or the end of the group window."""
        if not self.in_flight:
            return self.settings.poll_s
        now = time.monotonic()
        head = self._head_checked + self.settings.head_check_s - now
        send = self._sent_at + self.settings.group_window_s - now
        return max(0.0, min(self.settings.poll_s, head, send if send > 0 else head))

    def _resume(self) -> None:
        """Reconcile with the node, then continue at the node's next nonce. The transactions
        mined lately are looked at first: one a reorganisation dropped is reopened here, and so
        sent again before anything new could take its nonce (and a later serial of its lot)."""
        self._carried.clear()  # what is in flight now is what the database says
        self.mined.load(self.engine, self.client, self.sender)
        self._follow_reorganisation()
        self.in_flight = reconcile(self.engine, self.ledger, self.sender, self.notify)
        self._replacements = {
            tx.tx_hash for tx in self.in_flight if store.bumped_siblings(self.engine, tx.sender, tx.nonce)
        }
        self.mined.load(self.engine, self.client, self.sender)  # those reconciling just settled
        pending = self.client.nonce_of(self.sender, "pending")
        after_ours = self.in_flight[-1].nonce + 1 if self.in_flight else 0
        self.next_nonce = max(pending, after_ours)
        self._pending_at = -1
        self._settling_up_to = None
        self._ready = True

    # ------------------------------------------------------------ settling

    def settle_mined(self) -> bool:
        """Settle the oldest in-flight transaction if it is mined; True if one was settled.

        Receipts are asked for only once the chain has a block not looked at yet: a receipt
        (of a packed call, hundreds of events) costs far more than the block number. One
        transaction a step: the loop fills between two, so the next writes of the clients
        answered so far go out while the rest of the block settles. Settling a busy sender's
        block all at once (seven transactions of 400 sales) took most of a 1 s block, and
        the next wave missed the block after it: the blocks went full and empty by turns."""
        if not self.in_flight:
            return False
        if self._settling_up_to is None:
            now = time.monotonic()
            if now - self._head_checked < self.settings.head_check_s:
                return False  # woken by new writes: the head was asked for moments ago
            self._head_checked = now
            head = self.client.block_number()
            if head == self._pending_at:
                return False
            self._settling_up_to = head
        tx = self.in_flight[0]
        receipt = self.client.receipt(tx.tx_hash)
        if receipt is None:
            superseded = settle_superseded(self.engine, self.ledger, tx) if tx.tx_hash in self._replacements else None
            if superseded is None:
                self._pending_at = self._settling_up_to  # in no block up to it: look again after it
                self._settling_up_to = None
                self.replace_stuck()
                return False
            self.notify(superseded)  # the transaction it replaced was mined instead
            self._carried.pop(self.in_flight.pop(0).tx_hash, None)
        else:
            crash_point("after_mining")
            self.notify(settle(self.engine, self.ledger, tx, receipt, self._carried.pop(tx.tx_hash, None)))
            self.mined.add(tx, receipt)
            self.in_flight.pop(0)
        if not self.in_flight:
            self._settling_up_to = None
            self.replace_stuck()
        return True

    def check_reorgs(self) -> bool:
        """Look again at the blocks of the transactions mined lately (every ``reorg_check_s``,
        :mod:`ledger.intents.reorgs`): one now in another block settles again; one the chain
        dropped goes back to sent with its intents, and the submitter reconciles, which sends
        its very bytes again (a dropped group that reverted has its nonce filled instead).
        True if any was found."""
        now = time.monotonic()
        if not self.mined or now - self._reorg_checked < self.settings.reorg_check_s:
            return False
        self._reorg_checked = now
        found = self._follow_reorganisation()
        if found.gone or found.freed:
            self._ready = False  # reconciling sends the reopened transactions again, in nonce order
        return bool(found)

    def _follow_reorganisation(self) -> Look:
        """Settle again the watched transactions now mined in another block; reopen those no
        longer mined (:func:`ledger.store.intents.reopen`), and fill the nonces of dropped
        groups that reverted (:func:`ledger.intents.reorgs.nonce_filler`), in nonce order:
        the fillers go out before reconciling sends the later ones again."""
        found = self.mined.look(self.client)
        for tx, receipt in found.moved:
            log.warning(
                "submitter %s: nonce %d now mined in block %d (the chain was reorganised)",
                self.sender,
                tx.nonce,
                receipt["blockNumber"],
            )
            self.notify(settle(self.engine, self.ledger, tx, receipt))
        for tx in found.gone:
            log.warning("submitter %s: nonce %d no longer mined (the chain was reorganised)", self.sender, tx.nonce)
            store.reopen(self.engine, tx.tx_hash)
        for tx in found.freed:
            try:
                filler = nonce_filler(self.client, self.account, tx.nonce)
            except TransactionError as exc:  # taken meanwhile: nothing to fill
                log.warning("submitter %s: nonce %d not filled (%s)", self.sender, tx.nonce, exc)
                continue
            log.warning(
                "submitter %s: nonce %d of a reverted group no longer mined (the chain was reorganised); %s",
                self.sender,
                tx.nonce,
                "the node holds another transaction of it" if filler is None else f"filled by {filler}",
            )
        return found

    def replace_stuck(self) -> None:
        """Replace the oldest in-flight transaction when it is still not mined
        ``bump_after_blocks`` blocks after it became the oldest (:mod:`ledger.intents.replace`),
        and with it every later one whose fee cap is under the replacement's (they would sit
        too). Only the oldest is timed: later ones may just wait their turn behind it in full
        blocks. Looks every ``bump_check_s``."""
        after = self.settings.bump_after_blocks
        now = time.monotonic()
        if after <= 0 or not self.in_flight or now - self._bump_checked < self.settings.bump_check_s:
            return
        self._bump_checked = now
        height = self.client.block_number()
        head = self.in_flight[0]
        if head.tx_hash != self._head:
            self._head, self._head_since = head.tx_hash, height
            return
        if height - self._head_since < after:
            return
        flying = {tx.tx_hash for tx in self.in_flight}
        self._replacements &= flying
        cap = None
        for n, tx in enumerate(self.in_flight):
            if cap is not None and fees_of(tx.raw)[0] >= cap:
                continue
            new = replace(self.engine, self.ledger, self.account, tx, self.settings.bump_percent)
            if tx.tx_hash in self._carried:  # the replacement carries the same intents
                self._carried[new.tx_hash] = self._carried.pop(tx.tx_hash)
            log.warning("submitter %s: nonce %d replaced by %s (not mined)", self.sender, tx.nonce, new.tx_hash)
            self.in_flight[n] = new
            self._replacements.add(new.tx_hash)
            cap = cap if cap is not None else fees_of(new.raw)[0]
        self._head, self._head_since = self.in_flight[0].tx_hash, height

    # ------------------------------------------------------------ filling

    def fill(self) -> bool:
        """Send transactions for the queue's head while the window allows; True if any
        intent moved (sent or refused). While a transaction is in flight, the next waits
        until ``group_window_s`` after it (group commit), and then takes all that queued."""
        if self.in_flight and time.monotonic() - self._sent_at < self.settings.group_window_s:
            return False
        moved, began = False, time.time()
        while len(self.in_flight) < self.settings.max_in_flight and self._ready:
            queued = store.queued_run(self.engine, self.sender, LOOKAHEAD)
            if self.in_flight:  # this pass sent already: what arrived since waits for the window
                queued = list(takewhile(lambda i: i.created_at <= began, queued))
            if not queued:
                break
            head = queued[0].kind
            if head == RELAY:  # signed by the participant itself: sent as it is, in its turn
                self._relay(queued[0])
                moved = True
                continue
            run = list(takewhile(lambda i, head=head: i.kind == head, queued))
            kind = kind_of(head)
            size = leading_group(kind, self.ledger.abi, [i.payload for i in run], [i.attempts for i in run])
            room = self.settings.max_in_flight - len(self.in_flight)
            groups, blocked, refused = self._plan(run[:size], room)
            for group, gas, data in groups:
                self._send(group, gas, data)
            moved = moved or bool(groups) or refused
            if blocked or not (groups or refused):
                break
        return moved

    def _plan(
        self, group: list[IntentRecord], room: int
    ) -> tuple[list[tuple[list[IntentRecord], int, bytes]], bool, bool]:
        """Split `group` into transactions that estimate without a revert (at most `room`).
        Returns them with their gas limit and call data (encoded once, for the check and the
        signature), whether a revert must wait for transactions in flight, and whether an
        intent was refused."""
        planned: list[tuple[list[IntentRecord], int, bytes]] = []
        refused = False

        def visit(part: list[IntentRecord]) -> bool:  # False: stop here (blocked or full)
            nonlocal refused
            if not part:  # the refused item was the group's last: nothing after it
                return True
            if len(planned) >= room:
                return False
            data = calldata(self.ledger, part[0].kind, part)
            to, value = target(self.ledger, part[0].kind, part)
            try:
                needed, gas = self._gas(to, data, value)
            except NodeError:
                raise
            except TransactionError as exc:  # a revert: a ContractRevert when the error is decoded
                index = getattr(exc, "args_by_name", {}).get("index")
                if isinstance(index, int) and 0 < index < len(part):
                    # A batch call names the refused item: the ones before it passed their turn.
                    return visit(part[:index]) and visit([part[index]]) and visit(part[index + 1 :])
                if len(part) > 1:
                    half = len(part) // 2
                    return visit(part[:half]) and visit(part[half:])
                if self.in_flight or planned:
                    return False  # may depend on what is in flight: estimate again after it
                store.refuse(self.engine, [part[0].id], lone_refusal(part[0].kind, part[0].payload, exc))
                self.notify([part[0].id])
                refused = True
                return True
            if needed > self.settings.max_gas and len(part) > 1:
                half = len(part) // 2
                return visit(part[:half]) and visit(part[half:])
            planned.append((part, gas, data))
            return True

        complete = visit(group)
        return planned, not complete, refused

    def _gas(self, to: str, data: bytes, value: int) -> tuple[int, int]:
        """The gas a transaction of call data `data` needs (what ``max_gas`` bounds) and its
        gas limit, on the node's pending state; a refusal raises :class:`TransactionError` (a
        :class:`ContractRevert` when decoded).

        A call with a gas bound (:mod:`ledger.intents.gas`) runs once, as an ``eth_call`` on
        pending with the bound as its gas: it passes, so the transaction passes on that state
        with that limit. Else (or when the call runs out of it) the node's estimate, which
        runs the call a dozen times, with ``GAS_MARGIN`` on top."""
        abi = self.ledger.abi
        bound = gas_bound(abi, data) if not value else None
        if bound is not None and bound > self.settings.max_gas:
            return bound, bound  # halved before anything is asked
        if bound is not None:
            try:
                reason = self.client.revert_reason(self.sender, to=to, data=data, abi=abi, block="pending", gas=bound)
            except RpcError as exc:  # no refusal: out of gas under the bound
                log.warning("submitter %s: a call ran out of its gas bound (%s); estimating", self.sender, exc)
            else:
                if reason is not None:
                    raise reason
                return bound, bound
        estimate = self.client.estimate(self.sender, to=to, data=data, abi=abi, value=value)
        return estimate, int(estimate * GAS_MARGIN)

    def _relay(self, intent: IntentRecord) -> None:
        tx = take_turn(self.engine, intent, self.next_nonce)
        if tx is None:
            self.notify([intent.id])  # refused: its nonce is not this sender's next
            return
        self.next_nonce += 1
        self.in_flight.append(tx)
        try:
            self.client.send_raw(bytes.fromhex(tx.raw.removeprefix("0x")))
        except TransactionError as exc:
            log.warning("submitter %s: relayed transaction refused (%s); reconciling", self.sender, exc)
            self._ready = False

    def _send(self, group: list[IntentRecord], gas: int, data: bytes) -> None:
        to, value = target(self.ledger, group[0].kind, group)
        signed = self.client.sign(self.account, to=to, data=data, gas=gas, nonce=self.next_nonce, value=value)
        tx = TxRecord(
            tx_hash=signed.hash,
            sender=self.sender,
            nonce=signed.nonce,
            kind=group[0].kind,
            raw=to_hex(signed.raw),
            intent_count=len(group),
            status="sent",
            created_at=time.time(),
            block_number=None,
        )
        if store.mark_sent(self.engine, [i.id for i in group], tx) == len(group):
            self._carried[tx.tx_hash] = group  # else settling reads which it carries
        self.next_nonce += 1
        self._sent_at = time.monotonic()
        self._head_checked = -float("inf")  # a node mining on arrival has it already: look once now
        self.in_flight.append(tx)
        crash_point("before_send")
        try:
            self.client.send_raw(signed.raw)
        except TransactionError as exc:
            # Refused (not a lost connection: that is NodeError): e.g. the nonce went to
            # another transaction. Reconciling decides; nothing is sent again before it.
            log.warning("submitter %s: send refused (%s); reconciling", self.sender, exc)
            self._ready = False
            return
        crash_point("after_send")
