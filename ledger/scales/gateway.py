"""``freshledger stall-gateway``: the scales' weighings become sales, each answered with its
receipt.

A weighing arriving on ``.../scales/{id}/weighings`` is acknowledged to the broker (QoS 1,
manual acknowledgement) only once it is stored: as a sale intent of the stall in the write
queue (Idempotency-Key ``scale/{id}/{seq}``) and as a row of ``scale_weighings`` keyed by
(stall, scale, sequence number). So a gateway killed at any moment loses nothing (the broker
sends the unacknowledged message again) and records nothing twice (the row and the key are
there).

The scale gets its receipt as soon as both are stored: the queue reserved the sale's serial
when it stored the intent (:mod:`ledger.store.sale_serials`) and the contract records the
sale under that serial or not at all, so the receipt's Digital Link names exactly that sale
before it is mined. A resent weighing gets the same receipt again. When the chain later
refuses the sale (its lot recalled meanwhile, sold out by another sale), the scale gets a
``void`` of that receipt on its replies topic; the serial is never given to another sale.

Weighings are taken in rounds: what arrives within ``ROUND_S`` of a round's first weighing
is stored at once (one query for the keys seen before, one database transaction for all the
stalls' intents, one for the weighings' rows), so each stall's submitter finds a few
hundred sales to pack into one ``recordSales`` instead of a transaction per handful. The
submitters of this process tell the gateway which intents became final (``intents_final``)
and it settles them at once (a void for a refused one); a sweep of the database every
``SWEEP_S`` settles the rest (taken before a restart, or settled by another process's
submitter) and sends answers the broker was away for.

A key (PLU) whose lot is quarantined (a failed lab test) or recalled is blocked: every scale
of the stall gets the list of its blocked keys as a retained message on its blocks topic a
fraction of a second after the indexer recorded the event, and a weighing of a blocked key is
refused without a sale.
"""

from __future__ import annotations

import base64
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
import paho.mqtt.client as mqtt
from sqlalchemy import Engine

from ledger.chain.freshledger import sale_id_of
from ledger.digital_link import DigitalLink, build_uri
from ledger.hexes import from_hex
from ledger.intents.accept import request_hash
from ledger.queries.plu import PluEntry, plu_tables
from ledger.scales import protocol
from ledger.scales.broker import BrokerConfig, ScaleEntry
from ledger.scales.escpos import receipt_bytes
from ledger.scales.mqtt import connect
from ledger.store import scales as store
from ledger.store.intents import IntentGroup, IntentRecord, KeyReused, NewIntent, add_intent_groups, get_intents
from ledger.store.products import product_name
from ledger.store.sale_serials import SaleCounts

log = logging.getLogger(__name__)
#: Most weighings taken in one round: the broker lets 1,000 unacknowledged ones reach the
#: gateway (``max_inflight_messages`` in :mod:`ledger.scales.broker`).
ROUND = 1000
#: Seconds a round waits for more weighings after its first. A round's sales are packed
#: into one transaction a stall; waiting a quarter of a one-second block costs a receipt at
#: most that much and keeps each stall's sales in a few transactions a block (a transaction
#: costs the gateway an estimate, a signature and a receipt to decode, however many sales).
ROUND_S = 0.25
#: Seconds between sweeps of the database for sales the submitters here did not announce
#: final (and answers the broker was away for), and how old a weighing must be for the sweep
#: to look at it (younger ones are settled as their intents become final).
SWEEP_S, SWEEP_AGE_S = 1.0, 2.0
#: Seconds between sweeps of a gateway no submitter tells (all its answers come from them).
UNTOLD_SWEEP_S = 0.05
#: Seconds between looks for keys to block.
BLOCKS_S = 0.25
#: Seconds a product's name is kept for receipts.
NAME_TTL_S = 60.0
UNIT_SYMBOLS = {"KGM": "kg", "GRM": "g", "H87": "pcs"}


@dataclass
class _Message:
    mid: int
    qos: int
    topic: str
    payload: bytes


