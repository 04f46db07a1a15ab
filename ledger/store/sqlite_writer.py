"""SQLite writers queued by the kernel, not by SQLite's busy handler.

A SQLite database has one writer at a time. A connection that finds the write lock taken
waits in SQLite's busy handler, which sleeps 1, 2, 5, 10, ... and then 100 ms between tries,
whether or not the lock was freed in the meantime. With many writers on one file (the write
queue's accepting threads and submitters in each API process, the indexer) the lock stood
free while its waiters slept: in 10 s of bulk sales the threads of the API and the indexer
slept 120 s in that handler, one of them 8.9 s, and the chain's blocks went out half empty.

So each connection to a database file takes an exclusive ``flock`` on a file beside it
(``<database>-writer.lock``) when it begins to write, and lets go when its transaction ends.
A waiting writer sleeps in the kernel and is woken when the lock is freed. The flock only
orders writers: SQLite's own lock still guards the file, so a writer that does not take it
(the ``sqlite3`` shell, a statement not recognised as a write) is as safe as before, and
readers take nothing (WAL lets them read during a write). The kernel drops a dead process's
flock with its files. A thread that already holds the lock through another connection
does not wait for it again: SQLite's lock (and its timeout) decides, as without this.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from typing import Any

#: The first word of a statement that begins a write transaction (Python's sqlite3 begins one
#: implicitly before INSERT, UPDATE, DELETE and REPLACE; the others write or may).
_WRITES = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN", "CREATE", "DROP", "ALTER", "VACUUM", "ANALYZE"})
#: How many writer locks each thread holds (by thread ident), through any connection: a
#: connection may be let go of by another thread (the pool's reset, a dispose).
_holders: dict[int, int] = {}
_holders_guard = threading.Lock()


def lock_path(database: str) -> str | None:
    """The writer lock file of SQLite database `database`, or None for one with no file."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return f"{database}-writer.lock"


def _is_write(sql: str) -> bool:
    words = sql.lstrip().split(None, 1)
    return bool(words) and words[0].upper() in _WRITES


class WriterConnection(sqlite3.Connection):
    """A sqlite3 connection that takes the database's writer lock for each write transaction;
    use as ``sqlite3.connect(path, factory=WriterConnection)``."""

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self._lock_path = lock_path(os.fsdecode(database)) if isinstance(database, str | bytes | os.PathLike) else None
        self._lock_fd: int | None = None
        self._owner: int | None = None  # the thread that took the lock, while held

    def cursor(self, factory: Any = None) -> sqlite3.Cursor:  # type: ignore[override]
        return super().cursor(factory or WriterCursor)

    # The connection's shortcuts make a plain cursor of their own: through ours instead.
    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:  # type: ignore[override]
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:  # type: ignore[override]
        return self.cursor().executemany(sql, parameters)

    def executescript(self, script: str, /) -> sqlite3.Cursor:  # type: ignore[override]
        return self.cursor().executescript(script)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.release_writer()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.release_writer()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.release_writer(ended=True)
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None

    def take_writer(self, sql: str) -> None:
        """Before `sql` runs: wait for the writer lock if it begins a write transaction."""
        if self._owner is not None or self._lock_path is None or self.in_transaction or not _is_write(sql):
            return
        thread = threading.get_ident()
        if _holders.get(thread):
            return  # held through another connection of this thread: waiting would never end
        if self._lock_fd is None:
            self._lock_fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)  # sleeps in the kernel, without the GIL
        self._owner = thread
        with _holders_guard:
            _holders[thread] = _holders.get(thread, 0) + 1

    def release_writer(self, *, ended: bool = False) -> None:
        """Let the writer lock go if the transaction ended (or never began); `ended`: the
        connection is closed, so its transaction is over."""
        if self._owner is None or (not ended and self.in_transaction):
            return
        with _holders_guard:
            left = _holders.pop(self._owner) - 1
            if left:
                _holders[self._owner] = left
        self._owner = None
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    @property
    def holds_writer_lock(self) -> bool:
        return self._owner is not None


class WriterCursor(sqlite3.Cursor):
    """Takes its connection's writer lock before a statement that begins a write; lets it go
    after one that ran outside a transaction (DDL in autocommit, a failed statement)."""

    connection: WriterConnection

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        self.connection.take_writer(sql)
        try:
            return super().execute(sql, parameters)
        finally:
            self.connection.release_writer()

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        self.connection.take_writer(sql)
        try:
            return super().executemany(sql, parameters)
        finally:
            self.connection.release_writer()

    def executescript(self, script: str, /) -> sqlite3.Cursor:
        self.connection.take_writer("BEGIN")
        try:
            return super().executescript(script)
        finally:
            self.connection.release_writer()
