"""Indexer throughput: raw ``eth_getLogs`` ceiling, backfill into SQLite and PostgreSQL, and
the naive loop, on one recorded chain; one JSON line on stdout.

The chain: a fresh in-memory anvil with FreshLedger, ``--events N`` events recorded with the
cheapest calls per event (harvests split into 50 children each: one ``BatchSplit`` per
child, plus the harvests), sent pipelined without waiting for each receipt. Then, in the
same run and on the same chain:

- ``raw_getlogs_events_per_s``: ``eth_getLogs`` in 2,000-block ranges, HTTP and JSON parse only;
- ``sqlite_events_per_s`` / ``postgres_events_per_s``: ``Indexer.sync`` into a fresh database
  (fetch, decode, project, write, checkpoint); ``*_share_of_raw``: the median over the runs
  of each backfill's rate over the raw rate of the same run (the goals are stated in these);
- ``sqlite_cpu_us_per_event`` / ``postgres_cpu_us_per_event``: the indexer's CPU time per
  event (its own process and the bulk load's writer process, not the node's nor PostgreSQL's),
  which stays comparable on a loaded machine where the rates do not; ``*_indexer_cpu_*``,
  ``*_writer_cpu_*`` and ``*_node_cpu_*`` the same apart, and anvil's;
- ``naive_events_per_s``: web3 ``contract.events.<Event>.get_logs`` per event type and an
  ORM object added and flushed per event (raw event rows only, so the naive loop does less
  work than the indexer).

Each figure is the median of ``--repeats`` runs (fresh database each time). Run from the
repository root: ``.venv/bin/python bench/indexer.py --events 100000``.

``--split`` instead times each stage of one backfill on its own (fetch, JSON parse, decode,
state load, projection, write, and the build of the indexes a bulk load defers), in µs per
event, on both databases; ``--profile FILE`` adds a
cProfile of the SQLite run.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import resource
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from web3 import Web3

from ledger.chain.abi import ContractAbi
from ledger.chain.accounts import dev_account
from ledger.chain.client import ChainClient
from ledger.chain.deploy import Deployment, deploy
from ledger.chain.events import EventCodec, event_codec
from ledger.chain.freshledger import FreshLedgerContract, batch_id_of, code
from ledger.chain.node import LocalNode, free_port, rpc
from ledger.collection import collect_young, collection_paused
from ledger.gs1 import make_gtin
from ledger.indexer.fetch import JsonRpc
from ledger.indexer.project import Projector
from ledger.indexer.state import StateCache, touched_keys
from ledger.indexer.sync import YOUNG_COLLECTION_EVENTS, Indexer, Source
from ledger.store.db import make_engine, migrate
from ledger.store.models import RawEvent
from ledger.store.writer import CheckpointRecord, IndexStore, RangeWrite, prepare_range

PARTS = 50
ROUNDS_PER_BLOCK = 50  # a harvest and a 50-part split each: ~110M gas a block
BLOCK_GAS_LIMIT = 200_000_000
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
GTIN = make_gtin("0690123400001")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def record_events(ledger: FreshLedgerContract, events: int) -> int:
    """Record about `events` events; return how many were recorded.

    Blocks are mined by hand, a hundred transactions each: anvil recomputes the state root
    once per block, and that (not the EVM) is what makes one transaction per block slow
    once the contract holds tens of thousands of batches.
    """
    admin, supplier = dev_account(0), dev_account(1)
    ledger.register_participant(admin, supplier.address, "SUPPLIER", "Bench Farm", "6901234000016")
    client, abi, url = ledger.client, ledger.abi, ledger.client.rpc_url
    rounds = max(1, events // (PARTS + 1))
    now = int(time.time()) - 60
    rpc(url, "evm_setAutomine", [False])
    rpc(url, "evm_setBlockGasLimit", [hex(BLOCK_GAS_LIMIT)])
    last = ""
    for i in range(rounds):
        lot = f"B{i:07d}"
        harvest = abi.encode_call(
            "registerHarvest", [int(GTIN), lot, PARTS, code("KGM", 3), now, "geo:30.2,120.1", b""]
        )
        client.send(supplier, to=ledger.address, data=harvest, abi=abi, gas=150_000)
        parts = [(f"{lot}-{p:02d}", 1) for p in range(PARTS)]
        split = abi.encode_call("split", [batch_id_of(GTIN, lot), parts])
        last = client.send(supplier, to=ledger.address, data=split, abi=abi, gas=3_000_000)
        if i % ROUNDS_PER_BLOCK == ROUNDS_PER_BLOCK - 1 or i == rounds - 1:
            rpc(url, "evm_mine")
        if i % 200 == 0:
            log(f"  recorded {i * (PARTS + 1):,} events")
    rpc(url, "evm_setAutomine", [True])
    client.wait(last, abi=abi, event_address=None)
    return rounds * (PARTS + 1) + 2  # + ParticipantRegistered and RoleGranted


def raw_fetch(url: str, address: str, start: int, end: int) -> tuple[int, float]:
    rpc = JsonRpc(url)
    began = time.perf_counter()
    count = 0
    for first in range(start, end + 1, 2_000):
        count += len(
            rpc.call(
                "eth_getLogs", [{"address": address, "fromBlock": hex(first), "toBlock": hex(min(end, first + 1_999))}]
            )
        )
    elapsed = time.perf_counter() - began
    rpc.close()
    return count, elapsed


def cpu_seconds() -> tuple[float, float]:
    """CPU time of this process, and of its ended children (the bulk load's writer process)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def node_cpu_seconds(pid: int) -> float:
    """CPU time of the node's process (anvil), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Backfill:
    """One backfill into a fresh database: events, seconds, and CPU seconds of the indexer's
    process, of its writer process and of the node (not the database server's)."""

    events: int
    seconds: float
    indexer_cpu: float
    writer_cpu: float
    node_cpu: float


def per_event(run: Backfill, part: str) -> float:
    """µs of CPU an event: ``cpu`` is the indexer's two processes together."""
    spent = run.indexer_cpu + run.writer_cpu if part == "cpu" else getattr(run, part)
    return spent / run.events * 1e6


def backfill(url: str, database_url: str, deployment: Deployment, node_pid: int) -> Backfill:
    engine = make_engine(database_url)
    migrate(engine)
    source = Source(deployment.chain_id, deployment.genesis_hash, deployment.address, deployment.deploy_block)
    indexer = Indexer(JsonRpc(url), IndexStore(engine), source)
    indexer.check_identity()
    began, (own, children), node = time.perf_counter(), cpu_seconds(), node_cpu_seconds(node_pid)
    report = indexer.sync()
    elapsed, (own_after, children_after) = time.perf_counter() - began, cpu_seconds()
    node_after = node_cpu_seconds(node_pid)
    engine.dispose()
    return Backfill(report.events, elapsed, own_after - own, children_after - children, node_after - node)


def split(url: str, database_url: str, deployment: Deployment, head: int, ranges: int) -> dict[str, float]:
    """One backfill run stage by stage, each timed on its own (no prefetch overlap): where
    the time of a backfill goes. Seconds per stage, over ranges of ``ranges`` blocks."""
    engine = make_engine(database_url)
    migrate(engine)
    store = IndexStore(engine)
    codec = event_codec(ContractAbi.load(), "stored")
    general = EventCodec(ContractAbi.load(), "stored", layouts=False)  # the decoder before layouts
    general_s = 0.0
    rpc = JsonRpc(url)
    http = rpc._http  # the same keep-alive connection the indexer reads through
    seconds = dict.fromkeys(
        ("fetch", "json_parse", "decode", "projection", "sql_load", "row_tuples", "sql_write", "index_build"), 0.0
    )
    clock = time.perf_counter
    events = 0
    began = clock()
    store.begin_bulk_load()  # as Indexer.sync does into a fresh database
    seconds["index_build"] += clock() - began
    # As Indexer.sync does during a bulk load: automatic collection paused, the young
    # objects collected now and then.
    collected = 0
    with collection_paused():
        for first in range(deployment.deploy_block, head + 1, ranges):
            last = min(head, first + ranges - 1)
            body = orjson.dumps(
                [
                    {"jsonrpc": "2.0", "id": 1, "method": "eth_getLogs",
                     "params": [{"address": deployment.address, "fromBlock": hex(first), "toBlock": hex(last)}]},
                    {"jsonrpc": "2.0", "id": 2, "method": "eth_getBlockByNumber", "params": [hex(last), False]},
                ]
            )  # fmt: skip
            t0 = clock()
            content = http.post_raw(body)[1]
            t1 = clock()
            answer = orjson.loads(content)
            logs, header = answer[0]["result"], answer[1]["result"]
            t2 = clock()
            decoded = codec.decode_logs(logs)
            t3 = clock()
            general.decode_logs(logs)
            t3b = clock()
            general_s += t3b - t3
            batch_ids, accounts = touched_keys(decoded)
            batches, participants = store.load_states(batch_ids, accounts)
            t4 = clock()
            state = StateCache(batches, participants, final_block=head)
            projector = Projector(state)
            projector.apply(decoded)
            t5 = clock()
            prepared = prepare_range(
                RangeWrite(
                    rows=projector.rows.by_table,
                    batches={key: state.batches[key] for key in state.changed_batches},
                    participants={key: state.participants[key] for key in state.changed_participants},
                    stored_batches={k for k, row in batches.items() if row is not None} & state.changed_batches,
                    stored_participants={k for k, row in participants.items() if row is not None},
                    journal=state.journal,
                    recent_blocks=[],
                    checkpoint=CheckpointRecord(last, header["hash"]),
                    prune_below=0,
                )
            )
            t5b = clock()
            store.write_prepared(prepared)
            t6 = clock()
            per_range = ("fetch", "json_parse", "decode", "projection", "sql_load", "row_tuples", "sql_write")
            spans = (t1 - t0, t2 - t1, t3 - t2, t5 - t4, t4 - t3b, t5b - t5, t6 - t5b)
            for stage, spent in zip(per_range, spans, strict=True):
                seconds[stage] += spent
            events += len(decoded)
            if events - collected >= YOUNG_COLLECTION_EVENTS:
                collect_young()
                collected = events
    began = clock()
    store.end_bulk_load()
    seconds["index_build"] += clock() - began
    rpc.close()
    engine.dispose()
    total = sum(seconds.values())
    return {
        "events": events,
        **{f"{stage}_us_per_event": round(spent / events * 1e6, 1) for stage, spent in seconds.items()},
        **{f"{stage}_share": round(spent / total, 3) for stage, spent in seconds.items()},
        "events_per_s": round(events / total),
        "decode_general_us_per_event": round(general_s / events * 1e6, 1),
    }


def split_report(url: str, deployment: Deployment, head: int, tmp: Path, args: argparse.Namespace) -> dict[str, Any]:
    count, seconds = raw_fetch(url, deployment.address, deployment.deploy_block, head)
    report: dict[str, Any] = {"raw_getlogs_events_per_s": round(count / seconds)}
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    report["sqlite"] = split(url, f"sqlite:///{tmp / 'split.db'}", deployment, head, args.split_blocks)
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile)
    database, schema = postgres_database()
    try:
        report["postgres"] = split(url, database, deployment, head, args.split_blocks)
    finally:
        drop_postgres(schema)
    report["load_average_1m"] = round(os.getloadavg()[0], 2)
    return report


def naive(
    url: str, database_url: str, deployment: Deployment, abi: list[dict[str, Any]], end: int
) -> tuple[int, float]:
    engine = make_engine(database_url)
    migrate(engine)
    w3 = Web3(Web3.HTTPProvider(url))
    contract = w3.eth.contract(address=deployment.address, abi=abi)
    names = sorted({e["name"] for e in abi if e["type"] == "event"})
    began = time.perf_counter()
    count = 0
    with Session(engine) as session:
        for first in range(deployment.deploy_block, end + 1, 2_000):
            last = min(end, first + 1_999)
            for name in names:
                for event in getattr(contract.events, name).get_logs(from_block=first, to_block=last):
                    session.add(
                        RawEvent(
                            block_number=event["blockNumber"],
                            log_index=event["logIndex"],
                            block_hash=event["blockHash"].to_0x_hex(),
                            block_time=0,  # the indexer has it from the log; naive gets it free
                            tx_hash=event["transactionHash"].to_0x_hex(),
                            tx_index=event["transactionIndex"],
                            name=name,
                            args=json.loads(Web3.to_json(dict(event["args"]))),
                        )
                    )
                    session.flush()
                    count += 1
            session.commit()
    elapsed = time.perf_counter() - began
    engine.dispose()
    return count, elapsed


def postgres_database() -> tuple[str, str]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with create_engine(POSTGRES_URL).begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}", schema


