"""``freshledger demo`` up to serving: chain, deployment, the market, the index; with progress.

Each stage is a line of a rich progress display that stays on screen once done. Recording
runs inside an anvil snapshot: a Ctrl-C while recording reverts the chain to before the
market (the deployment stays), so the next run records it whole instead of finding half a
market. The serving stage is :func:`api.demo.serve_demo` (``ledger`` knows no web).
"""

from __future__ import annotations

import contextlib
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import FrameType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Column, Table
from sqlalchemy import Engine

from ledger.chain.accounts import dev_account
from ledger.chain.client import ChainClient
from ledger.chain.deploy import Deployment, deploy_or_load
from ledger.chain.freshledger import FreshLedgerContract
from ledger.chain.node import LocalNode, rpc
from ledger.demo import scenario
from ledger.demo.catalog import add_demo_products
from ledger.demo.ratings import add_demo_ratings
from ledger.demo.scenario import Step
from ledger.documents.backends import open_store
from ledger.indexer.runner import build_indexer
from ledger.indexer.sync import Indexer
from ledger.settings import LedgerSettings, load_settings
from ledger.store.intents import last_intent_id, withdraw_since

UNIT_WORDS = {"KGM": "kg", "H87": "each"}
#: Stages of the progress display, in order (the last one belongs to the API).
STAGES = ("chain", "deploy", "record scenario", "index", "serve")


@dataclass
class DemoMarket:
    """A running local chain with the demo market recorded and indexed."""

    settings: LedgerSettings
    node: LocalNode
    deployment: Deployment
    deployed: bool  # a new deployment this run (else the recorded one was reused)
    ledger: FreshLedgerContract
    indexer: Indexer
    steps: list[Step] = field(default_factory=list)  # recorded this run (empty when resumed)
    events: int = 0  # indexed this run

    @property
    def engine(self) -> Engine:
        return self.indexer.store.engine


