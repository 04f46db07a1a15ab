"""SQLite writers queued by a lock file (ledger.store.sqlite_writer): writers wait for one
another in the kernel, readers never wait, and nothing can hang that SQLite would have
refused."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from ledger.store.db import make_engine
from ledger.store.sqlite_writer import WriterConnection, lock_path


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "queue.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (n INTEGER)")
    return path


def connect(path: Path, timeout: float = 30.0) -> WriterConnection:
    return sqlite3.connect(path, timeout=timeout, factory=WriterConnection, check_same_thread=False)  # type: ignore[return-value]


def test_a_writer_waits_for_the_other_to_commit_and_then_writes(database: Path) -> None:
    # SQLite's own wait would give up after 0.1 s ("database is locked"): the lock file's does not.
    first, second = connect(database), connect(database, timeout=0.1)
    first.execute("INSERT INTO t VALUES (1)")
    assert first.in_transaction and first.holds_writer_lock
    order: list[str] = []
    began = threading.Event()

    def write() -> None:
        began.set()
        second.execute("INSERT INTO t VALUES (2)")
        order.append("second wrote")
        second.commit()

    writer = threading.Thread(target=write)
    writer.start()
    began.wait()
    writer.join(0.3)
    assert writer.is_alive(), "the second writer went ahead while the first held the lock"
    order.append("first commits")
    first.commit()
    writer.join(10)
    assert order == ["first commits", "second wrote"]
    assert sorted(n for (n,) in first.execute("SELECT n FROM t")) == [1, 2]


def test_readers_take_no_lock(database: Path) -> None:
    writer, reader = connect(database), connect(database)
    writer.execute("INSERT INTO t VALUES (1)")  # holds the lock, uncommitted
    assert writer.holds_writer_lock
    assert reader.execute("SELECT count(*) FROM t").fetchone() == (0,)  # the committed state, at once
    writer.commit()
    assert reader.execute("SELECT count(*) FROM t").fetchone() == (1,)


@pytest.mark.parametrize("end", ["rollback", "close"])
def test_the_lock_is_let_go_when_the_transaction_ends_without_a_commit(database: Path, end: str) -> None:
    first, second = connect(database), connect(database, timeout=0.5)
    first.execute("INSERT INTO t VALUES (1)")
    assert first.holds_writer_lock
    getattr(first, end)()
    second.execute("INSERT INTO t VALUES (2)")  # would wait forever if the lock were kept
    second.commit()
    assert second.execute("SELECT n FROM t").fetchall() == [(2,)]


def test_a_statement_outside_a_transaction_lets_go_at_once(database: Path) -> None:
    first, second = connect(database), connect(database, timeout=0.5)
    first.execute("CREATE TABLE u (n INTEGER)")  # DDL in autocommit: no transaction left open
    assert not first.in_transaction and not first.holds_writer_lock
    second.execute("INSERT INTO u VALUES (1)")
    second.commit()


def test_a_second_connection_of_the_same_thread_gets_sqlites_refusal_not_a_hang(database: Path) -> None:
    first, second = connect(database), connect(database, timeout=0.2)
    first.execute("INSERT INTO t VALUES (1)")
    assert first.holds_writer_lock
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        second.execute("INSERT INTO t VALUES (2)")
    first.commit()


def _hold_the_lock(path: str, holding: multiprocessing.synchronize.Event) -> None:
    conn = connect(Path(path))
    conn.execute("INSERT INTO t VALUES (99)")
    holding.set()
    threading.Event().wait(60)  # killed before it commits


def test_the_kernel_frees_the_lock_of_a_killed_process(database: Path) -> None:
    context = multiprocessing.get_context("spawn")
    holding = context.Event()
    holder = context.Process(target=_hold_the_lock, args=(str(database), holding))
    holder.start()
    try:
        assert holding.wait(30)
        waiting = connect(database, timeout=0.1)  # SQLite's own wait would give up at once
        done = threading.Event()

        def write() -> None:
            waiting.execute("INSERT INTO t VALUES (1)")
            waiting.commit()
            done.set()

        threading.Thread(target=write, daemon=True).start()
        assert not done.wait(0.3), "a writer went ahead while another process held the lock"
        os.kill(holder.pid, signal.SIGKILL)
        assert done.wait(30)
        assert waiting.execute("SELECT n FROM t").fetchall() == [(1,)]  # the killed one's row is gone
    finally:
        holder.kill()
        holder.join()


def test_engines_of_database_files_use_the_lock(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'index.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
        assert conn.connection.dbapi_connection.holds_writer_lock  # type: ignore[union-attr]
    assert Path(lock_path(str(tmp_path / "index.db")) or "").exists()
    memory = make_engine("sqlite://")
    with memory.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
        assert not conn.connection.dbapi_connection.holds_writer_lock  # type: ignore[union-attr]


def test_a_lock_let_go_by_another_thread_leaves_the_taker_free_to_write_again(database: Path) -> None:
    first, other = connect(database), connect(database, timeout=0.5)
    first.execute("INSERT INTO t VALUES (1)")
    assert first.holds_writer_lock
    ending = threading.Thread(target=first.rollback)  # as a pool's reset may, on its own thread
    ending.start()
    ending.join()
    assert not first.holds_writer_lock
    other.execute("INSERT INTO t VALUES (2)")  # this thread holds nothing: it takes the lock
    assert other.holds_writer_lock
    other.commit()
