"""The stalls' scales at market scale: simulated scales on loopback against a real Mosquitto,
the stall gateway and anvil mining a block every ``--block-time`` seconds; one JSON line.

``--stalls`` stalls share ``--scales`` scales; each stall sells from one large lot mapped to
key 1. The gateway (``freshledger stall-gateway``, with the stalls' submitters) and the indexer
(``freshledger index``) run as processes of their own; the scales run in fleets of at most
50, each fleet a process (:mod:`bench.scale_fleet` says why), each scale its own MQTT client
with its own credentials and memory. For ``--duration`` seconds the scales weigh at
``--rate`` weighings a second each, then the run waits (at most ``--drain``) until every
weighing is answered and every watched sale is indexed.

- ``weighings_per_s``: sales recorded on the chain per second, from the first weighing to the
  block of the last sale;
- ``receipt_p50_s`` / ``receipt_p99_s``: weighing sent -> receipt back at the scale;
- ``qr_ready_p99_s``: weighing sent -> its sale in the index, the row the Digital Link
  resolver answers 200 from (every ``--qr-every``-th weighing, watched from when it is sent);
- ``lost`` / ``doubled``: weighings without their sale on the chain / sales on the chain
  beyond one per weighing (from the node's own ``SaleRecorded`` logs);
- ``gateway_cpu_ms_per_weighing``: the gateway process's CPU (its submitters included, unless
  ``--submitter-process`` runs them in a ``freshledger submit`` of their own) from
  the start of the weighing to the end of the drain, per weighing sent;
  ``all_cpu_ms_per_weighing`` the same for every process of the run (gateway, indexer, anvil,
  Mosquitto and the scales' fleets).

The run always ends: every wait is bounded, ``--max-run`` bounds the whole (SIGALRM), and
SIGINT, SIGTERM and SIGHUP end it the same way. Whatever happens, it prints its JSON line with
what it measured (``complete`` false and ``stalled`` saying where, when it did not finish) and
stops every process it started: the gateway and indexer (each a process group, killed with
the bench by PR_SET_PDEATHSIG too), the fleets, Mosquitto and anvil; then removes its folder
(``--keep`` keeps it for a look at the logs).

Default run (the issue's): 200 scales, 60 s, 1 s blocks, 5.5 weighings a second each (1,100
offered a second: at 5 a second, the issue's goal of 1,000 recorded a second was the offered
rate itself, which the span from the first weighing to the last sale's block can only fall
short of). Shorter: ``bench/scales.py --scales 50 --duration 15``.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import multiprocessing as mp
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import contextlib

from sqlalchemy import select

from bench.freshness import percentile
from bench.scale_fleet import FLEET_MAX, FleetPlan, FleetReport, start_fleet
from ledger.chain.accounts import dev_account
from ledger.chain.client import ChainClient
from ledger.chain.deploy import deploy, save
from ledger.chain.events import event_codec
from ledger.chain.freshledger import FreshLedgerContract
from ledger.chain.node import LocalNode, free_port, rpc
from ledger.gs1 import make_gtin
from ledger.hexes import to_hex
from ledger.keys import KeyStore
from ledger.scales.broker import Broker, BrokerConfig
from ledger.settings import DEVELOPMENT_PASSWORD
from ledger.store import models
from ledger.store.db import make_engine, migrate

REPO = Path(__file__).resolve().parent.parent
GTIN = make_gtin("0690123400099")
STOCK = 10**12
#: Development accounts the stalls use (0 is the market authority, 1 the supplier).
STALL_ACCOUNTS = (5, 6, 9, 10, 11, 12, 13, 14, 15, 16)
#: Seconds a stopped helper gets before SIGKILL; seconds a fleet gets to connect its scales.
GRACE_S, CONNECT_S = 5.0, 60.0
PR_SET_PDEATHSIG = 1


class Interrupted(Exception):
    """A signal or the time limit ends the run; the JSON line says which."""


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _die_with_parent() -> None:
    """In a helper before it runs: the kernel sends it SIGTERM when the bench dies, even by
    SIGKILL, which no handler of the bench sees."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _process(args: list[str], env: dict[str, str], logfile: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "ledger.cli", *args],
        env=env,
        stdout=logfile.open("ab"),
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: stopped with all it started
        preexec_fn=_die_with_parent,
    )


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(GRACE_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(GRACE_S)
    except ProcessLookupError:
        pass


def _cpu_s(pid: int) -> float | None:
    """User and system CPU seconds of a process (its threads included), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _loadavg() -> list[str]:
    return Path("/proc/loadavg").read_text().split()[:3]


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    raise Interrupted(signal.Signals(signum).name)


class BenchRun:
    """One run: everything it started is kept here, so :meth:`close` stops it all whatever
    happened; :attr:`result` fills in as the run goes and is printed in any case."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.started_wall = time.time()
        self.base = Path(tempfile.mkdtemp(prefix="bench-scales-"))
        self.node = LocalNode(self.base / "anvil", port=free_port(), persist=False)
        self.broker: Broker | None = None
        self.helpers: dict[str, subprocess.Popen[bytes]] = {}
        self.fleets: list[mp.process.BaseProcess] = []
        # Forked, not spawned: a spawned fleet imports this script again (web3, the API's
        # settings: 15 s of CPU each on a loaded machine). The bench has no thread of its own
        # when it forks them.
        self.context = mp.get_context("fork")
        self.quit = self.context.RawValue("b", 0)  # a flag: see bench.scale_fleet.run_fleet
        self.reports: list[FleetReport] = []
        self.result: dict[str, Any] = {
            "bench": "scales",
            "scales": args.scales,
            "stalls": args.stalls,
            "duration_s": args.duration,
            "rate_per_scale": args.rate,
            "block_time_s": args.block_time,
            "gateway_round_s": args.gateway_round,
            "submitter_process": args.submitter_process,
            "complete": False,
            "stalled": None,
            "loadavg_start": _loadavg(),
        }
        self.stage = "starting anvil"

    # ------------------------------------------------------------ setting up

    def set_up(self) -> None:
        args = self.args
        info = self.node.start()
        self.node_pid = info.pid
        self.rpc_url = info.rpc_url
        self.stage = "deploying and stocking the stalls"
        client = ChainClient(info.rpc_url)
        authority = dev_account(0)
        deployment = deploy(client, authority)
        save(deployment, self.base / "data")
        self.ledger = ledger = FreshLedgerContract(client, deployment.address)
        supplier = dev_account(1)
        stalls = [dev_account(i) for i in STALL_ACCOUNTS[: args.stalls]]
        ledger.register_participant(authority, supplier.address, "SUPPLIER", "Bench Farm", "6901234000016")
        keys = KeyStore(self.base / "data" / "keystores", DEVELOPMENT_PASSWORD)
        for n, stall in enumerate(stalls):
            ledger.register_participant(authority, stall.address, "VENDOR", f"Bench stall {n}", f"JY{n:014d}")
            keys.create(stall.key)
            made = ledger.register_harvest(
                supplier,
                gtin=GTIN,
                lot=f"BENCH-{n}",
                quantity=STOCK,
                unit="KGM",
                harvested_at=int(time.time()) - 3600,
                origin="geo:30.2336,119.7248",
                document_cid=b"",
            )
            batch_id = made.event("HarvestRegistered").args["batchId"]
            ledger.hand_off(supplier, batch_id, stall.address)
            ledger.accept_hand_off(stall, batch_id)
            ledger.map_plu(stall, 1, batch_id)
        self.stage = "starting the broker and the indexer"
        self.database_path = self.base / "market.db"
        database_url = f"sqlite:///{self.database_path}"
        engine = make_engine(database_url)
        migrate(engine)
        config = BrokerConfig(self.base / "mqtt")
        self.entries = config.add_scales([(stalls[n % len(stalls)].address, f"b{n:04d}") for n in range(args.scales)])
        self.broker = Broker(config, free_port())
        self.broker.start()
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "FRESHLEDGER_DATA_DIR": str(self.base / "data"),
            "FRESHLEDGER_RPC_URL": info.rpc_url,
        }
        index = ["index", "--database-url", database_url, "--poll-interval", "0.2", "--quiet"]
        self.helpers["indexer"] = _process(index, env, self.base / "indexer.log")
        self.stage = "indexing the stalls' keys"  # the gateway needs them to take weighings
        head = client.block_number()
        checkpoint = models.Checkpoint.__table__
        self._wait(lambda: (_scalar(engine, select(checkpoint.c.block_number)) or 0) >= head, 120, "the keys indexed")
        self.stage = "starting the gateway"
        gateway = ["stall-gateway", "--mqtt-url", self.broker.url, "--config-dir", str(config.directory)]
        gateway += ["--database-url", database_url, "--public-host", "market.example"]
        if args.gateway_round is not None:
            gateway += ["--round", str(args.gateway_round)]
        if args.submitter_process:  # the stalls' submitters in a process (an interpreter) of their own
            gateway += ["--no-submit"]
            submit = ["submit", "--database-url", database_url]
            self.helpers["submitter"] = _process(submit, env, self.base / "submitter.log")
        self.helpers["gateway"] = _process(gateway, env, self.base / "gateway.log")
        # A weighing sent before the gateway's first subscription reaches nobody until the
        # scale sends it again: start once the gateway has said it runs.
        self._wait(lambda: b"stall gateway on" in (self.base / "gateway.log").read_bytes(), 120, "the gateway up")
        if args.block_time:
            rpc(info.rpc_url, "evm_setAutomine", [False])
            rpc(info.rpc_url, "evm_setIntervalMining", [args.block_time])

    def _wait(self, done: Any, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            for name, helper in self.helpers.items():
                if helper.poll() is not None:
                    raise RuntimeError(f"the {name} exited ({helper.returncode}) before {what}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {what} after {timeout:.0f} s")
            time.sleep(0.2)

    # ------------------------------------------------------------ weighing

    def weigh(self) -> None:
        args = self.args
        self.stage = "connecting the scales"
        count = -(-len(self.entries) // FLEET_MAX) if args.fleets is None else args.fleets
        shares = [self.entries[n::count] for n in range(count)]
        ready = self.context.Queue()
        self.report_queue = reports = self.context.Queue()
        go, start_at = self.context.RawValue("b", 0), self.context.RawValue("d", 0.0)
        for n, share in enumerate(shares):
            plan = FleetPlan(
                entries=share,
                mqtt_url=self.broker.url,  # type: ignore[union-attr]
                state_dir=self.base / "scales",
                database_path=self.database_path,
                rate=args.rate,
                duration_s=args.duration,
                drain_s=args.drain,
                qr_every=args.qr_every,
                offset=n / count,
            )
            channels = {"ready": ready, "go": go, "start_at": start_at, "quit_": self.quit, "reports": reports}
            self.fleets.append(start_fleet(self.context, plan, **channels))
        connected = 0
        deadline = time.monotonic() + CONNECT_S
        for _ in self.fleets:
            connected += ready.get(timeout=max(1.0, deadline - time.monotonic()))
        self.result["connected"] = connected
        if connected < len(self.entries):
            raise TimeoutError(f"{connected} of {len(self.entries)} scales connected in {CONNECT_S:.0f} s")
        log(f"{connected} scales in {count} fleets connected; weighing for {args.duration:.0f} s")
        self.stage = "weighing"
        gateway = self.helpers["gateway"].pid
        pids = {"gateway": gateway, "indexer": self.helpers["indexer"].pid, "anvil": self.node_pid}
        if "submitter" in self.helpers:
            pids["submitter"] = self.helpers["submitter"].pid
        if self.broker is not None and self.broker.process is not None:
            pids["broker"] = self.broker.process.pid
        cpu = {name: _cpu_s(pid) for name, pid in pids.items()}
        self.started_wall = time.time() + 1.0
        start_at.value = time.monotonic() + 1.0
        go.value = 1
        deadline = time.monotonic() + 1.0 + args.duration + args.drain + 30
        while len(self.reports) < len(self.fleets):
            try:
                self.reports.append(reports.get(timeout=1.0))
            except queue.Empty:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{len(self.reports)} of {len(self.fleets)} fleets reported") from None
                if time.monotonic() > start_at.value + args.duration:
                    self.stage = "waiting for the answers and the indexed sales"
        for name, before in cpu.items():
            after = _cpu_s(pids[name])
            if before is not None and after is not None:
                self.result[f"{name}_cpu_s"] = round(after - before, 2)

    def collect_after_quit(self) -> None:
        """The reports the fleets send when told to stop (what they measured so far)."""
        waiting = getattr(self, "report_queue", None)
        deadline = time.monotonic() + GRACE_S * 2
        while waiting is not None and len(self.reports) < len(self.fleets) and time.monotonic() < deadline:
            with contextlib.suppress(queue.Empty):
                self.reports.append(waiting.get(timeout=0.5))

    # ------------------------------------------------------------ counting

    def count(self) -> None:
        """The figures from the fleets' reports and the node's own logs (whatever part of
        the run got done)."""
        reports = self.reports
        sent = [key for r in reports for key in r.sent]
        receipts = {k: v for r in reports for k, v in r.receipts.items()}
        latencies = [x for r in reports for x in r.receipt_s]
        qr_ready = [x for r in reports for x in r.qr_ready_s]
        self.result.update(
            weighings=len(sent),
            offered_per_s=round(len(sent) / self.args.duration, 1),
            answered=len(latencies),
            refused=sum(r.refusals for r in reports),
            receipt_p50_s=round(percentile(latencies, 0.5), 3) if latencies else None,
            receipt_p99_s=round(percentile(latencies, 0.99), 3) if latencies else None,
            qr_ready_p50_s=round(percentile(qr_ready, 0.5), 3) if qr_ready else None,
            qr_ready_p99_s=round(percentile(qr_ready, 0.99), 3) if qr_ready else None,
            qr_watched=sum(r.qr_watched for r in reports),
            qr_ready=len(qr_ready),
            fleet_cpu_s=round(sum(r.cpu_s for r in reports), 1),
        )
        notes = sorted({r.note for r in reports if r.note})
        if notes:
            self.result["fleet_notes"] = notes
        if self.result.get("gateway_cpu_s") is not None and sent:
            self.result["gateway_cpu_ms_per_weighing"] = round(1000 * self.result["gateway_cpu_s"] / len(sent), 2)
            parts = ("gateway", "submitter", "indexer", "anvil", "broker")
            every = sum(self.result.get(f"{p}_cpu_s") or 0 for p in parts) + self.result["fleet_cpu_s"]
            self.result["all_cpu_ms_per_weighing"] = round(1000 * every / len(sent), 2)
        topic = to_hex(self.ledger.abi.event_topic("SaleRecorded"))
        query = {"fromBlock": "0x0", "toBlock": "latest", "address": self.ledger.address, "topics": [topic]}
        logs = rpc(self.rpc_url, "eth_getLogs", [query], timeout=120)
        chain_sales = event_codec(self.ledger.abi, "abi").decode_logs(logs)
        on_chain = {to_hex(e.args["saleId"]) for e in chain_sales}
        # The weighing's length (shorter when the run was cut), or until the last sale's block.
        span = max(1.0, min(self.args.duration, time.time() - self.started_wall))
        last = max((e.block_number for e in chain_sales), default=None)
        if last is not None:
            block = rpc(self.rpc_url, "eth_getBlockByNumber", [hex(last), False])
            span = max(span, int(block["timestamp"], 16) - self.started_wall)  # type: ignore[index]
        unanswered = sum(r.unanswered for r in reports)
        self.result.update(on_chain=len(chain_sales), weighings_per_s=round(len(chain_sales) / span, 1))
        if unanswered or len(reports) < len(self.fleets):
            # A weighing not answered yet may still be sold, and a sale whose receipt did not
            # reach its scale is not a double: counted only when every weighing was answered.
            self.result.update(unanswered=unanswered, lost=None, doubled=None)
        else:
            self.result.update(
                lost=sum(1 for key in sent if receipts.get(key) not in on_chain),
                doubled=max(0, len(chain_sales) - len(set(receipts.values()) & on_chain)),
            )

    # ------------------------------------------------------------ ending

    def close(self) -> None:
        """Stop everything started, each step on its own: one failing does not leave the
        others running."""
        self.quit.value = 1
        steps: list[tuple[str, Any]] = [(f"fleet {n}", fleet) for n, fleet in enumerate(self.fleets)]
        steps += [(name, helper) for name, helper in self.helpers.items()]
        for name, part in steps:
            try:
                if isinstance(part, subprocess.Popen):
                    _stop_group(part)
                else:
                    part.join(GRACE_S)
                    if part.is_alive():
                        part.kill()
                        part.join(GRACE_S)
            except Exception as exc:  # the next part must still be stopped
                log(f"stopping the {name} failed: {exc!r}")
        for name, stop in (("broker", self.broker.stop if self.broker else None), ("anvil", self.node.stop)):
            try:
                if stop is not None:
                    stop()
            except Exception as exc:  # the next part must still be stopped
                log(f"stopping {name} failed: {exc!r}")
        if self.args.keep:
            log(f"kept {self.base}")
        else:
            shutil.rmtree(self.base, ignore_errors=True)


def _scalar(engine: Any, query: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(query).scalar()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", type=int, default=200)
    parser.add_argument("--stalls", type=int, default=3, choices=range(1, len(STALL_ACCOUNTS) + 1))
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=5.5, help="weighings a second per scale")
    parser.add_argument("--block-time", type=int, default=1)
    parser.add_argument("--fleets", type=int, default=None, help=f"scale processes (default: {FLEET_MAX} scales each)")
    parser.add_argument("--qr-every", type=int, default=10, help="watch every n-th weighing until indexed")
    parser.add_argument("--drain", type=float, default=120.0, help="longest wait for answers after the weighing")
    parser.add_argument("--max-run", type=float, default=None, help="seconds the whole run may take")
    parser.add_argument("--gateway-round", type=float, default=None, help="the gateway's --round (seconds)")
    parser.add_argument(
        "--submitter-process", action="store_true", help="the submitters in a process of their own, not the gateway's"
    )
    parser.add_argument("--keep", action="store_true", help="keep the run's folder (logs, databases)")
    args = parser.parse_args()
    max_run = args.max_run or args.duration + args.drain + 300
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGALRM):
        signal.signal(signum, _on_signal)
    signal.alarm(int(max_run))
    run = BenchRun(args)
    try:
        try:
            run.set_up()
            run.weigh()
            run.result["complete"] = True
        except (Interrupted, Exception) as exc:
            reason = "time limit" if isinstance(exc, Interrupted) and str(exc) == "SIGALRM" else repr(exc)
            run.result["stalled"] = f"{run.stage}: {reason}"
            run.quit.value = 1
            signal.alarm(int(GRACE_S * 6))  # the counting below must end too
            run.collect_after_quit()
        try:
            if hasattr(run, "ledger"):
                run.count()
        except (Interrupted, Exception) as exc:
            run.result["count_failed"] = repr(exc)
    finally:
        signal.alarm(0)
        run.result["loadavg"] = _loadavg()
        print(json.dumps(run.result), flush=True)
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)  # the cleanup finishes once started
        run.close()


if __name__ == "__main__":
    main()
