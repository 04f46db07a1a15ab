"""One submitter per sender: a lock that a process holds while it signs for that sender.

PostgreSQL: a session advisory lock (``pg_try_advisory_lock``) on a connection kept open for
as long as the submitter runs; the server drops it when the process dies, however it dies.
The key is derived from the schema and the sender, so queues in two schemas of one database
do not block each other.

SQLite: an OS file lock (``fcntl.flock``) on a file beside the database file, one per
sender; the kernel drops it when the process dies. A SQLite file is shared only by processes
of one machine, and all of them see the same lock files. (An in-memory database is private
to its process: a lock per process object is enough.)
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Callable
from pathlib import Path

from eth_utils import keccak
from sqlalchemy import Connection, Engine, text

_MEMORY_LOCKS: dict[tuple[int, str], threading.Lock] = {}
_MEMORY_GUARD = threading.Lock()


class SenderLock:
    """A held lock; :meth:`release` (or the process's death) frees it."""

    def __init__(self, release: Callable[[], None]) -> None:
        self._release = release
        self.held = True

    def release(self) -> None:
        if self.held:
            self.held = False
            with contextlib.suppress(Exception):
                self._release()


def try_lock(engine: Engine, sender: str) -> SenderLock | None:
    """The submitter lock of `sender` if no one holds it, else None (never waits)."""
    if engine.dialect.name == "postgresql":
        return _advisory(engine, sender)
    database = engine.url.database
    if not database or database == ":memory:":
        return _memory(engine, sender)
    return _file(Path(database), sender)


def advisory_key(schema: str, sender: str) -> int:
    """A signed 64-bit key for ``pg_advisory_lock`` from the schema and the sender."""
    digest = keccak(text=f"freshledger-submitter:{schema}:{sender.lower()}")
    return int.from_bytes(digest[:8], "big", signed=True)


def _advisory(engine: Engine, sender: str) -> SenderLock | None:
    conn: Connection = engine.connect()
    try:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        key = advisory_key(str(schema), sender)
        got = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar_one()
        conn.commit()  # a session lock outlives the transaction; no transaction stays open
    except BaseException:
        conn.close()
        raise
    if not got:
        conn.close()
        return None

    def release() -> None:
        try:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            conn.commit()
        finally:
            conn.close()

    return SenderLock(release)


def lock_path(database: Path, sender: str) -> Path:
    return database.with_name(f"{database.name}.submitter-{sender.lower()}.lock")


def _file(database: Path, sender: str) -> SenderLock | None:
    path = lock_path(database, sender)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())  # who holds it, for people looking

    def release() -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    return SenderLock(release)


def _memory(engine: Engine, sender: str) -> SenderLock | None:
    with _MEMORY_GUARD:
        lock = _MEMORY_LOCKS.setdefault((id(engine), sender.lower()), threading.Lock())
    if not lock.acquire(blocking=False):
        return None
    return SenderLock(lock.release)
