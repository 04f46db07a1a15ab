"""Scan answers shared by the API's worker processes on one host, in a SQLite file.

Each worker keeps the answers it uses most in its own memory (:class:`api.scan_cache.ScanCache`).
Alone, that made every page once per worker: a worker whose shoppers' connections came late
made all of them again while they waited, each page some 3 ms of CPU, and a two-worker server's
page ceiling fell from 13,000 to 2,300 requests a second while it did (BENCHMARKS.md). So an
answer made by one worker is also written here, and a worker that lacks one reads it from here
before making it: a primary-key read of tens of microseconds instead of a render.

This file is a cache and nothing more. An answer read from it is checked against the change
marks exactly like one a worker kept itself, so a stale one is never served; it names the
database it was made from (:func:`ledger.store.change_marks.database_instance`), whose
generations start again in a database made anew. A failure here (the file locked past a short
wait, a full disk, a damaged file) never fails a scan: the answer is made and served as without
it, and a file that cannot be read is left alone for the rest of the process (logged once).

It holds at most `budget` bytes of bodies: the answers written longest ago go first. Writes come
from misses only; a write that finds another worker writing waits a few milliseconds, then
gives up (the answer is kept by its own worker all the same).

Example::

    shared = SharedAnswers(data_dir / SHARED_ANSWERS_FILE, 64 << 20, database_instance(engine))
    shared.put(key, answer)     # by the worker that made it
    shared.get(key)             # by any worker: the answer, to check against the marks
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from pathlib import Path

import orjson

from api.scan_cache import ScanAnswer

log = logging.getLogger(__name__)

#: The file's name in the data directory.
SHARED_ANSWERS_FILE = "scan-answers.sqlite"
#: How long a write waits for another worker's: a miss already costs milliseconds, and the
#: answer is served without the write.
WRITE_WAIT_S = 0.02
#: How long opening the file may wait for the other workers, which open it at the same start.
OPEN_WAIT_S = 5.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    key TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    generation INTEGER NOT NULL,
    fresh_until INTEGER,
    media_type TEXT NOT NULL,
    etag TEXT NOT NULL,
    last_modified TEXT NOT NULL,
    keys TEXT NOT NULL,
    body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS totals (id INTEGER PRIMARY KEY CHECK (id = 1), bytes INTEGER NOT NULL);
INSERT OR IGNORE INTO totals (id, bytes) VALUES (1, 0);
"""
# The body is the last column: the size a write and the eviction read comes before its overflow pages.
_READ = "SELECT generation, fresh_until, media_type, etag, last_modified, keys, body FROM answers WHERE key = ?"


class SharedAnswers:
    """The host's shared answers of one database, in the SQLite file `path`."""

    def __init__(self, path: Path, budget: int, instance: str) -> None:
        self.path = path
        self.budget = budget
        self._instance = instance
        self._local = threading.local()
        self._failed = False

    def get(self, key: tuple) -> ScanAnswer | None:
        """The answer kept under `key` (not yet checked against the marks), or None."""
        if self._failed:
            return None
        try:
            row = self._connection().execute(_READ, (self._key(key),)).fetchone()
        except (sqlite3.Error, OSError) as exc:
            self._fail("read", exc)
            return None
        if row is None:
            return None
        generation, fresh_until, media_type, etag, last_modified, keys, body = row
        return ScanAnswer(
            bytes(body), media_type, etag, last_modified, tuple(orjson.loads(keys)), generation, fresh_until
        )

    def put(self, key: tuple, answer: ScanAnswer) -> None:
        """Keep `answer` under `key`, the oldest answers going when over budget; give up
        quietly when another worker holds the file longer than :data:`WRITE_WAIT_S`."""
        size = len(answer.body)
        if self._failed or size > self.budget:
            return
        name = self._key(key)
        row = (
            name,
            size,
            answer.generation,
            answer.fresh_until,
            answer.media_type,
            answer.etag,
            answer.last_modified,
            orjson.dumps(answer.keys).decode(),
            answer.body,
        )
        try:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                old = conn.execute("SELECT size FROM answers WHERE key = ?", (name,)).fetchone()
                # REPLACE gives the row a new rowid: the rowid order is the order of writing.
                conn.execute("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
                grown = size - (old[0] if old else 0)
                (total,) = conn.execute("SELECT bytes + ? FROM totals WHERE id = 1", (grown,)).fetchone()
                while total > self.budget:
                    (dropped,) = conn.execute(
                        "DELETE FROM answers WHERE rowid = (SELECT min(rowid) FROM answers) RETURNING size"
                    ).fetchone()
                    total -= dropped
                conn.execute("UPDATE totals SET bytes = ? WHERE id = 1", (total,))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except (sqlite3.Error, OSError) as exc:
            self._fail("write", exc)

    def close(self) -> None:
        """Close this thread's connection (the others close with their threads)."""
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            conn.close()

    def _key(self, key: tuple) -> str:
        return self._instance + orjson.dumps(list(key)).decode()

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Pages for a receipt's holder are kept here too: the file is the service's alone
            # (SQLite gives its WAL and shared-memory files the same permissions).
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600))
            conn = sqlite3.connect(self.path, timeout=OPEN_WAIT_S, isolation_level=None)
            try:
                conn.execute("PRAGMA journal_mode = WAL")  # the readers never wait for a writer
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.executescript(_SCHEMA)
                conn.execute(f"PRAGMA busy_timeout = {int(WRITE_WAIT_S * 1000)}")
            except BaseException:
                conn.close()
                raise
            self._local.conn = conn
        return conn

    def _fail(self, doing: str, exc: sqlite3.Error | OSError) -> None:
        if getattr(exc, "sqlite_errorname", None) in ("SQLITE_BUSY", "SQLITE_LOCKED"):
            return  # another worker holds the file: this answer goes without it, the next may not
        self._failed = True
        log.warning(
            "the shared scan answers in %s failed to %s (%s): this worker makes and keeps its answers alone "
            "until it restarts; delete the file if it is damaged",
            self.path,
            doing,
            exc,
        )
