"""Running the indexer as a program: wiring from settings, a progress bar, clean stops."""

from __future__ import annotations

import signal
import threading
import time
from types import FrameType

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from ledger.chain.client import ChainClient
from ledger.chain.deploy import load as load_deployment
from ledger.indexer.fetch import JsonRpc
from ledger.indexer.sync import Indexer, Source
from ledger.indexer.sync import Progress as SyncProgress
from ledger.settings import LedgerSettings
from ledger.store.db import make_engine, migrate
from ledger.store.writer import IndexStore


def build_indexer(
    settings: LedgerSettings, *, database_url: str | None = None, confirmations: int = 0, max_range: int | None = None
) -> Indexer:
    """An indexer for the recorded deployment on `settings.rpc_url`, its database migrated."""
    deployment = load_deployment(ChainClient(settings.rpc_url), settings.data_dir)
    engine = make_engine(database_url)
    migrate(engine)
    source = Source(deployment.chain_id, deployment.genesis_hash, deployment.address, deployment.deploy_block)
    indexer = Indexer(JsonRpc(settings.rpc_url), IndexStore(engine), source, confirmations=confirmations)
    if max_range is not None:
        indexer.fetcher.range = max_range
        indexer.fetcher.max_range = max_range
    indexer.check_identity()
    return indexer


def run_indexer(
    settings: LedgerSettings,
    *,
    database_url: str | None,
    confirmations: int,
    poll_interval: float,
    follow: bool,
    max_range: int | None,
    console: Console | None,
) -> None:
    """Backfill (with a progress bar on `console`), then follow until SIGINT / SIGTERM."""
    indexer = build_indexer(settings, database_url=database_url, confirmations=confirmations, max_range=max_range)
    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    if console is None:
        indexer.sync()
    else:
        _backfill_with_progress(indexer, console)
    if follow:
        if console is not None:
            console.print(f"following the chain every {poll_interval:g} s (Ctrl-C stops)")
        indexer.follow(poll_interval=poll_interval, stop=stop)


def _backfill_with_progress(indexer: Indexer, console: Console) -> None:
    columns = (
        TextColumn("[bold]indexing[/]"),
        BarColumn(),
        TextColumn("block {task.completed:,.0f}/{task.total:,.0f}"),
        TextColumn("{task.fields[events]:,} events"),
        TextColumn("{task.fields[rate]:,.0f} events/s"),
        TimeRemainingColumn(),
    )
    started = time.monotonic()
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("backfill", total=1, completed=0, events=0, rate=0.0)

        def show(progress: SyncProgress) -> None:
            elapsed = max(time.monotonic() - started, 1e-6)
            bar.update(
                task,
                total=progress.target - progress.start + 1,
                completed=progress.block - progress.start + 1,
                events=progress.events,
                rate=progress.events / elapsed,
            )

        report = indexer.sync(on_progress=show)
    elapsed = time.monotonic() - started
    console.print(
        f"backfill done: {report.blocks:,} blocks, {report.events:,} events in {elapsed:.1f} s"
        + (f", {report.reorgs} reorg(s) reconciled" if report.reorgs else "")
    )
