"""A fleet of simulated scales in a process of its own, for ``bench/scales.py``.

Why processes: paho's network loop waits in ``select()``, which cannot watch a file descriptor
numbered 1024 or more. A scale holds six (its socket, paho's wake-up socket pair, its SQLite
file with its WAL and shared memory), so one process of 200 scales runs out at about 170:
the rest connect, fail in ``select()``, drop the connection before their CONNECT and try
again forever, and the bench waited for them without end. A fleet of at most
:data:`FLEET_MAX` scales stays far below, and several fleets also spread the scales' own
Python work (two threads a scale) over the machine's cores.

A fleet connects its scales, reports ready, waits for the common start, weighs at its share
of the rate, and records for every weighing when it was sent and answered and the sale id of
its receipt; every ``qr_every``-th weighing is watched until its sale is in the index (read
only, from the indexer's SQLite file). It reports once: at the end, or when told to stop.
"""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import os
import signal
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledger.scales import protocol
from ledger.scales.broker import ScaleEntry
from ledger.scales.simulator import ScaleSimulator
from ledger.store.models import SALE_ID_PREFIX, sale_id_prefix

#: Scales in one process: 6 descriptors each, well under select()'s 1024.
FLEET_MAX = 50
#: Seconds between looks at the index for the watched sales.
PROBE_S = 0.1
PR_SET_PDEATHSIG = 1


@dataclass
class FleetPlan:
    entries: list[ScaleEntry]
    mqtt_url: str
    state_dir: Path
    database_path: Path
    rate: float  # weighings a second per scale
    duration_s: float
    drain_s: float  # longest wait for answers and indexed sales after the last weighing
    qr_every: int
    offset: float  # this fleet's share of the common schedule's phase, 0..1


@dataclass
class FleetReport:
    connected: int = 0
    sent: list[tuple[str, int]] = field(default_factory=list)  # (scale id, seq)
    receipt_s: list[float] = field(default_factory=list)
    qr_ready_s: list[float] = field(default_factory=list)
    qr_watched: int = 0
    receipts: dict[tuple[str, int], str] = field(default_factory=dict)  # -> sale id
    refusals: int = 0
    unanswered: int = 0
    cpu_s: float = 0.0
    note: str = ""


class _Fleet:
    def __init__(self, plan: FleetPlan) -> None:
        self.plan = plan
        self.report = FleetReport()
        self._guard = threading.Lock()
        self._answered: dict[tuple[str, int], float] = {}
        self._watched: dict[str, tuple[str, float]] = {}  # scale/seq -> (sale id or "", sent at)
        self._sent_at: dict[tuple[str, int], float] = {}
        self.stop = threading.Event()
        self.cpu_at_go = _cpu_now()
        self.scales = [
            ScaleSimulator(e, plan.mqtt_url, plan.state_dir, on_answer=self._on_answer(e.scale_id), resend_s=30.0)
            for e in plan.entries
        ]

    def _on_answer(self, scale_id: str) -> Any:
        def record(weighing: protocol.Weighing, answer: dict[str, Any]) -> None:
            now = time.monotonic()
            key = (scale_id, weighing.seq)
            with self._guard:
                self._answered[key] = now
                if answer.get("type") == "receipt":
                    self.report.receipts[key] = str(answer.get("sale_id"))
                else:
                    self.report.refusals += 1

        return record

    def connect(self, timeout: float) -> int:
        for scale in self.scales:
            scale.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not all(s.client.is_connected() for s in self.scales):
            time.sleep(0.1)
        return sum(s.client.is_connected() for s in self.scales)

    def weigh(self, start_at: float) -> None:
        plan, scales = self.plan, self.scales
        interval = 1 / (plan.rate * len(scales))
        started = start_at + plan.offset * interval
        n = 0
        while not self.stop.is_set():
            due = started + n * interval
            if due - start_at >= plan.duration_s:
                break
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            scale = scales[n % len(scales)]
            seq = scale.weigh(1, 1, "KGM", 1000).seq
            key = (scale.entry.scale_id, seq)
            with self._guard:
                self._sent_at[key] = scale.sent_at[seq]
                self.report.sent.append(key)
                if len(self.report.sent) % plan.qr_every == 1 or plan.qr_every == 1:
                    self.report.qr_watched += 1
                    self._watched[f"{key[0]}/{key[1]}"] = ("", scale.sent_at[seq])
            n += 1

    def probe(self) -> None:
        """Watch sampled weighings until their sale is in the index (what the Digital Link
        resolver answers 200 from)."""
        db = sqlite3.connect(f"file:{self.plan.database_path}?mode=ro", uri=True, timeout=5)
        while not self.stop.wait(PROBE_S):
            with self._guard:
                ready = [
                    (name, self.report.receipts.get(_key(name)), sent_at)
                    for name, (_, sent_at) in self._watched.items()
                ]
            ids = {sale_id: name for name, sale_id, _ in ready if sale_id}
            found: set[str] = set()
            chunk = list(ids)
            try:
                for start in range(0, len(chunk), 500):
                    part = chunk[start : start + 500]
                    marks = ",".join("?" * len(part))
                    # Through the index on the ids' first digits (ledger.store.models.SALE_ID_PREFIX).
                    prefixes = [sale_id_prefix(sale_id) for sale_id in part]
                    rows = db.execute(
                        f"SELECT sale_id FROM sales WHERE substr(sale_id, 3, {SALE_ID_PREFIX}) IN ({marks})", prefixes
                    ).fetchall()
                    found.update(row[0] for row in rows if row[0] in ids)
            except sqlite3.OperationalError:  # the indexer has not made its tables yet
                continue
            now = time.monotonic()
            with self._guard:
                for name, sale_id, sent_at in ready:
                    key = _key(name)
                    if sale_id in found:
                        self.report.qr_ready_s.append(now - sent_at)
                        del self._watched[name]
                    elif key in self._answered and key not in self.report.receipts:
                        del self._watched[name]  # refused: no sale to resolve
        db.close()

    def pending(self) -> tuple[int, int]:
        with self._guard:
            return len(self._sent_at) - len(self._answered), len(self._watched)

    def finish(self, note: str) -> FleetReport:
        self.stop.set()
        with self._guard:
            for key, sent_at in self._sent_at.items():
                answered = self._answered.get(key)
                if answered is not None:
                    self.report.receipt_s.append(answered - sent_at)
            self.report.unanswered = len(self._sent_at) - len(self._answered)
        for scale in self.scales:  # every resender told first: the joins below do not wait
            scale.request_stop()
        stoppers = [threading.Thread(target=s.stop, daemon=True) for s in self.scales]
        for thread in stoppers:
            thread.start()
        for thread in stoppers:
            thread.join(5)
        self.report.cpu_s = _cpu_now() - self.cpu_at_go
        self.report.note = note
        return self.report


