"""A bulk load's writer process (ledger.indexer.write_behind): the same database as a backfill
written in one process, on SQLite and PostgreSQL; a kill -9 of the indexer takes the writer
with it and loses or doubles nothing; a writer that dies or fails stops the sync with the
checkpoint at the last range written."""

from __future__ import annotations

import gc
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from ledger.chain.deploy import save
from ledger.chain.node import rpc
from ledger.indexer import write_behind
from ledger.indexer.sync import Indexer, Progress
from ledger.indexer.write_behind import WriterFailed
from tests.factories.activity import run_activity
from tests.factories.chain import Chain, make_indexer
from tests.indexer.test_crash_resume import checkpoint_of, record_many_events
from tests.support.databases import Databases, projections

#: The indexer of the kill -9 test, as a program: ranges of 3 blocks, every range through
#: the writer process.
INDEXER_PROGRAM = """
import sys
from ledger.indexer.runner import build_indexer
from ledger.settings import LedgerSettings
indexer = build_indexer(LedgerSettings(), database_url=sys.argv[1], max_range=3)
indexer.write_behind_events = 1
indexer.sync()
"""


def writing_indexer(chain: Chain, engine: Engine, *, blocks_a_range: int = 3) -> Indexer:
    """An indexer that hands every range of a bulk load to a writer process."""
    indexer = make_indexer(chain, engine)
    indexer.write_behind_events = 1
    indexer.fetcher.range = indexer.fetcher.max_range = blocks_a_range
    return indexer


def forks_of(pid: int) -> list[int]:
    """Live children of `pid` running its program (forks, like the writer; not the anvil a
    test started), from /proc: zombies count as gone."""
    program = Path(f"/proc/{pid}/cmdline").read_bytes()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z" and (entry / "cmdline").read_bytes() == program:
                found.append(int(entry.name))
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_backfill_through_the_writer_equals_one_written_in_process(chain: Chain, databases: Databases) -> None:
    # Ranges of 3 blocks: most ranges read batches the range before changed, which the
    # database may not hold yet when they are projected.
    run_activity(chain.market, rounds=4)
    engine = databases.engine()
    indexer = writing_indexer(chain, engine)
    writers: list[int] = []
    indexer.sync(on_progress=lambda _progress: writers.extend(forks_of(os.getpid())))
    assert writers, "no writer process ran"
    assert not any(alive(pid) for pid in set(writers))  # stopped with the sync
    assert not indexer.store.bulk_loading()

    clean = databases.engine()
    in_process = make_indexer(chain, clean)
    in_process.write_behind_events = 10**9
    in_process.sync()
    assert projections(engine) == projections(clean)
    with engine.connect() as conn, clean.connect() as other:
        for table in ("checkpoint", "recent_blocks", "state_journal"):
            query = text(f"SELECT * FROM {table}")
            columns = slice(1, None) if table == "state_journal" else slice(None)  # its id is a sequence
            assert sorted(tuple(row)[columns] for row in conn.execute(query)) == sorted(
                tuple(row)[columns] for row in other.execute(query)
            )

    run_activity(chain.market, rounds=1, seed=11)  # following on: no bulk load, no writer
    indexer.sync()
    make_indexer(chain, clean).sync()
    assert projections(engine) == projections(clean)