class DemoProgress:
    """The stage lines: a spinner while running, a tick and a note when done."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            SpinnerColumn(finished_text="[green]✓[/]"),
            TextColumn("[bold]{task.description:<16}[/]", table_column=Column(no_wrap=True)),
            BarColumn(bar_width=24),
            MofNCompleteColumn(table_column=Column(no_wrap=True, min_width=5)),
            TimeElapsedColumn(),
            # The note takes what is left of the line and is cut there, never squeezing the rest.
            TextColumn("{task.fields[note]}", table_column=Column(ratio=1, no_wrap=True, overflow="ellipsis")),
            console=console,
            expand=True,
        )
        self.tasks = {name: self.progress.add_task(name, total=1, start=False, note="") for name in STAGES}

    def start(self) -> None:
        self.progress.start()

    def stop(self) -> None:
        """End the live display (idempotent); finished stage lines stay on screen."""
        self.progress.stop()

    @contextlib.contextmanager
    def stage(self, name: str, total: int = 1) -> Iterator[None]:
        task = self.tasks[name]
        self.progress.update(task, total=total)
        self.progress.start_task(task)
        yield
        self.progress.update(task, completed=total)
        self.progress.stop_task(task)

    def advance(self, name: str, note: str | None = None) -> None:
        task = self.tasks[name]
        self.progress.advance(task)
        if note is not None:
            self.progress.update(task, note=note)

    def note(self, name: str, note: str, *, completed: int | None = None) -> None:
        self.progress.update(self.tasks[name], note=note, completed=completed)


def prepare_demo(progress: DemoProgress) -> DemoMarket:
    """Start the chain, deploy or reuse, record the market unless it is there, index it."""
    with progress.stage("chain"):
        node = LocalNode(load_settings().chain_dir)
        info = node.start()
        settings = load_settings()  # now pointing at the running node
        progress.note("chain", f"anvil {info.rpc_url} (pid {info.pid}), state in {settings.chain_dir}")
    with progress.stage("deploy"):
        client = ChainClient(info.rpc_url)
        deployment, deployed = deploy_or_load(client, dev_account(0), settings.data_dir)
        progress.note(
            "deploy",
            f"FreshLedger {'deployed' if deployed else 'reused'} at {deployment.address} "
            f"(chain {deployment.chain_id}, block {deployment.deploy_block})",
        )
    ledger = FreshLedgerContract(client, deployment.address)
    indexer = build_indexer(settings)
    demo = DemoMarket(settings, node, deployment, deployed, ledger, indexer)
    total = scenario.scenario_size()
    with progress.stage("record scenario", total):
        if scenario.already_recorded(ledger):
            progress.note(
                "record scenario",
                "the market is on this chain already; not recording it twice",
                completed=total,
            )
        else:
            demo.steps = _record(demo, progress)
    with progress.stage("index"):
        report = indexer.sync()
        demo.events += report.events
        head = indexer.store.checkpoint()
        rated = add_demo_ratings(demo.engine)
        named = add_demo_products(demo.engine)  # the catalog: names behind the GTINs
        progress.note(
            "index",
            f"{demo.events} events indexed this run, up to block {head.block_number if head else '-'}; "
            f"{rated} demo shopper ratings added, {named} products named in the catalog",
        )
    return demo


def _record(demo: DemoMarket, progress: DemoProgress) -> list[Step]:
    """Record the market inside a snapshot that a Ctrl-C reverts (see the module docstring),
    with the write queue's record of what it recorded meanwhile: left there, the queue would
    take the reverted writes for a reorganisation and send them again."""
    url = demo.ledger.client.rpc_url
    queue_before, queue_since = last_intent_id(demo.engine), time.time()
    snapshot = rpc(url, "evm_snapshot")

    def indexed() -> Engine:
        demo.events += demo.indexer.sync().events
        return demo.engine

    def on_step(step: Step) -> None:
        progress.advance("record scenario", f"{step.action}: {step.detail}"[:90])

    try:
        return scenario.record_scenario(
            demo.ledger,
            on_step,
            indexed=indexed,
            documents=open_store(demo.settings.data_dir),
            files=demo.settings.data_dir / "demo",
            deploy_block=demo.deployment.deploy_block,
        )
    except BaseException:
        rpc(url, "evm_revert", [snapshot])
        withdraw_since(demo.engine, queue_before, queue_since)
        demo.ledger.client.forget_nonces()
        raise


def print_summary(console: Console, demo: DemoMarket) -> None:
    """What was recorded (by chapter, with the notable steps) and the batches as they stand."""
    console.print(
        f"FreshLedger {'deployed' if demo.deployed else 'reused'} at {demo.deployment.address} "
        f"on {demo.settings.rpc_url}",
        soft_wrap=True,
    )
    if demo.steps:
        console.print(_chapters(demo.steps))
        for step in demo.steps:
            if step.outcome != "recorded" or step.action == "recall" or "FAILED" in step.detail:
                console.print(
                    f"  [bold]{step.action}[/] by {step.actor}: {step.detail} ({step.outcome})", soft_wrap=True
                )
    else:
        console.print("The market scenario is on this chain already; not recording it twice.")
    console.print(_batches(demo.ledger))


def _chapters(steps: list[Step]) -> Table:
    table = Table(title="Recorded on the chain", show_lines=False)
    for column in ("step", "transactions", "gas", "blocks", "outcome"):
        table.add_column(column)
    counts = Counter(step.action for step in steps)
    for action in counts:
        done = [s for s in steps if s.action == action]
        mined = [s for s in done if s.block is not None]
        outcomes = Counter(s.outcome for s in done)
        blocks = f"{min(s.block for s in mined)}-{max(s.block for s in mined)}" if mined else "-"  # type: ignore[type-var]
        table.add_row(
            action,
            str(len(mined)),
            f"{sum(s.gas or 0 for s in mined):,}",
            blocks,
            ", ".join(f"{n} {outcome}" for outcome, n in outcomes.items()),
        )
    return table


def _batches(ledger: FreshLedgerContract) -> Table:
    table = Table(title="Batches now")
    for column in ("lot", "product", "status", "remaining", "custodian", "sales"):
        table.add_column(column)
    for row in scenario.batch_overview(ledger):
        colour = {"recalled": "red", "quarantined": "red", "sold_out": "dim"}.get(row.status, "green")
        table.add_row(
            row.lot,
            row.product.split(" (")[0],
            f"[{colour}]{row.status}[/]",
            f"{row.remaining} {UNIT_WORDS.get(row.unit, row.unit)}",
            row.custodian.split(" (")[0],
            str(row.sales),
        )
    return table


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


#: The serving stage, given by the caller (``api.demo.serve_demo``): ``ledger`` knows no web.
Serve = Callable[[DemoMarket, DemoProgress], None]


def run_demo(console: Console, *, serve: Serve | None) -> None:
    """The whole command: prepare with progress, then `serve` (which prints the summary once
    the API is up), or without it print the summary and leave the chain running. Ctrl-C
    before serving stops the chain too."""
    began = time.monotonic()
    # Ctrl-C stops the demo even when it was started with SIGINT ignored (a background job of a
    # shell without job control, a test runner's worker): Python then installs no handler.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops the demo as cleanly as Ctrl-C
    progress = DemoProgress(console)
    progress.start()
    try:
        demo = prepare_demo(progress)
        if serve is None:
            with progress.stage("serve"):
                progress.note("serve", "skipped (--no-serve)")
            progress.stop()
            print_summary(console, demo)
            console.print(f"ready in {time.monotonic() - began:.1f} s")
            console.print("The chain keeps running in the background: `freshledger chain stop` stops it.")
            return
        serve(demo, progress)
    except KeyboardInterrupt:
        progress.stop()
        LocalNode(load_settings().chain_dir).stop()
        console.print("interrupted: chain stopped (a market being recorded was reverted, not half-kept)")
        raise SystemExit(130) from None
    finally:
        progress.stop()  # whatever happened, the terminal gets its cursor back
