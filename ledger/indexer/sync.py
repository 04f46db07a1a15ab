"""The indexer loop: backfill to the head, then follow it, reconciling reorgs on the way.

Each step reads one block range (``eth_getLogs`` in the range the node accepts), checks it
against the block headers of the same moment, projects it, and writes it in one database
transaction with the new checkpoint. Before each step the checkpoint's hash is compared
with the node's: on a mismatch the common ancestor is found among the kept recent block
hashes, everything above it is undone, and indexing continues on the canonical chain.

A sync into a database with nothing indexed yet is a bulk load (:mod:`ledger.store.bulk_load`):
the secondary indexes are dropped first and built once the sync reaches its target, and once a
range carries WRITE_BEHIND_EVENTS events the ranges are written by a second process
(:mod:`ledger.indexer.write_behind`) while the next one is projected.

Example::

    indexer = Indexer(JsonRpc(url), IndexStore(engine), deployment)
    indexer.check_identity()
    indexer.sync()                 # backfill to head - confirmations
    indexer.follow(poll_interval=1.0, stop=threading.Event())
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from ledger.chain.abi import ContractAbi
from ledger.chain.events import ChainEvent, event_codec
from ledger.collection import collect_young, collection_paused
from ledger.errors import ChainMismatch, ChainReorganised, NodeError, ReorgTooDeep
from ledger.indexer.fetch import BlockHeader, JsonRpc, LogFetcher
from ledger.indexer.project import Projector
from ledger.indexer.state import StateCache, touched_keys
from ledger.indexer.write_behind import WriteBehind
from ledger.store.writer import ChainIdentityRecord, CheckpointRecord, IndexStore, RangeWrite

#: How many recent block hashes (and undo journal entries) are kept. Ethereum mainnet has
#: not reorganised deeper than a handful of blocks since the merge, and a proof-of-authority
#: chain finalises far sooner; 128 leaves room for the test reorgs of 64 and any local
#: ``anvil_reorg``. A deeper reorg stops the indexer with ReorgTooDeep.
MAX_REORG_DEPTH = 128
#: A fetch that keeps meeting a changing chain gives up after this many tries.
MAX_RECONCILE_TRIES = 5
#: A bulk load starts its writer process (:mod:`ledger.indexer.write_behind`) at the first
#: range with this many events: below it, starting the process costs more than it saves.
WRITE_BEHIND_EVENTS = 1_000
#: A bulk load pauses the automatic garbage collector (:mod:`ledger.collection`) and collects
#: the young objects every this many events instead: a collection walks the ranges in hand
#: (~10 ms of CPU for two ranges of 5,000 events), so once a range would cost 2 µs an event.
YOUNG_COLLECTION_EVENTS = 100_000


@dataclass(frozen=True)
class Source:
    """The chain and contract to index (from the deployment record)."""

    chain_id: int
    genesis_hash: str
    contract_address: str
    deploy_block: int


@dataclass(frozen=True)
class Progress:
    """Where a sync stands, for progress displays."""

    block: int
    target: int
    start: int
    events: int


def write_events(
    store: IndexStore,
    events: list[ChainEvent],
    *,
    final_block: int,
    recent_blocks: list[tuple[int, str]],
    checkpoint: CheckpointRecord,
    prune_below: int,
) -> None:
    """Project `events` on the stored state and write them, with the checkpoint, in one
    transaction. Rows of blocks above `final_block` are journaled for reorgs."""
    store.write_range(
        project_range(
            store,
            events,
            final_block=final_block,
            recent_blocks=recent_blocks,
            checkpoint=checkpoint,
            prune_below=prune_below,
        )
    )


def project_range(
    store: IndexStore,
    events: list[ChainEvent],
    *,
    final_block: int,
    recent_blocks: list[tuple[int, str]],
    checkpoint: CheckpointRecord,
    prune_below: int,
    unwritten: RangeWrite | None = None,
) -> RangeWrite:
    """What writing `events` adds to the database, projected on the stored state.

    `unwritten` is a range handed to a writer process (:mod:`ledger.indexer.write_behind`)
    that the database may not hold yet: the states it changed are taken from it, not read.
    """
    batch_ids, accounts = touched_keys(events)
    pending_batches: dict[str, dict | None] = {}
    pending_participants: dict[str, dict | None] = {}
    if unwritten is not None:
        pending_batches = {key: unwritten.batches[key] for key in batch_ids & unwritten.batches.keys()}
        pending_participants = {key: unwritten.participants[key] for key in accounts & unwritten.participants.keys()}
        batch_ids.difference_update(pending_batches)
        accounts.difference_update(pending_participants)
    batches, participants = store.load_states(batch_ids, accounts)
    batches.update(pending_batches)
    participants.update(pending_participants)
    # A row of the unwritten range exists by the time this range is written (in order).
    stored_batches = {key for key, row in batches.items() if row is not None}
    stored_participants = {key for key, row in participants.items() if row is not None}
    state = StateCache(batches, participants, final_block=final_block)
    projector = Projector(state)
    projector.apply(events)
    return RangeWrite(
        rows=projector.rows.by_table,
        batches={key: state.batches[key] for key in state.changed_batches},
        participants={key: state.participants[key] for key in state.changed_participants},
        stored_batches=stored_batches & state.changed_batches,
        stored_participants=stored_participants & state.changed_participants,
        journal=state.journal,
        recent_blocks=recent_blocks,
        checkpoint=checkpoint,
        prune_below=prune_below,
    )


@dataclass(frozen=True)
class _Fetched:
    """One block range as read from the node: headers first, then logs."""

    first: int
    last: int
    head: int
    target: int
    window_start: int
    headers: dict[int, BlockHeader]
    log_blocks: list[tuple[int, str]]  # (number, hash) of each block the logs name, in order
    events: list[ChainEvent]  # the logs decoded, by the prefetch thread


def _settle(future: Future) -> None:
    """Wait for a prefetch whose result is no longer wanted; its errors do not matter."""
    with contextlib.suppress(Exception):
        future.result()


def _log_blocks(logs: list[dict]) -> tuple[list[tuple[int, str]], set[int]]:
    """The (number, hash) of each block the logs name, in their order, and the numbers of the
    blocks whose logs carry no time (a block's logs come together)."""
    blocks: list[tuple[int, str]] = []
    untimed: set[int] = set()
    seen = None
    for log in logs:
        if (log["blockNumber"], log["blockHash"]) != seen:
            seen = (log["blockNumber"], log["blockHash"])
            blocks.append((int(seen[0], 16), seen[1]))
            if not log.get("blockTimestamp"):
                untimed.add(blocks[-1][0])
    return blocks, untimed


def _released(logs: list[dict]) -> Iterator[dict]:
    """The logs in order, each dropped from the list once given out: it is freed while the
    decoder's reading of it is still in the CPU's cache. Freed together when the next range
    replaced this one, the parsed logs (thousands of dicts and strings a range, long out of
    the cache) took about 4 % of the GIL's time in a backfill (BENCHMARKS.md)."""
    for index, log in enumerate(logs):
        logs[index] = None
        yield log


@dataclass
class SyncReport:
    blocks: int = 0
    events: int = 0
    reorgs: int = 0
    removed_events: int = 0


class Indexer:
    """Mirrors one contract's events into an :class:`IndexStore`."""

    def __init__(
        self,
        rpc: JsonRpc,
        store: IndexStore,
        source: Source,
        *,
        confirmations: int = 0,
        abi: ContractAbi | None = None,
        write_behind_events: int = WRITE_BEHIND_EVENTS,
    ) -> None:
        self.rpc = rpc
        self.store = store
        self.source = source
        self.confirmations = confirmations
        self.fetcher = LogFetcher(rpc, source.contract_address)
        self.decoder = event_codec(abi or ContractAbi.load(), "stored")
        # Once a sync found (or built) every index, the database keeps them: only a database
        # with nothing indexed starts a bulk load, and a checkpoint is never removed.
        self._indexes_complete = False
        #: A bulk load hands its ranges to a writer process once one has this many events.
        self.write_behind_events = write_behind_events
        self._writer: WriteBehind | None = None

    # ------------------------------------------------------------ identity

    def check_identity(self) -> None:
        """Refuse a node or database of another chain; record the identity on first use."""
        chain_id = int(self.rpc.call("eth_chainId", []), 16)
        genesis = self.fetcher.headers([0])[0].hash
        if (chain_id, genesis) != (self.source.chain_id, self.source.genesis_hash):
            raise ChainMismatch(
                f"the node at {self.rpc.url} reports chain {chain_id} with genesis {genesis}, but the deployment "
                f"is on chain {self.source.chain_id} with genesis {self.source.genesis_hash}"
            )
        wanted = ChainIdentityRecord(chain_id, genesis, self.source.contract_address, self.source.deploy_block)
        stored = self.store.identity()
        if stored is None:
            self.store.set_identity(wanted)
        elif stored != wanted:
            raise ChainMismatch(
                f"the database mirrors contract {stored.contract_address} on chain {stored.chain_id} "
                f"(genesis {stored.genesis_hash}); refusing to mix in contract {wanted.contract_address} on chain "
                f"{wanted.chain_id} (genesis {wanted.genesis_hash}). Use another database."
            )

    # ------------------------------------------------------------ loop

    def sync(self, on_progress: Callable[[Progress], None] | None = None) -> SyncReport:
        """Index up to the node's head minus the confirmations; return what was done.

        The next range is fetched and decoded in a background thread while the current one
        is projected and written: the node's work, the wait for it and the database's own
        work (SQLite and the PostgreSQL driver release the GIL) overlap ours. A sync into a
        fresh database (or one whose bulk load was stopped) defers the secondary indexes and,
        from its first dense range, writes through a writer process; the sync returns (or
        raises) only once every range it handed over is written or refused.
        """
        report = SyncReport()
        start = self._next_block()
        report.reorgs += self._reconcile(report)
        bulk_load = self._begin_bulk_load()
        tries = 0
        # A bulk load's ranges are thousands of logs, events and rows a range, alive until the
        # range is written: the automatic collector walked them again and again (a third of
        # the indexer's CPU, BENCHMARKS.md). They hold no reference cycles (reference counting
        # frees them), so the collector is paused and the young objects are collected now and
        # then, for cycles made elsewhere meanwhile.
        paused = collection_paused() if bulk_load else contextlib.nullcontext()
        uncollected = 0
        try:
            with paused, ThreadPoolExecutor(max_workers=1, thread_name_prefix="prefetch") as pool:
                upcoming: Future[_Fetched | None] = pool.submit(self._fetch_next, self._next_block())
                while True:
                    fetched = upcoming.result()
                    if fetched is None:
                        self._stop_writer()
                        if bulk_load:
                            self.store.end_bulk_load()
                            self._indexes_complete = True
                        return report
                    if fetched.first != self._next_block():  # stale after a reconcile
                        upcoming = pool.submit(self._fetch_next, self._next_block())
                        continue
                    if bulk_load and self._writer is None and len(fetched.events) >= self.write_behind_events:
                        self._start_writer()
                    upcoming = pool.submit(self._fetch_next, fetched.last + 1)
                    try:
                        events = self._apply(fetched)
                    except ChainReorganised:
                        tries += 1
                        if tries > MAX_RECONCILE_TRIES:
                            raise
                        _settle(upcoming)
                        self._stop_writer()  # a reconcile reads and rolls back what is written
                        report.reorgs += self._reconcile(report)
                        upcoming = pool.submit(self._fetch_next, self._next_block())
                        continue
                    tries = 0
                    uncollected += events
                    if bulk_load and uncollected >= YOUNG_COLLECTION_EVENTS:
                        collect_young()
                        uncollected = 0
                    report.blocks += fetched.last - fetched.first + 1
                    report.events += events
                    if on_progress:
                        on_progress(
                            Progress(block=fetched.last, target=fetched.target, start=start, events=report.events)
                        )
        finally:
            self._stop_writer()

    def follow(
        self,
        *,
        poll_interval: float = 1.0,
        stop: threading.Event,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> None:
        """Keep syncing every `poll_interval` seconds until `stop` is set."""
        while not stop.is_set():
            started = time.monotonic()
            with contextlib.suppress(NodeError):  # the node is away: try again at the next poll
                self.sync(on_progress)
            stop.wait(max(0.0, poll_interval - (time.monotonic() - started)))

    def _begin_bulk_load(self) -> bool:
        """Whether this sync is a bulk load (:mod:`ledger.store.bulk_load`): a database with
        nothing indexed yet starts one; one that was stopped half-way goes on. Either ends
        when the sync reaches its target."""
        if self._indexes_complete:
            return False  # known from an earlier sync: follow() does not ask the schema every poll
        if self.store.bulk_loading() or self.store.checkpoint() is None:
            self.store.begin_bulk_load()
            return True
        self._indexes_complete = True
        return False

    def _start_writer(self) -> None:
        """Write this bulk load's ranges in a second process (:mod:`ledger.indexer.write_behind`),
        unless the database lives in this process's memory."""
        url = self.store.engine.url
        if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
            return
        self._writer = WriteBehind(self.store)

    def _stop_writer(self) -> None:
        """Wait until every range handed to the writer process is written; stop it."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()

    def _checkpoint(self) -> CheckpointRecord | None:
        """The checkpoint of what is written or handed to the writer process to write."""
        if self._writer is not None and self._writer.last is not None:
            return self._writer.last.checkpoint
        return self.store.checkpoint()

    # ------------------------------------------------------------ one range

    def _next_block(self) -> int:
        checkpoint = self._checkpoint()
        return self.source.deploy_block if checkpoint is None else checkpoint.block_number + 1

    def _index_range(self, first: int, last: int, head: int) -> int:
        """Fetch and index blocks ``first..last`` (no prefetching); return the event count."""
        return self._apply(self._fetch(first, last, head, head - self.confirmations))

    def _fetch_next(self, first: int) -> _Fetched | None:
        """Fetch the range that starts at `first`, or None when the head is not past it."""
        head = self.fetcher.head()
        target = head - self.confirmations
        if first > target:
            return None
        return self._fetch(first, min(target, first + self.fetcher.range - 1), head, target)

    def _fetch(self, first: int, last: int, head: int, target: int) -> _Fetched:
        # Headers first, logs second: logs of a chain that replaced these headers in between
        # carry other block hashes and are caught by the consistency check; if the new chain
        # has no logs there, the stored hashes are the old ones and the next reconcile finds
        # the reorg.
        window_start = max(first, head - MAX_REORG_DEPTH + 1)
        headers = {h.number: h for h in self.fetcher.headers(sorted(set(range(window_start, last + 1)) | {last}))}
        logs = self.fetcher.logs(first, last)
        log_blocks, untimed = _log_blocks(logs)
        headers.update((h.number, h) for h in self.fetcher.headers(sorted(untimed - headers.keys())))
        events = self.decoder.decode_logs(_released(logs), {n: h.timestamp for n, h in headers.items()})
        return _Fetched(first, last, head, target, window_start, headers, log_blocks, events)

    def _apply(self, fetched: _Fetched) -> int:
        """Decode, project and write one fetched range in one transaction; blocks at or below
        the checkpoint are already stored and skipped, so applying a range again changes
        nothing."""
        checkpoint = self._checkpoint()
        if checkpoint is not None and fetched.last <= checkpoint.block_number:
            return 0
        first = fetched.first if checkpoint is None else max(fetched.first, checkpoint.block_number + 1)
        log_blocks = fetched.log_blocks
        if first != fetched.first:
            log_blocks = [block for block in log_blocks if block[0] >= first]
        headers = fetched.headers
        self._check_consistency(first, log_blocks, headers, checkpoint)

        events = fetched.events if first == fetched.first else [e for e in fetched.events if e.block_number >= first]
        window_start = max(first, fetched.window_start)
        write = project_range(
            self.store,
            events,
            final_block=fetched.head - MAX_REORG_DEPTH,
            recent_blocks=[(n, headers[n].hash) for n in range(window_start, fetched.last + 1)],
            checkpoint=CheckpointRecord(fetched.last, headers[fetched.last].hash),
            prune_below=fetched.head - MAX_REORG_DEPTH + 1,
            unwritten=None if self._writer is None else self._writer.last,
        )
        if self._writer is None:
            self.store.write_range(write)
        else:
            self._writer.submit(write)
        return len(events)

    def _check_consistency(
        self,
        first: int,
        log_blocks: list[tuple[int, str]],
        headers: dict[int, BlockHeader],
        checkpoint: CheckpointRecord | None,
    ) -> None:
        """The logs, the headers and the stored checkpoint must describe one chain."""
        for number, block_hash in log_blocks:
            header = headers.get(number)
            if header is not None and header.hash != block_hash:
                raise ChainReorganised(f"block {number} changed while its logs were read")
        numbers = sorted(headers)
        for previous, current in itertools.pairwise(numbers):
            if current == previous + 1 and headers[current].parent_hash != headers[previous].hash:
                raise ChainReorganised(f"block {current} does not follow block {previous}")
        follows_checkpoint = checkpoint is not None and checkpoint.block_number == first - 1
        if follows_checkpoint and first in headers and headers[first].parent_hash != checkpoint.block_hash:
            raise ChainReorganised(f"block {first} does not follow the indexed block {first - 1}")

    # ------------------------------------------------------------ reorgs

    def _reconcile(self, report: SyncReport) -> int:
        """Undo indexed blocks the node no longer has; return 1 if a reorg was handled."""
        checkpoint = self.store.checkpoint()
        if checkpoint is None:
            return 0
        head = self.fetcher.head()
        if checkpoint.block_number <= head:
            (node_header,) = self.fetcher.headers([checkpoint.block_number])
            if node_header.hash == checkpoint.block_hash:
                return 0
        ancestor = self._common_ancestor(head)
        report.removed_events += self.store.rollback_to(ancestor)
        return 1

    def _common_ancestor(self, head: int) -> CheckpointRecord:
        recent = [(n, h) for n, h in self.store.recent_blocks() if n <= head]
        if recent:
            node_hashes = {h.number: h.hash for h in self.fetcher.headers([n for n, _ in recent])}
            for number, stored_hash in recent:  # newest first
                if node_hashes[number] == stored_hash:
                    return CheckpointRecord(number, stored_hash)
        oldest = recent[-1][0] if recent else None
        if oldest is None or oldest <= self.source.deploy_block:
            # Everything indexed was replaced: start again just before the deployment.
            before = self.source.deploy_block - 1
            (header,) = self.fetcher.headers([max(before, 0)])
            return CheckpointRecord(before, header.hash)
        raise ReorgTooDeep(
            f"the chain was reorganised below block {oldest}, deeper than the {MAX_REORG_DEPTH} block hashes kept; "
            "re-index into a fresh database"
        )