def _cpu_now() -> float:
    times = os.times()
    return times.user + times.system


def _key(name: str) -> tuple[str, int]:
    scale_id, seq = name.rsplit("/", 1)
    return scale_id, int(seq)


def _wait_flag(flag: Any, seconds: float) -> bool:
    """Whether `flag` (a shared byte) was raised within `seconds`, looking every 0.1 s."""
    deadline = time.monotonic() + seconds
    while not flag.value:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def run_fleet(plan: FleetPlan, ready: Any, go: Any, start_at: Any, quit_: Any, reports: Any) -> None:
    """A fleet process's body: `ready` (a queue) gets the connected count, `go` (a shared
    byte) starts the weighing at `start_at` (a shared monotonic time), `quit_` (a shared byte)
    cuts the run short, and `reports` (a queue) gets the :class:`FleetReport` once. Flags and
    not multiprocessing events: a process killed while waiting on an event leaves its
    condition broken, and the next ``set`` fails or blocks."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)  # not the bench's handlers: told by `quit_`
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # with the bench
    fleet = _Fleet(plan)
    note = ""
    try:
        fleet.report.connected = fleet.connect(timeout=30)
        ready.put(fleet.report.connected)
        while not _wait_flag(go, 0.2):
            if quit_.value:
                reports.put(fleet.finish("told to stop before the start"))
                return
        fleet.cpu_at_go = _cpu_now()
        prober = threading.Thread(target=fleet.probe, daemon=True)
        prober.start()
        weigher = threading.Thread(target=fleet.weigh, args=(start_at.value,), daemon=True)
        weigher.start()
        while weigher.is_alive():
            if _wait_flag(quit_, 0.2):
                note = "told to stop while weighing"
                fleet.stop.set()
                break
        weigher.join(5)
        deadline = time.monotonic() + plan.drain_s
        while not note and time.monotonic() < deadline:
            if _wait_flag(quit_, 0.2):
                note = "told to stop while draining"
                break
            if fleet.pending() == (0, 0):
                break
        else:
            if not note:
                note = f"answers or indexed sales still missing after {plan.drain_s:.0f} s"
    except Exception as exc:  # reported, so the bench prints what it measured
        note = f"fleet failed: {exc!r}"
    reports.put(fleet.finish(note))


def start_fleet(context: mp.context.BaseContext, plan: FleetPlan, **channels: Any) -> mp.process.BaseProcess:
    process = context.Process(target=run_fleet, args=(plan,), kwargs=channels, daemon=True)
    process.start()
    return process