def _sale_of(
    weighing: protocol.Weighing, entry: PluEntry | None
) -> tuple[dict[str, Any] | None, tuple[str, str] | None]:
    """The sale payload of a weighing of a key mapped to `entry`, or why there is none."""
    if entry is None or entry.gtin is None or entry.unit is None:
        return None, ("PluNotMapped", f"key {weighing.plu} sells no lot at this stall")
    if entry.blocked:
        return None, ("PluBlocked", f"key {weighing.plu}: its lot {entry.lot} is {entry.blocked}, do not sell")
    quantity = protocol.sale_quantity(weighing.net, weighing.unit, entry.unit)
    if quantity is None:
        return None, ("WeightNotWhole", f"the ledger records whole {entry.unit}; {weighing.net} {weighing.unit} is not")
    sale = {"batch_id": entry.batch_id, "quantity": quantity, "price": weighing.total, "currency": weighing.currency}
    return sale, None


class StallGateway:
    """Runs until :meth:`stop`: an MQTT client and three threads (take, answer, block)."""

    def __init__(
        self,
        engine: Engine,
        config: BrokerConfig,
        mqtt_url: str,
        *,
        public_host: str,
        public_scheme: str = "https",
        wake: Callable[[str], None] | None = None,
        client_id: str = "freshledger-stall-gateway",
        round_s: float = ROUND_S,
        sale_counts: SaleCounts | None = None,
    ) -> None:
        self.engine = engine
        #: Reads the chain's sale count of a batch: where the first serial reserved for a
        #: sale of it starts (else the index's highest serial alone).
        self.sale_counts = sale_counts
        self.config = config
        self.public_host = public_host
        self.public_scheme = public_scheme
        self.wake = wake or (lambda _sender: None)
        self.round_s = round_s
        self._inbox: queue.Queue[_Message] = queue.Queue()
        self._final: queue.Queue[list[int]] = queue.Queue()
        #: Weighings taken by this process still waiting for their sale, by intent id.
        self._waiting: dict[int, store.WeighingRecord] = {}
        self._waiting_guard = threading.Lock()
        self._swept_at = 0.0
        self._told = False  # whether a submitter of this process announces final intents
        self._stop = threading.Event()
        self._published_blocks: dict[tuple[str, str], dict[int, str]] = {}
        self._names: dict[str, str | None] = {}
        self._products: dict[str, tuple[float, str | None]] = {}
        self._scales_kept: list[ScaleEntry] = []
        self._scales_stamp: int | None = None
        self.client = connect(client_id, config.gateway(), mqtt_url, manual_ack=True)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self._threads = [
            threading.Thread(target=self._loop, args=(self._take_round, 0.0), name="gateway-take", daemon=True),
            threading.Thread(target=self._loop, args=(self._answer_round, 0.0), name="gateway-answer", daemon=True),
            threading.Thread(target=self._loop, args=(self._block_round, BLOCKS_S), name="gateway-blocks", daemon=True),
        ]

    def start(self) -> None:
        self.client.loop_start()
        for thread in self._threads:
            thread.start()

    def intents_final(self, ids: list[int]) -> None:
        """Told by a submitter of this process: these intents are recorded or refused. Once
        told, the sweep leaves the young weighings to these announcements; a gateway nobody
        tells (beside an API whose submitters settle the stalls' sales) sweeps them all."""
        self._told = True
        self._final.put(ids)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            if thread.ident is not None:  # stopped before it started (the demo interrupted early)
                thread.join(10)
        self.client.disconnect()
        self.client.loop_stop()

    # ------------------------------------------------------------ MQTT callbacks

    def _on_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if reason.is_failure:
            log.error("gateway: the broker refused the connection: %s", reason)
            return
        client.subscribe(protocol.ALL_WEIGHINGS, qos=1)
        self._published_blocks.clear()  # publish every scale's blocks again

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        self._inbox.put(_Message(message.mid, message.qos, message.topic, bytes(message.payload)))

    # ------------------------------------------------------------ rounds

    def _loop(self, work: Callable[[], None], pause: float) -> None:
        while not self._stop.is_set():
            try:
                work()
            except Exception:  # the database or the broker is away: the next round retries
                log.exception("gateway: %s failed", threading.current_thread().name)
                self._stop.wait(0.5)
            if pause:
                self._stop.wait(pause)

    def _take_round(self) -> None:
        try:
            first = self._inbox.get(timeout=0.2)
        except queue.Empty:
            return
        messages = [first]
        deadline = time.monotonic() + self.round_s
        while len(messages) < ROUND:
            left = deadline - time.monotonic()
            try:
                messages.append(self._inbox.get(timeout=left) if left > 0 else self._inbox.get_nowait())
            except queue.Empty:
                break
        self.take(messages)
        for message in messages:
            if message.qos > 0:
                self.client.ack(message.mid, message.qos)

    def take(self, messages: list[_Message]) -> None:
        """Store each weighing of `messages` once (its sale intent, or the refusal to send)."""
        parsed: list[tuple[store.Key, protocol.Weighing]] = []
        for message in messages:
            where = protocol.parse_topic(message.topic)
            if where is None:
                continue
            stall, scale_id = where
            try:
                weighing = protocol.parse_weighing(message.payload)
                if weighing.scale_id != scale_id:
                    raise protocol.BadWeighing("InvalidField", "scale_id is not the topic's scale")
            except protocol.BadWeighing as exc:
                # Not stored: without a valid number there is nothing to deduplicate by.
                answer = protocol.refusal(protocol.seq_of(message.payload), exc.reason, str(exc))
                self._publish(protocol.replies_topic(stall, scale_id), answer)
                continue
            parsed.append(((stall, scale_id, weighing.seq), weighing))
        if not parsed:
            return
        known = store.known_weighings(self.engine, [key for key, _ in parsed])
        tables = plu_tables(self.engine, sorted({key[0] for key, _ in parsed if key not in known}))
        fresh: dict[store.Key, protocol.Weighing] = {}
        for key, weighing in parsed:
            record = known.get(key)
            if record is not None:
                if record.answer is not None:
                    self._publish(protocol.replies_topic(key[0], key[1]), record.answer)
                continue  # still waiting for its sale: answered when final
            fresh.setdefault(key, weighing)  # a resend in the same round counts once
        if fresh:
            self._take_new(fresh, tables)

    def _take_new(self, fresh: dict[store.Key, protocol.Weighing], tables: dict[str, dict[int, PluEntry]]) -> None:
        """Store new weighings: refusals with their answer, sales as intents of their stall
        (one transaction for all stalls, each sale reserving its serial) with their receipt,
        then the weighings' rows (one transaction); then answer them all."""
        rows: list[store.NewWeighing] = []
        sales: dict[str, list[tuple[store.Key, dict[str, Any], dict[str, Any]]]] = {}
        for key, weighing in fresh.items():
            body = weighing.to_json()
            entry = tables.get(key[0], {}).get(weighing.plu)
            sale, reason = _sale_of(weighing, entry)
            if reason is not None:
                rows.append(store.NewWeighing(key, body, None, protocol.refusal(key[2], *reason)))
                continue
            assert entry is not None and sale is not None
            body["sale"] = {"batch_id": entry.batch_id, "gtin": entry.gtin, "lot": entry.lot, "unit": entry.unit}
            sales.setdefault(key[0], []).append((key, body, sale))
        for items, intents in zip(sales.values(), self._accept(sales), strict=True):
            for (key, body, _), intent in zip(items, intents, strict=True):
                if intent.payload["batch_id"].lower() != body["sale"]["batch_id"].lower():
                    # Taken before a crash while the key mapped another lot: the receipt
                    # names the lot that sale is of.
                    body["sale"] = self._lot_of(intent.payload["batch_id"])
                record = store.WeighingRecord(*key, body, intent.id, None)
                # A sale taken before the queue reserved serials waits for its block; one found
                # refused already (taken before a crash) gets its refusal when settled.
                early = "serial" in intent.payload and intent.status != "refused"
                answer = self.receipt(record, intent) if early else None
                rows.append(store.NewWeighing(key, body, intent.id, answer))
        store.take_weighings(self.engine, rows)
        with self._waiting_guard:
            for row in rows:
                if row.intent_id is not None:
                    record = store.WeighingRecord(*row.key, row.weighing, row.intent_id, row.answer)
                    self._waiting[row.intent_id] = record
        for stall in sales:
            self.wake(stall)
        if self.client.is_connected():  # else the sweep answers them once the broker is back
            self._answer([store.WeighingRecord(*r.key, r.weighing, r.intent_id, r.answer) for r in rows])

    def _accept(
        self, sales: dict[str, list[tuple[store.Key, dict[str, Any], dict[str, Any]]]]
    ) -> list[list[IntentRecord]]:
        """The sale intent of each item of each stall (Idempotency-Key ``scale/{id}/{seq}``):
        new, with its reserved serial, or the one stored before a crash (the same serial).
        All stalls' new intents in one transaction."""
        groups = [
            IntentGroup(
                stall,
                "sale",
                [NewIntent(sale, f"scale/{key[1]}/{key[2]}", request_hash("sale", sale)) for key, _, sale in items],
            )
            for stall, items in sales.items()
        ]
        answers = []
        outcomes = add_intent_groups(self.engine, groups, sale_counts=self.sale_counts)
        for group, outcome in zip(groups, outcomes, strict=True):
            if not isinstance(outcome, KeyReused):
                answers.append([intent for intent, _ in outcome])
                continue
            # One was taken before a crash while its key mapped another lot: that one keeps
            # the first intent, the others are stored.
            intents = []
            for item in group.items:
                (alone,) = add_intent_groups(
                    self.engine, [IntentGroup(group.sender, group.kind, [item])], sale_counts=self.sale_counts
                )
                intents.append(alone.first if isinstance(alone, KeyReused) else alone[0][0])
            answers.append(intents)
        return answers

    def _answer_round(self) -> None:
        """Settle the weighings whose intents this process's submitters settled (as they
        tell), and every ``SWEEP_S`` the ones found final in the database; send the answers
        the broker was away for."""
        try:
            ids = self._final.get(timeout=SWEEP_S / 4 if self._told else UNTOLD_SWEEP_S)
        except queue.Empty:
            ids = []
        while True:  # everything told meanwhile, in one go
            try:
                ids += self._final.get_nowait()
            except queue.Empty:
                break
        if not self.client.is_connected():
            # Settled once the broker is back: by the sweep (the rows stay unsettled).
            return
        if ids:
            with self._waiting_guard:
                records = [r for i in ids if (r := self._waiting.pop(i, None)) is not None]
            self._settle(records)
        if not self._told:
            self._answer(store.unanswered(self.engine))
            self._settle(store.unsettled(self.engine))
        elif time.monotonic() - self._swept_at >= SWEEP_S:
            self._swept_at = time.monotonic()
            older = time.time() - SWEEP_AGE_S
            self._answer(store.unanswered(self.engine, older_than=older))
            self._settle(store.unsettled(self.engine, older_than=older))

    def _answer(self, records: list[store.WeighingRecord]) -> None:
        """Send the stored answers of `records` (those that have one) and record it."""
        answers = [(r.key, r.answer) for r in records if r.answer is not None]
        for key, answer in answers:
            self._publish(protocol.replies_topic(key[0], key[1]), answer)
        if answers:
            store.mark_answered(self.engine, answers)

    def _settle(self, waiting: list[store.WeighingRecord]) -> None:
        """For each weighing whose sale intent is final: nothing more to say when it was
        recorded as its receipt said; a void of the receipt when the chain refused it; the
        receipt or refusal only now for a sale taken before serials were reserved."""
        if not waiting:
            return
        intents = get_intents(self.engine, [r.intent_id for r in waiting if r.intent_id is not None])
        settled: list[tuple[store.Key, dict[str, Any] | None]] = []
        for record in waiting:
            intent = intents.get(record.intent_id) if record.intent_id is not None else None
            if intent is None or not intent.final:
                continue
            answer: dict[str, Any] | None = None
            if intent.status != "recorded":
                error = intent.error or {}
                reason, message = error.get("name", "SaleRefused"), error.get("message") or "not sold"
                receipt = record.answer if record.answer and record.answer.get("type") == "receipt" else None
                if receipt is not None:
                    answer = protocol.void(receipt, reason, message)
                else:
                    answer = protocol.refusal(record.seq, reason, message)
            elif record.answer is None:
                answer = self.receipt(record, intent)
            if answer is not None:
                self._publish(protocol.replies_topic(record.stall, record.scale_id), answer)
            settled.append((record.key, answer))
        store.mark_settled(self.engine, settled)
        with self._waiting_guard:  # the sweep may settle some this process waits for
            for record in waiting:
                if record.intent_id is not None and record.intent_id in intents and intents[record.intent_id].final:
                    self._waiting.pop(record.intent_id, None)

    def receipt(self, record: store.WeighingRecord, intent: IntentRecord) -> dict[str, Any]:
        """The scale's receipt for the sale `intent`: its serial is the one the queue reserved
        (known as soon as the intent is stored), or for a sale taken before reservations, the
        one its block gave. Block and transaction are those known now (None before mining)."""
        result = intent.result or {}
        sale = record.weighing["sale"]
        serial = intent.payload.get("serial") or result["serial"]
        sale_id = result.get("sale_id") or "0x" + sale_id_of(from_hex(sale["batch_id"]), serial).hex()
        uri = build_uri(
            self.public_host, DigitalLink(sale["gtin"], lot=sale["lot"], serial=str(serial)), self.public_scheme
        )
        product = self._product(sale["gtin"])
        stall_name = self._stall_name(record.stall)
        quantity, price, currency = intent.payload["quantity"], intent.payload["price"], intent.payload["currency"]
        unit = UNIT_SYMBOLS.get(sale["unit"], sale["unit"])
        lines = [
            stall_name or record.stall,
            product or f"GTIN {sale['gtin']}",
            f"Lot {sale['lot']}",
            f"{quantity} {unit}   {price / 100:.2f} {currency}",
        ]
        return {
            "v": protocol.VERSION,
            "type": "receipt",
            "seq": record.seq,
            "scale_id": record.scale_id,
            "sale_id": sale_id,
            "serial": serial,
            "digital_link": uri,
            "stall": {"address": record.stall, "name": stall_name},
            "product": product,
            "gtin": sale["gtin"],
            "lot": sale["lot"],
            "quantity": quantity,
            "unit": sale["unit"],
            "net": record.weighing["net"],
            "net_unit": record.weighing["unit"],
            "price": price,
            "currency": currency,
            "block_number": intent.block_number,
            "transaction_hash": intent.tx_hash,
            "escpos": base64.b64encode(receipt_bytes(lines, uri)).decode(),
        }

    def _lot_of(self, batch_id: str) -> dict[str, Any]:
        from ledger.queries.batches import get_batch

        batch, _ = get_batch(self.engine, batch_id)
        return {"batch_id": batch_id, "gtin": batch.gtin, "lot": batch.lot, "unit": batch.unit}

    def _product(self, gtin: str) -> str | None:
        kept = self._products.get(gtin)
        if kept is None or time.monotonic() - kept[0] > NAME_TTL_S:
            kept = (time.monotonic(), product_name(self.engine, gtin))
            self._products[gtin] = kept
        return kept[1]

    def _stall_name(self, stall: str) -> str | None:
        if stall not in self._names:
            from ledger.queries.stalls import stall_entry

            try:
                self._names[stall] = stall_entry(self.engine, stall).name
            except Exception:  # not indexed yet: the address stands in
                return None
        return self._names[stall]

    def _block_round(self) -> None:
        if not self.client.is_connected():
            return
        scales = self._scales()
        tables = plu_tables(self.engine, sorted({s.stall for s in scales}))
        blocked_at = {
            stall: {plu: e.blocked for plu, e in table.items() if e.blocked} for stall, table in tables.items()
        }
        now = time.time()
        for scale in scales:
            blocked = blocked_at.get(scale.stall, {})
            where = (scale.stall, scale.scale_id)
            if self._published_blocks.get(where) != blocked:
                topic = protocol.blocks_topic(scale.stall, scale.scale_id)
                self._publish(topic, protocol.blocks(blocked, now), retain=True)
                self._published_blocks[where] = blocked

    def _scales(self) -> list[ScaleEntry]:
        """The market's scales, read again only when a scale was added or removed (the
        folder of their files changed): four times a second, 200 files cost a busy gateway."""
        folder = self.config.directory / "scales"
        try:
            stamp = folder.stat().st_mtime_ns
        except FileNotFoundError:
            stamp = None
        if stamp != self._scales_stamp or stamp is None:
            self._scales_kept, self._scales_stamp = self.config.scales(), stamp
        return self._scales_kept

    def _publish(self, topic: str, body: dict[str, Any], *, retain: bool = False) -> None:
        self.client.publish(topic, orjson.dumps(body), qos=1, retain=retain)