def test_ranges_too_large_for_a_slot_go_through_the_pipe(
    chain: Chain, databases: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Slots of 7 KiB: this activity's ranges of 6 blocks pickle to 4-10 KB, so some fit.
    monkeypatch.setattr(write_behind, "SLOT_BYTES", 7 * 1024)
    through_the_pipe = 0
    dumps = write_behind._dumps

    def counted(prepared: object) -> bytes:
        nonlocal through_the_pipe
        through_the_pipe += 1
        return dumps(prepared)

    monkeypatch.setattr(write_behind, "_dumps", counted)
    run_activity(chain.market, rounds=2)
    engine = databases.engine()
    ranges = 0

    def count(_progress: Progress) -> None:
        nonlocal ranges
        ranges += 1

    writing_indexer(chain, engine, blocks_a_range=6).sync(on_progress=count)
    assert 0 < through_the_pipe < ranges  # both ways were taken

    clean = databases.engine()
    in_process = make_indexer(chain, clean)
    in_process.write_behind_events = 10**9
    in_process.sync()
    assert projections(engine) == projections(clean)


def test_a_writer_killed_stops_the_sync_and_a_resume_loses_nothing(chain: Chain, databases: Databases) -> None:
    run_activity(chain.market, rounds=3)
    engine = databases.engine()
    indexer = writing_indexer(chain, engine)
    ranges = 0

    def kill_the_writer(_progress: Progress) -> None:
        nonlocal ranges
        ranges += 1
        if ranges == 3:
            for pid in forks_of(os.getpid()):
                os.kill(pid, signal.SIGKILL)

    with pytest.raises(WriterFailed):
        indexer.sync(on_progress=kill_the_writer)
    stopped_at = checkpoint_of(engine)
    assert stopped_at >= chain.deployment.deploy_block  # the ranges written before stay

    make_indexer(chain, engine).sync()
    clean = databases.engine()
    make_indexer(chain, clean).sync()
    assert projections(engine) == projections(clean)


def test_a_range_the_writer_cannot_write_stops_the_sync_at_the_range_before(chain: Chain, databases: Databases) -> None:
    run_activity(chain.market, rounds=3)
    head = int(str(rpc(chain.node.rpc_url, "eth_blockNumber")), 16)
    engine = databases.engine()
    reference = databases.engine()
    make_indexer(chain, reference).sync()
    with reference.connect() as conn:
        late = conn.execute(
            text("SELECT block_number, log_index, block_hash, block_time, tx_hash, tx_index, name FROM raw_events "
                 "WHERE block_number > :middle ORDER BY block_number LIMIT 1"),
            {"middle": (chain.deployment.deploy_block + head) // 2},
        ).one()  # fmt: skip
    indexer = writing_indexer(chain, engine)
    indexer.check_identity()
    with engine.begin() as conn:  # a row the backfill will try to insert again
        conn.execute(
            text("INSERT INTO raw_events (block_number, log_index, block_hash, block_time, tx_hash, tx_index, name, "
                 "args) VALUES (:b, :l, :h, :t, :x, :i, :n, '{}')"),
            dict(zip("blhtxin", late, strict=True)),
        )  # fmt: skip

    with pytest.raises(WriterFailed, match="raw_events"):
        indexer.sync()
    # Every range up to the one holding the duplicate was written, that one not at all.
    assert late.block_number - 3 <= checkpoint_of(engine) < late.block_number
    with engine.connect() as conn:
        written = text("SELECT count(*) FROM raw_events WHERE block_number >= :late")
        assert conn.execute(written, {"late": late.block_number}).scalar_one() == 1  # the planted row alone


def test_kill_9_of_the_indexer_takes_its_writer_and_a_resume_equals_a_clean_index(
    chain: Chain, databases: Databases, tmp_path: Path
) -> None:
    record_many_events(chain.market, rounds=30)
    save(chain.deployment, tmp_path)
    head = int(str(rpc(chain.node.rpc_url, "eth_blockNumber")), 16)
    url = databases.url()
    engine = databases.engine(url)
    env = {**os.environ, "FRESHLEDGER_DATA_DIR": str(tmp_path), "FRESHLEDGER_RPC_URL": chain.node.rpc_url}
    rng = random.Random(2027)
    kills = 0
    for trial in range(4):
        start = max(checkpoint_of(engine), chain.deployment.deploy_block)
        if head - start < 2:
            break  # earlier trials went (nearly) to the head: the count of kills below says so
        target = rng.randint(start + 1, start + (head - start) // 2)
        process = subprocess.Popen(
            [sys.executable, "-c", INDEXER_PROGRAM, url], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 60
        # Past the target with its writer running: ranges of empty blocks (the chain has three
        # after each split) are written before the writer starts, at the first range with events.
        while process.poll() is None and time.monotonic() < deadline:
            if checkpoint_of(engine) >= target and forks_of(process.pid):
                break
            time.sleep(0.005)  # watching the checkpoint of a separate process: nothing to wait on
        writers = forks_of(process.pid)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait(timeout=30)
        assert process.returncode in (0, -signal.SIGKILL), (
            process.stderr.read().decode()[-2000:] if process.stderr else ""
        )
        if process.returncode == -signal.SIGKILL:
            # Past the head's range the writer has stopped while the indexer builds the
            # deferred indexes and exits: a kill there finds no writer, and none is owed.
            assert writers or checkpoint_of(engine) == head, f"trial {trial}: no writer process was running"
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in writers) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not any(alive(pid) for pid in writers), "the writer outlived the indexer"
        assert checkpoint_of(engine) >= target or process.returncode == 0, f"trial {trial} made no progress"
    assert kills >= 3, "the backfill finished before the kills: make it longer"

    final = subprocess.Popen([sys.executable, "-c", INDEXER_PROGRAM, url], env=env, stderr=subprocess.PIPE)
    assert final.wait(timeout=120) == 0, final.stderr.read().decode()[-2000:] if final.stderr else ""
    assert checkpoint_of(engine) == head
    clean = databases.engine()
    make_indexer(chain, clean).sync()
    assert projections(engine) == projections(clean)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM raw_events WHERE name = 'BatchSplit'")).scalar_one() == 30 * 50


def test_a_bulk_load_pauses_the_collector_until_it_ends(chain: Chain, databases: Databases) -> None:
    # The cyclic collector is off while a bulk load's ranges are projected (the young objects
    # are collected once a range instead) and on again when it ends; following the head
    # leaves it alone.
    run_activity(chain.market, rounds=2)
    indexer = writing_indexer(chain, databases.engine())
    during: list[bool] = []
    indexer.sync(on_progress=lambda _progress: during.append(gc.isenabled()))
    assert during and not any(during)
    assert gc.isenabled()

    run_activity(chain.market, rounds=1, seed=5)
    during.clear()
    indexer.sync(on_progress=lambda _progress: during.append(gc.isenabled()))
    assert during and all(during)
