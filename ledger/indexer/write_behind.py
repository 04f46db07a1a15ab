"""A second process that writes a bulk load's ranges while the indexer projects the next one.

A backfill's own CPU, not the node, bounds its rate, and the projection's Python and the
database driver's work on the rows ran one after the other in one process. With a writer
process they overlap: the indexer hands over range N (its rows as tuples,
:class:`~ledger.store.writer.PreparedRange`, pickled) and projects range N+1 while the writer
stores N. The hand-over costs CPU (pickling, a second interpreter): it pays only when a core
is idle for the writer, and costs 14-18% more CPU an event when none is (BENCHMARKS.md).

A range is pickled straight into one of two buffers of memory the processes share (mapped
before the fork), and only its slot and size go through the pipe: a backfill's range is
megabytes of rows, which a pipe moves 64 KiB at a time while both processes wait on each other.
Range N+1 is pickled into the other slot while N may still be read; N+2 reuses N's slot only
after the writer answered for N, which it does after reading it. A range larger than a slot
goes through the pipe whole.

Safety is unchanged: the writer applies each range with :meth:`IndexStore.write_prepared`, one
transaction holding the rows and the checkpoint, so the stored checkpoint is never ahead of
the stored rows whichever process dies. At most one range is in flight: the indexer waits
for range N to be written before it hands over N+1, and the states range N changed (which the
database may not hold yet) are read from N's write instead (:func:`~ledger.indexer.sync.project_range`).
The writer dies with the process that started it (``PR_SET_PDEATHSIG``): after a kill -9 of
the indexer no orphan goes on writing beside a restarted one; its open transaction is rolled
back. It ignores SIGINT and SIGTERM: the indexer decides when to stop, and stops it after the
range in flight.

Only bulk loads use it (a fresh database, thousands of events a range): following the head
writes a few events a poll, where a hand-over would only add latency.

Example::

    writer = WriteBehind(store)
    writer.submit(range_write)      # returns once the previous range is written
    writer.close()                  # the last range written, the process gone
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import gc
import io
import mmap
import multiprocessing
import os
import pickle
import signal
import struct
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from multiprocessing.connection import Connection

from ledger.collection import collect_young
from ledger.errors import IndexerError
from ledger.store.writer import IndexStore, PreparedRange, RangeWrite, prepare_range

#: Linux prctl option: a signal the kernel sends this process when its parent dies.
_PR_SET_PDEATHSIG = 1
#: Rows the writer process writes between its checkpoints of SQLite's WAL (about four of a
#: backfill's ranges; see _serve).
CHECKPOINT_ROWS = 50_000
#: How long a writer may take to finish its last range and exit before it is killed.
STOP_TIMEOUT_S = 60.0
#: Bytes of each of the two shared hand-over slots. The bench's ranges of 5,000 events pickle
#: to about 4.5 MB; pages of a slot are only backed once written to.
SLOT_BYTES = 64 << 20
#: A message naming a slot: the tag, the slot's number and the pickle's size.
_IN_SLOT = struct.Struct("<cBQ")
_SLOT_TAG = b"S"
_PIPE_TAG = b"P"


class WriterFailed(IndexerError):
    """The writer process failed to write a range, or died; nothing after the stored
    checkpoint was written, and the next sync resumes from it."""


class WriteBehind:
    """The writer process of one sync and the one range it may be writing."""

    def __init__(self, store: IndexStore) -> None:
        # The child must not share the parent's pooled connections (a SQLite or libpq
        # connection carried across fork is undefined behaviour): empty the pool first, the
        # parent reconnects on demand.
        store.engine.dispose()
        context = multiprocessing.get_context("fork")  # the store and its engine, as they are
        self._pipe, child_end = context.Pipe()
        # Anonymous shared mappings: the forked writer sees the same pages.
        self._slots = (mmap.mmap(-1, SLOT_BYTES), mmap.mmap(-1, SLOT_BYTES))
        self._next_slot = 0
        self._process = context.Process(
            target=_serve, args=(store, child_end, os.getpid(), self._slots), name="index-writer", daemon=True
        )
        self._process.start()
        child_end.close()
        #: The newest range handed over (written, or being written): its states and checkpoint,
        #: without its rows.
        self.last: RangeWrite | None = None
        self._in_flight = False

    def submit(self, write: RangeWrite) -> None:
        """Hand `write` to the writer once the range before it is written."""
        # Made while the writer still writes the last range (from the other slot).
        message = self._pickle(prepare_range(write))
        self.wait()
        try:
            self._pipe.send_bytes(message)
        except OSError as exc:
            raise WriterFailed(f"the writer process is gone ({exc})") from exc
        # Only the range's states and checkpoint are read again (by the next range's projection):
        # its rows are freed now, while their pickling has them in the CPU's cache, not a
        # range later, when the next one replaces this one.
        self.last = dataclasses.replace(write, rows={}, journal=[])
        self._in_flight = True

    def _pickle(self, prepared: PreparedRange) -> bytes:
        """Pickle `prepared` into the next slot and return the message naming it, or return
        the pickle itself as the message when it does not fit."""
        slot = self._next_slot
        buffer = self._slots[slot]
        buffer.seek(0)
        try:
            _dump(prepared, buffer)
        except ValueError:  # mmap.write past the slot's end
            return _PIPE_TAG + _dumps(prepared)
        self._next_slot = 1 - slot
        return _IN_SLOT.pack(_SLOT_TAG, slot, buffer.tell())

    def wait(self) -> None:
        """Return when the range in flight (if any) is written; raise if it was not."""
        if not self._in_flight:
            return
        self._in_flight = False
        try:
            failure = self._pipe.recv()
        except (EOFError, OSError) as exc:
            raise WriterFailed(f"the writer process died (exit code {self._process.exitcode})") from exc
        if failure is not None:
            raise WriterFailed(f"the writer process failed to write a range:\n{failure}")

    def close(self) -> None:
        """Wait for the range in flight, then stop the process (killed if it does not stop)."""
        try:
            self.wait()
        finally:
            with contextlib.suppress(OSError):  # already gone
                self._pipe.send_bytes(b"")  # the end
            self._process.join(STOP_TIMEOUT_S)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()
            self._pipe.close()
            for buffer in self._slots:
                buffer.close()


def _dump(prepared: PreparedRange, file: io.BytesIO | mmap.mmap) -> None:
    """Pickled without the memo (``fast``): a range is tuples of strings and numbers, no
    object twice that matters, and memoising each of its million values costs a third of
    the pickling."""
    pickler = pickle.Pickler(file, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    pickler.dump(prepared)


def _dumps(prepared: PreparedRange) -> bytes:
    buffer = io.BytesIO()
    _dump(prepared, buffer)
    return buffer.getvalue()


def _loads(message: bytes, slots: tuple[mmap.mmap, mmap.mmap]) -> PreparedRange:
    """The range a message names (in a slot) or holds (a range too large for one)."""
    if message[:1] == _PIPE_TAG:
        return pickle.loads(memoryview(message)[1:])
    _tag, slot, size = _IN_SLOT.unpack(message)
    with memoryview(slots[slot]) as view:
        return pickle.loads(view[:size])


def _serve(store: IndexStore, pipe: Connection, parent: int, slots: tuple[mmap.mmap, mmap.mmap]) -> None:
    """The writer process: write each range received, answer None or the failure's text;
    an empty message is the end."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # Each range is ~100,000 tuples unpickled at once: the automatic collector would walk
    # them (and the heap inherited from the indexer) again and again; they hold no cycles,
    # so the young objects are collected once a range instead.
    gc.disable()
    unsettled = 0  # rows written since the WAL was last checkpointed
    # SQLite's checkpoints run beside the writes, on a connection of their own (a passive
    # checkpoint waits for no writer): most of one is waiting for the disk to sync the files.
    checkpointer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wal-checkpoint")
    checkpoint: Future[None] | None = None  # running, or done and not yet looked at
    try:
        while True:
            try:
                message = pipe.recv_bytes()
            except EOFError:
                return
            if not message:
                return
            try:
                prepared = _loads(message, slots)
                store.write_prepared(prepared)
                if checkpoint is not None and checkpoint.done():
                    checkpoint.result()  # a checkpoint that failed fails the writer, as a write would
                    checkpoint = None
            except Exception:
                pipe.send(traceback.format_exc())
                return
            pipe.send(None)
            unsettled += sum(len(values) for _, _, values in prepared.rows)
            del prepared
            collect_young()
            # A bulk load lets SQLite's WAL grow (its commits do not wait for checkpoints),
            # and left to the end it was some 200 MB for the bench's 100,000 events, copied
            # into the database while the backfill waited. Copied every few ranges here, the
            # copy overlaps the indexer; not after every range: each checkpoint copies again
            # the pages that every range rewrites and syncs the files twice (after every
            # range: 3x the end's copy).
            if unsettled >= CHECKPOINT_ROWS and checkpoint is None:
                checkpoint = checkpointer.submit(store.checkpoint_wal)
                unsettled = 0
    finally:
        # The last checkpoint is waited for, not looked at: what it failed to copy is committed
        # in the WAL, and the next checkpoint copies it.
        checkpointer.shutdown(wait=True)
        store.engine.dispose()  # its own connections, closed cleanly
