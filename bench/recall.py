"""A lot recall at scale: how many transactions, how much gas, how long, as one JSON line.

Starts a fresh in-memory anvil, deploys FreshLedger, harvests one lot and splits it into
``--children`` repacks (100 a split), indexes it into a temporary SQLite database, traces the
lot forward and recalls it with :func:`ledger.recall.recall_lot` under the default budget
(half the latest block's gas limit). Prints the batch count, the transactions with their gas
limits and gas used, the gas model, and the time of the trace and of the recall.

Run from the repository root: ``.venv/bin/python bench/recall.py --children 3000``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ledger.chain.accounts import dev_account
from ledger.chain.client import ChainClient
from ledger.chain.deploy import deploy
from ledger.chain.freshledger import FreshLedgerContract
from ledger.chain.node import LocalNode, free_port
from ledger.gs1 import make_gtin
from ledger.indexer.fetch import JsonRpc
from ledger.indexer.sync import Indexer, Source
from ledger.queries import trace_forward
from ledger.recall import RecallSender, recall_lot
from ledger.store.db import make_engine, migrate
from ledger.store.writer import IndexStore

PARTS_PER_SPLIT = 100
GTIN = make_gtin("0690123400001")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=3000, help="repacks of the recalled lot")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        node = LocalNode(state_dir=Path(folder) / "anvil", persist=False, port=free_port())
        info = node.start()
        try:
            print(json.dumps(run(info.rpc_url, Path(folder), args.children)))
        finally:
            node.stop()


def run(rpc_url: str, folder: Path, children: int) -> dict:
    client = ChainClient(rpc_url)
    authority, farm, regulator = dev_account(0), dev_account(1), dev_account(2)
    deployment = deploy(client, authority)
    ledger = FreshLedgerContract(client, deployment.address)
    ledger.register_participant(authority, farm.address, "SUPPLIER", "Farm", "6901234000016")
    ledger.register_participant(authority, regulator.address, "REGULATOR", "Bureau", "SAMR-HZ-01")
    lot = "BENCH-RECALL"
    result = ledger.register_harvest(
        farm, gtin=GTIN, lot=lot, quantity=children, unit="KGM", harvested_at=int(time.time()) - 3600, origin="geo:1,2"
    )
    parent = result.event("HarvestRegistered").args["batchId"]
    for start in range(0, children, PARTS_PER_SPLIT):
        parts = [(f"R-{n:06d}", 1) for n in range(start, min(start + PARTS_PER_SPLIT, children))]
        ledger.split(farm, parent, parts)

    engine = make_engine(f"sqlite:///{folder / 'index.db'}")
    migrate(engine)
    source = Source(deployment.chain_id, deployment.genesis_hash, deployment.address, deployment.deploy_block)
    indexer = Indexer(JsonRpc(rpc_url), IndexStore(engine), source)
    indexer.check_identity()
    indexer.sync()

    started = time.perf_counter()
    trace = trace_forward(engine, "0x" + parent.hex())
    traced = time.perf_counter()
    recall = recall_lot(trace, RecallSender(ledger, regulator), "Listeria monocytogenes in the retained sample")
    done = time.perf_counter()
    plan = recall.outcome.plan
    return {
        "benchmark": "lot_recall",
        "batches": 1 + len(trace.descendants),
        "recalled": len(recall.recalled_batch_ids),
        "transactions": len(recall.tx_hashes),
        "block_gas_limit": RecallSender(ledger, regulator).block_gas_limit(),
        "gas_budget": plan.budget,
        "gas_model": {"base": plan.model.base, "per_batch": plan.model.per_batch} if plan.model else None,
        "gas_limits": [tx.gas_limit for tx in recall.outcome.transactions],
        "gas_used": [tx.gas_used for tx in recall.outcome.transactions],
        "trace_s": round(traced - started, 3),
        "recall_s": round(done - traced, 3),
    }


if __name__ == "__main__":
    main()