def drop_postgres(schema: str) -> None:
    with create_engine(POSTGRES_URL).begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--naive-events", type=int, default=20_000, help="cap on the events the naive loop reads")
    parser.add_argument(
        "--split", action="store_true", help="instead of the rates: time each stage of one backfill per database"
    )
    parser.add_argument("--split-blocks", type=int, default=4, help="blocks per range in --split (~2,400 events each)")
    parser.add_argument("--profile", metavar="FILE", help="with --split: write cProfile stats of the SQLite run")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="freshledger-bench-") as tmp:
        node = LocalNode(Path(tmp) / "anvil", port=free_port(), persist=False)
        info = node.start()
        try:
            client = ChainClient(info.rpc_url)
            deployment = deploy(client, dev_account(0))
            abi = ContractAbi.load()
            ledger = FreshLedgerContract(client, deployment.address, abi)
            log(f"recording {args.events:,} events ...")
            began = time.perf_counter()
            recorded = record_events(ledger, args.events)
            record_s = time.perf_counter() - began
            head = client.block_number()
            log(f"recorded {recorded:,} events in {head} blocks, {record_s:.1f} s")

            if args.split:
                print(json.dumps(split_report(info.rpc_url, deployment, head, Path(tmp), args)))
                return
            figures: dict[str, list[float]] = {"raw": [], "sqlite": [], "postgres": []}
            runs: dict[str, list[Backfill]] = {"sqlite": [], "postgres": []}
            loads: list[float] = []
            for repeat in range(args.repeats):
                count, seconds = raw_fetch(info.rpc_url, deployment.address, deployment.deploy_block, head)
                figures["raw"].append(count / seconds)
                database = f"sqlite:///{Path(tmp) / f'bench-{repeat}.db'}"
                run = backfill(info.rpc_url, database, deployment, info.pid)
                figures["sqlite"].append(run.events / run.seconds)
                runs["sqlite"].append(run)
                url, schema = postgres_database()
                try:
                    run = backfill(info.rpc_url, url, deployment, info.pid)
                    figures["postgres"].append(run.events / run.seconds)
                    runs["postgres"].append(run)
                finally:
                    drop_postgres(schema)
                loads.append(os.getloadavg()[0])
                log(
                    f"run {repeat + 1}: "
                    + ", ".join(f"{k} {v[-1]:,.0f}/s" for k, v in figures.items())
                    + f" (load {loads[-1]:.2f})"
                )

            # The naive loop is slow: it reads the first blocks, about --naive-events events.
            share = min(1.0, args.naive_events / recorded)
            naive_end = min(head, deployment.deploy_block + max(1, round((head - deployment.deploy_block) * share)))
            count, seconds = naive(info.rpc_url, f"sqlite:///{Path(tmp) / 'naive.db'}", deployment, abi.abi, naive_end)
            naive_rate = count / seconds
            log(f"naive: {count:,} events in {seconds:.1f} s")
        finally:
            node.stop()

    raw, sqlite, postgres = (statistics.median(figures[k]) for k in ("raw", "sqlite", "postgres"))
    # Each run's backfill against the raw rate of the same run (the machine's load changes
    # between runs), then the median of those shares.
    sqlite_share = statistics.median(s / r for s, r in zip(figures["sqlite"], figures["raw"], strict=True))
    postgres_share = statistics.median(p / r for p, r in zip(figures["postgres"], figures["raw"], strict=True))
    report = {
        "events": recorded,
        "blocks": head,
        "raw_getlogs_events_per_s": round(raw),
        "sqlite_events_per_s": round(sqlite),
        "postgres_events_per_s": round(postgres),
        "naive_events_per_s": round(naive_rate),
        "sqlite_share_of_raw": round(sqlite_share, 3),
        "postgres_share_of_raw": round(postgres_share, 3),
        "sqlite_over_naive": round(sqlite / naive_rate, 1),
        # The indexer's CPU (its processes, not anvil's nor PostgreSQL's): comparable under load.
        **{
            f"{database}_{part}_us_per_event": round(statistics.median(per_event(run, part) for run in done), 1)
            for database, done in runs.items()
            for part in ("cpu", "indexer_cpu", "writer_cpu", "node_cpu")
        },
        "repeats": args.repeats,
        "record_s": round(record_s, 1),
        "load_average_1m": round(os.getloadavg()[0], 2),  # a shared machine slows every figure
        "load_during_runs": [round(x, 2) for x in loads],
        "targets": {
            "sqlite_events_per_s>=10000": sqlite >= 10_000,
            "sqlite_share_of_raw>=0.6": sqlite_share >= 0.6,
            "postgres_events_per_s>=5000": postgres >= 5_000,
            "postgres_share_of_raw>=0.4": postgres_share >= 0.4,
            "sqlite_over_naive>=5": sqlite / naive_rate >= 5,
        },
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
