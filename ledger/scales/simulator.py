"""A networked scale, simulated: its own credentials, store and forward, receipts printed.

Each weighing gets the next sequence number and is kept in the scale's own SQLite file until
its answer (a receipt or a refusal) comes back; until then it is sent again every
``RESEND_S`` seconds and at every start, always with the same number, so a broker restart, a
gateway crash or the scale's own restart lose nothing (the gateway deduplicates).

A receipt comes before its sale is on the chain; if the chain then refuses the sale, a
``void`` of that receipt follows: the scale keeps it as the weighing's answer and shows it
(a cashier takes the printed receipt back).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import paho.mqtt.client as mqtt

from ledger.json_depth import json_depth
from ledger.scales import protocol
from ledger.scales.broker import ScaleEntry
from ledger.scales.mqtt import connect

#: Seconds after which an unanswered weighing is sent again.
RESEND_S = 5.0
#: Largest reply a scale reads (a receipt with its ESC/POS bytes is some 2 kB).
MAX_REPLY = 16_384

Answer = dict[str, Any]


class ScaleSimulator:
    """One scale of `entry`'s stall, keeping its unsent weighings in `state_dir`."""

    def __init__(
        self,
        entry: ScaleEntry,
        mqtt_url: str,
        state_dir: Path,
        *,
        on_answer: Callable[[protocol.Weighing, Answer], None] | None = None,
        resend_s: float = RESEND_S,
    ) -> None:
        self.entry = entry
        self.on_answer = on_answer
        self.resend_s = resend_s
        self.blocked: dict[int, str] = {}
        self.blocks_seen = 0  # blocks messages received (the retained one at each connection too)
        self.sent_at: dict[int, float] = {}  # seq -> first send (monotonic), for latencies
        self.answered_at: dict[int, float] = {}
        self.voided_at: dict[int, float] = {}  # seq -> when its receipt was voided
        state_dir.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(state_dir / f"{entry.stall}-{entry.scale_id}.sqlite", check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")  # a scale's memory survives a crash of the scale's
        self._db.execute("PRAGMA synchronous=NORMAL")  # process; NORMAL in WAL: not each commit fsynced
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS weighings (seq INTEGER PRIMARY KEY, payload BLOB NOT NULL,"
            " answer BLOB, sent REAL NOT NULL DEFAULT 0)"
        )
        self._db.commit()
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self.client = connect(f"scale-{entry.stall}-{entry.scale_id}", entry.credentials, mqtt_url)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self._resender = threading.Thread(target=self._resend_loop, name="scale-resend", daemon=True)

    def start(self) -> None:
        self.client.loop_start()
        self._resender.start()

    def request_stop(self) -> None:
        """Tell the resender to end (:meth:`stop` then returns at once): stopping many scales,
        tell them all first."""
        self._stop.set()

    def stop(self) -> None:
        self._stop.set()
        if self._resender.ident is not None:
            self._resender.join(5)
        self.client.disconnect()
        self.client.loop_stop()
        with self._guard:
            self._db.close()

    # ------------------------------------------------------------ weighing

    def weigh(self, plu: int, net: int, unit: str, unit_price: int, currency: str = "CNY") -> protocol.Weighing:
        """Weigh and send: stored first, so it is sent (again) until it is answered."""
        with self._guard:
            (last,) = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM weighings").fetchone()
            weighing = protocol.Weighing(
                scale_id=self.entry.scale_id,
                seq=last + 1,
                plu=plu,
                net=net,
                unit=unit,
                unit_price=unit_price,
                total=protocol.expected_total(net, unit, unit_price),
                currency=currency,
                scale_time=datetime.now(UTC).isoformat(timespec="seconds"),
            )
            self._db.execute(
                "INSERT INTO weighings (seq, payload, sent) VALUES (?, ?, ?)",
                (weighing.seq, weighing.payload(), time.time()),
            )
            self._db.commit()
        self.sent_at[weighing.seq] = time.monotonic()
        self._send(weighing.payload())
        return weighing

    def unanswered(self) -> int:
        with self._guard:
            return self._db.execute("SELECT COUNT(*) FROM weighings WHERE answer IS NULL").fetchone()[0]

    def answers(self) -> dict[int, Answer]:
        with self._guard:
            rows = self._db.execute("SELECT seq, answer FROM weighings WHERE answer IS NOT NULL").fetchall()
        return {seq: orjson.loads(answer) for seq, answer in rows}

    def _send(self, payload: bytes) -> None:
        self.client.publish(protocol.weighings_topic(self.entry.stall, self.entry.scale_id), payload, qos=1)

    def _resend_loop(self) -> None:
        while not self._stop.wait(min(1.0, self.resend_s / 2)):
            if not self.client.is_connected():
                continue
            due = time.time() - self.resend_s
            with self._guard:
                rows = self._db.execute(
                    "SELECT seq, payload FROM weighings WHERE answer IS NULL AND sent < ? ORDER BY seq LIMIT 500",
                    (due,),
                ).fetchall()
                self._db.executemany("UPDATE weighings SET sent = ? WHERE seq = ?", [(time.time(), s) for s, _ in rows])
                self._db.commit()
            for _seq, payload in rows:
                self._send(payload)

    # ------------------------------------------------------------ MQTT

    def _on_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if reason.is_failure:
            return
        client.subscribe(
            [
                (protocol.replies_topic(self.entry.stall, self.entry.scale_id), 1),
                (protocol.blocks_topic(self.entry.stall, self.entry.scale_id), 1),
            ]
        )
        # Stored but unanswered from an earlier run: send them again at once.
        with self._guard:
            rows = self._db.execute("SELECT payload FROM weighings WHERE answer IS NULL ORDER BY seq").fetchall()
        for (payload,) in rows:
            self._send(payload)

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        payload = bytes(message.payload)
        if len(payload) > MAX_REPLY or json_depth(payload) > 3:
            return
        try:
            body = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return
        if not isinstance(body, dict):
            return
        if body.get("type") == "blocks":
            self.blocked = {int(b["plu"]): str(b["reason"]) for b in body.get("blocked", []) if isinstance(b, dict)}
            self.blocks_seen += 1
            return
        seq = body.get("seq")
        if type(seq) is not int:
            return
        void = body.get("type") == "void"
        with self._guard:
            row = self._db.execute("SELECT payload, answer FROM weighings WHERE seq = ?", (seq,)).fetchone()
            if row is None:
                return  # not ours
            if row[1] is not None and not (void and orjson.loads(row[1]).get("type") == "receipt"):
                return  # answered before (a resend's second answer), or voided already
            self._db.execute("UPDATE weighings SET answer = ? WHERE seq = ?", (payload, seq))
            self._db.commit()
        if void:
            self.voided_at[seq] = time.monotonic()
        self.answered_at.setdefault(seq, time.monotonic())
        if self.on_answer is not None:
            with contextlib.suppress(Exception):
                self.on_answer(protocol.parse_weighing(row[0]), body)


def receipt_text(answer: Answer) -> str:
    """What the scale's display and paper say about an answer."""
    if answer.get("type") == "void":
        return (
            f"VOID  sale #{answer.get('serial')} (weighing #{answer.get('seq')}): {answer.get('reason')}"
            f" - {answer.get('message')}\nnot sold: take the receipt back ({answer.get('digital_link')})"
        )
    if answer.get("type") != "receipt":
        return f"NOT SOLD  #{answer.get('seq')}: {answer.get('reason')} - {answer.get('message')}"
    stall = answer["stall"].get("name") or answer["stall"]["address"]
    return "\n".join(
        [
            f"{stall}",
            f"{answer.get('product') or 'GTIN ' + answer['gtin']}   lot {answer['lot']}",
            f"{answer['quantity']} {answer['unit']}   {answer['price'] / 100:.2f} {answer['currency']}",
            f"sale #{answer['serial']}" + (f"  block {answer['block_number']}" if answer.get("block_number") else ""),
            f"{answer['digital_link']}",
        ]
    )


def receipt_png(answer: Answer) -> bytes:
    """The sale label the market's printers print (:mod:`ledger.sale_labels`) for a receipt."""
    # Imported here: the label's fonts, PDF library and query types take about a second of CPU to
    # load, and a scale that is never asked for a picture of its receipt never needs them.
    from ledger.sale_labels import SaleLabel, label_png

    label = SaleLabel(
        stall_name=answer["stall"].get("name") or answer["stall"]["address"],
        product=answer.get("product"),
        gtin=answer["gtin"],
        lot=answer["lot"],
        sold_at=datetime.now(UTC),
        quantity=answer["quantity"],
        unit=answer["unit"],
        price=answer["price"],
        currency=answer["currency"],
        uri=answer["digital_link"],
    )
    return label_png(label)
