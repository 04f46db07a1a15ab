"""The cost of submitting queued writes, in process; one JSON line.

The write queue's other half beside ``bench/accept.py``: a fresh anvil mining a block every
``--block-time`` s, a SQLite queue, and one vendor's sales stored as queued intents at
``--rate`` a second (in bursts every 10 ms, as the API's accepting stores them) for
``--duration`` s, while a :class:`ledger.intents.pool.SubmitterPool` packs, signs, sends and
settles them. Prints ``submit_cpu_ms_per_sale`` (CPU of this whole process per sale recorded,
the storing included, anvil's not), ``sales_per_tx``, ``txs`` and ``recorded_within_s`` (from
the first sale stored to the last recorded). A figure the machine's load distorts little: the
same sales cost the same CPU however long they wait for it.

``.venv/bin/python bench/submit.py --rate 300 --duration 10``
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stock import deployed_stall
from ledger.chain.freshledger import FreshLedgerContract
from ledger.chain.node import LocalNode, free_port, rpc
from ledger.hexes import to_hex
from ledger.intents.accept import accept
from ledger.intents.pool import SubmitterPool
from ledger.store import intents as store
from ledger.store.db import make_engine, migrate

BURST_S = 0.01


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=300.0, help="sales stored a second")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of storing")
    parser.add_argument("--block-time", type=int, default=1)
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="freshledger-submit-"))
    node = LocalNode(base / "anvil", port=free_port(), persist=False)
    info = node.start()
    try:
        stall = deployed_stall(info.rpc_url, "SUBMIT-1")
        ledger, vendor, batch = stall.ledger, stall.vendor, stall.batch
        rpc(info.rpc_url, "evm_setAutomine", [False])
        rpc(info.rpc_url, "evm_setIntervalMining", [args.block_time])

        engine = make_engine(f"sqlite:///{base / 'queue.db'}")
        migrate(engine)
        pool = SubmitterPool(
            engine,
            rpc_url=info.rpc_url,
            contract=lambda client: FreshLedgerContract(client, ledger.address, ledger.abi),
            account_of={vendor.address: vendor}.get,
        )
        pool.start()
        ids: list[int] = []
        price = 0
        cpu, began = time.process_time(), time.perf_counter()
        while (now := time.perf_counter()) - began < args.duration:
            due = int((now - began) * args.rate) - len(ids)
            items = []
            for _ in range(max(due, 0)):
                price += 1
                items.append(({"batch_id": to_hex(batch), "quantity": 1, "price": price, "currency": "CNY"}, None))
            if items:
                ids += [intent.id for intent, _ in accept(engine, vendor.address, "sale", items)]
                pool.wake(vendor.address)
            time.sleep(BURST_S)
        while len(store.final_among(engine, ids)) < len(ids):
            time.sleep(0.05)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - began
        pool.stop()
        txs = store.transactions_of(engine, vendor.address)
        recorded = sum(1 for i in store.get_intents(engine, ids).values() if i.status == "recorded")
        print(
            json.dumps(
                {
                    "submit_cpu_ms_per_sale": round(cpu * 1000 / max(recorded, 1), 2),
                    "sales_per_tx": round(recorded / max(len(txs), 1), 1),
                    "txs": len(txs),
                    "sales": len(ids),
                    "recorded": recorded,
                    "recorded_within_s": round(wall, 1),
                    "rate": args.rate,
                    "duration_s": args.duration,
                    "block_time_s": args.block_time,
                    "load_average_1m": round(os.getloadavg()[0], 2),
                    "cpus": os.cpu_count(),
                }
            )
        )
        engine.dispose()
    finally:
        node.stop()


if __name__ == "__main__":
    main()
