"""``freshledger notify``: send recall notifications to the stalls' webhooks.

freshledger notify                 follow: scan and deliver every poll until Ctrl-C
freshledger notify --once          one scan and one round of deliveries, then exit

It reads the indexer's database (``--database-url`` / ``FRESHLEDGER_DATABASE_URL``), so run
it next to ``freshledger index``; it never calls the node. It opens the webhooks' sealed
secrets with ``FRESHLEDGER_WEBHOOK_KEY`` or ``<data dir>/webhook.key`` (the API's key: run
both with the same data directory) and delivers only to public addresses and those
``FRESHLEDGER_WEBHOOK_ALLOW`` lists.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console

from ledger.notify.notifier import Notifier
from ledger.notify.secret_box import load_secret_box
from ledger.notify.targets import TargetPolicy
from ledger.paths import data_dir
from ledger.store.db import make_engine, migrate
from ledger.store.webhooks import seal_clear_secrets


def notify(
    database_url: Annotated[
        str | None, typer.Option(help="SQLAlchemy URL (default: SQLite under the data directory)")
    ] = None,
    poll_interval: Annotated[float, typer.Option(min=0.01, help="seconds between runs when following")] = 1.0,
    once: Annotated[bool, typer.Option(help="one scan and one round of deliveries, then exit")] = False,
) -> None:
    """Send signed recall notifications to registered webhooks, retrying failed ones."""
    console = Console()
    engine = make_engine(database_url)
    migrate(engine)
    box = load_secret_box(data_dir())
    seal_clear_secrets(engine, box)
    notifier = Notifier(engine, box=box, targets=TargetPolicy.from_environment())
    try:
        if once:
            report = notifier.run_once()
            console.print(
                f"queued {report.queued}, delivered {report.delivered}, "
                f"to retry {report.retrying}, failed {report.failed}"
            )
            return
        stop = threading.Event()

        def request_stop(_signum: int, _frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        console.print(f"notifying webhooks of recalls every {poll_interval:g} s (Ctrl-C stops)")
        notifier.follow(poll_interval=poll_interval, stop=stop)
    finally:
        notifier.close()
        engine.dispose()
