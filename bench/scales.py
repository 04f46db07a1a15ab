"""The stalls' scales at market scale: simulated scales on loopback against a real Mosquitto,
the stall gateway and anvil mining a block every ``--block-time`` seconds; one JSON line.

Three stalls share ``--scales`` scales; each stall sells from one large lot mapped to key 1.
The gateway (``freshledger stall-gateway``, with the stalls' submitters) and the indexer
(``freshledger index``) run as processes of their own; the scales run here, each its own MQTT
client with its own credentials and memory. For ``--duration`` seconds the scales weigh at
``--rate`` weighings a second each, then the run waits until every weighing is answered.

- ``weighings_per_s``: sales recorded on the chain per second, from the first weighing to the
  block of the last sale;
- ``receipt_p50_s`` / ``receipt_p99_s``: weighing sent -> receipt back at the scale;
- ``qr_ready_p99_s``: weighing sent -> its sale in the index, the row the Digital Link
  resolver answers 200 from (sampled: every ``QR_SAMPLE_EVERY``-th weighing);
- ``lost`` / ``doubled``: weighings without their sale on the chain / sales on the chain
  beyond one per weighing (from the node's own ``SaleRecorded`` logs).

Default run (the issue's): 200 scales, 60 s, 1 s blocks, 5 weighings a second each. Shorter:
``bench/scales.py --scales 30 --duration 15 --rate 2``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from bench.freshness import percentile
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
from ledger.scales.simulator import ScaleSimulator
from ledger.settings import DEVELOPMENT_PASSWORD
from ledger.store import models
from ledger.store.db import make_engine, migrate

REPO = Path(__file__).resolve().parent.parent
GTIN = make_gtin("0690123400099")
STOCK = 10**12
QR_SAMPLE_EVERY = 20
DRAIN_TIMEOUT_S = 600.0


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _process(args: list[str], env: dict[str, str], logfile: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "ledger.cli", *args], env=env, stdout=logfile.open("ab"), stderr=subprocess.STDOUT
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=5.0, help="weighings a second per scale")
    parser.add_argument("--block-time", type=int, default=1)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-scales-"))
    node = LocalNode(base / "anvil", port=free_port(), persist=False)
    info = node.start()
    broker: Broker | None = None
    helpers: list[subprocess.Popen[bytes]] = []
    scales: list[ScaleSimulator] = []
    try:
        client = ChainClient(info.rpc_url)
        authority = dev_account(0)
        deployment = deploy(client, authority)
        save(deployment, base / "data")
        ledger = FreshLedgerContract(client, deployment.address)
        supplier, stalls = dev_account(1), [dev_account(i) for i in (5, 6, 9)]
        ledger.register_participant(authority, supplier.address, "SUPPLIER", "Bench Farm", "6901234000016")
        keys = KeyStore(base / "data" / "keystores", DEVELOPMENT_PASSWORD)
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
        database_url = f"sqlite:///{base / 'market.db'}"
        engine = make_engine(database_url)
        migrate(engine)
        config = BrokerConfig(base / "mqtt")
        entries = config.add_scales([(stalls[n % 3].address, f"b{n:04d}") for n in range(args.scales)])
        broker = Broker(config, free_port())
        broker.start()
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "FRESHLEDGER_DATA_DIR": str(base / "data"),
            "FRESHLEDGER_RPC_URL": info.rpc_url,
        }
        helpers.append(
            _process(
                ["index", "--database-url", database_url, "--poll-interval", "0.2", "--quiet"], env, base / "i.log"
            )
        )
        # The keys must be indexed before the gateway takes weighings.
        head = client.block_number()
        checkpoint = models.Checkpoint.__table__
        while True:
            with engine.connect() as conn:
                if (conn.execute(select(checkpoint.c.block_number)).scalar() or 0) >= head:
                    break
            time.sleep(0.2)
        gateway_args = ["stall-gateway", "--mqtt-url", broker.url, "--config-dir", str(config.directory)]
        gateway_args += ["--database-url", database_url, "--public-host", "market.example"]
        helpers.append(_process(gateway_args, env, base / "gateway.log"))
        if args.block_time:
            rpc(info.rpc_url, "evm_setAutomine", [False])
            rpc(info.rpc_url, "evm_setIntervalMining", [args.block_time])
        for entry in entries:
            scale = ScaleSimulator(entry, broker.url, base / "scales", resend_s=30.0)
            scale.start()
            scales.append(scale)
        while not all(s.client.is_connected() for s in scales):
            time.sleep(0.1)
        # A weighing sent before the gateway's first subscription reaches nobody until the
        # scale sends it again (after resend_s): start once the gateway has said it runs.
        while b"stall gateway on" not in (base / "gateway.log").read_bytes():
            time.sleep(0.2)
        time.sleep(2)
        log(f"{len(scales)} scales connected; weighing for {args.duration:.0f} s")

        weighings: list[tuple[ScaleSimulator, int]] = []
        started = time.monotonic()
        interval = 1 / (args.rate * len(scales))
        n = 0
        while (now := time.monotonic()) - started < args.duration:
            due = started + n * interval
            if due > now:
                time.sleep(due - now)
            scale = scales[n % len(scales)]
            weighings.append((scale, scale.weigh(1, 1, "KGM", 1000).seq))
            n += 1
        sent_for = time.monotonic() - started
        log(f"{len(weighings)} weighings sent in {sent_for:.1f} s; waiting for the answers")

        qr_ready: list[float] = []
        sampled = weighings[::QR_SAMPLE_EVERY]
        sales = models.Sale.__table__

        def probe() -> None:
            pending = list(sampled)
            deadline = time.monotonic() + DRAIN_TIMEOUT_S
            while pending and time.monotonic() < deadline:
                waiting = []
                for s, seq in pending:
                    answer = s.answers().get(seq) if seq in s.answered_at else None
                    if answer is None:
                        waiting.append((s, seq))
                        continue
                    if answer.get("type") != "receipt":
                        continue
                    query = select(sales.c.sale_id).where(sales.c.sale_id == answer["sale_id"])
                    with engine.connect() as conn:
                        if conn.execute(query).first() is None:
                            waiting.append((s, seq))
                            continue
                    qr_ready.append(time.monotonic() - s.sent_at[seq])
                pending = waiting
                time.sleep(0.1)

        prober = threading.Thread(target=probe, daemon=True)
        prober.start()
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while sum(s.unanswered() for s in scales) and time.monotonic() < deadline:
            time.sleep(0.5)
        prober.join(DRAIN_TIMEOUT_S)
        time.sleep(max(args.block_time, 1) * 2)

        receipts = {}
        latencies = []
        for scale in scales:
            for seq, answer in scale.answers().items():
                if answer.get("type") == "receipt":
                    receipts[(scale.entry.scale_id, seq)] = answer["sale_id"]
                if seq in scale.answered_at and seq in scale.sent_at:
                    latencies.append(scale.answered_at[seq] - scale.sent_at[seq])
        logs = rpc(
            info.rpc_url,
            "eth_getLogs",
            [
                {
                    "fromBlock": "0x0",
                    "toBlock": "latest",
                    "address": ledger.address,
                    "topics": [to_hex(ledger.abi.event_topic("SaleRecorded"))],
                }
            ],
            timeout=120,
        )
        chain_sales = event_codec(ledger.abi, "abi").decode_logs(logs)
        on_chain = {to_hex(e.args["saleId"]) for e in chain_sales}
        last = max((e.block_number for e in chain_sales), default=None)
        first_time = time.time() - (time.monotonic() - started)
        span = sent_for
        if last is not None:
            block = rpc(info.rpc_url, "eth_getBlockByNumber", [hex(last), False])
            span = int(block["timestamp"], 16) - first_time  # type: ignore[index]
        lost = sum(1 for key in ((s.entry.scale_id, q) for s, q in weighings) if receipts.get(key) not in on_chain)
        result = {
            "bench": "scales",
            "scales": len(scales),
            "duration_s": args.duration,
            "rate_per_scale": args.rate,
            "block_time_s": args.block_time,
            "weighings": len(weighings),
            "weighings_per_s": round(len(chain_sales) / max(span, sent_for), 1),  # recorded on the chain
            "receipt_p50_s": round(percentile(latencies, 0.5), 3) if latencies else None,
            "receipt_p99_s": round(percentile(latencies, 0.99), 3) if latencies else None,
            "qr_ready_p99_s": round(percentile(qr_ready, 0.99), 3) if qr_ready else None,
            "lost": lost,
            "doubled": max(0, len(chain_sales) - len(set(receipts.values()) & on_chain)),
            "loadavg": Path("/proc/loadavg").read_text().split()[:3],
        }
        print(json.dumps(result))
    finally:
        for scale in scales:
            scale.stop()
        for helper in helpers:
            helper.terminate()
            try:
                helper.wait(15)
            except subprocess.TimeoutExpired:
                helper.kill()
        if broker is not None:
            broker.stop()
        node.stop()


if __name__ == "__main__":
    main()
