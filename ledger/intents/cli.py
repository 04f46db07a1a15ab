"""``freshledger submit``: run the write queue's submitters outside the API.

freshledger submit                 submit for every sender whose keystore is here, until Ctrl-C
                                   (and relay the self-signed transactions of the others)

It competes for the senders' locks like every API worker does (``FRESHLEDGER_QUEUE_SUBMITTERS
=false`` leaves the submitting to it), so any number may run; each sender has one submitter.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console

from ledger.chain.client import ChainClient
from ledger.chain.deploy import load as load_deployment
from ledger.chain.freshledger import FreshLedgerContract
from ledger.intents.pool import SubmitterPool
from ledger.intents.settings import QueueSettings
from ledger.keys import KeyStore
from ledger.settings import load_settings
from ledger.store.db import make_engine, migrate


def submit(
    rpc_url: Annotated[str | None, typer.Option(help="JSON-RPC URL (default: the local chain)")] = None,
    database_url: Annotated[
        str | None, typer.Option(help="SQLAlchemy URL (default: SQLite under the data directory)")
    ] = None,
    max_in_flight: Annotated[int, typer.Option(min=1, help="transactions of one sender sent and not yet mined")] = 32,
    bump_after_blocks: Annotated[
        int, typer.Option(min=0, help="replace a transaction not mined after this many blocks (0: never)")
    ] = 3,
    bump_percent: Annotated[int, typer.Option(min=10, help="how much a replacement raises tip and fee cap")] = 12,
    reorg_watch_blocks: Annotated[
        int, typer.Option(min=0, help="watch a mined transaction this many blocks for a reorg (0: final blocks)")
    ] = 12,
) -> None:
    """Send the queued writes of every participant whose key the market holds."""
    settings = load_settings(rpc_url)
    keys = KeyStore(settings.keystore_dir, settings.market_keystore_password())
    engine = make_engine(database_url)
    migrate(engine)
    address = load_deployment(ChainClient(settings.rpc_url), settings.data_dir).address
    pool = SubmitterPool(
        engine,
        rpc_url=settings.rpc_url,
        contract=lambda client: FreshLedgerContract(client, address),
        account_of=lambda sender: keys.account(sender) if keys.has(sender) else None,
        settings=QueueSettings(
            max_in_flight=max_in_flight,
            bump_after_blocks=bump_after_blocks,
            bump_percent=bump_percent,
            reorg_watch_blocks=reorg_watch_blocks,
        ),
    )
    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    Console().print(f"submitting queued writes to {address} on {settings.rpc_url} (Ctrl-C stops)")
    pool.start()
    try:
        stop.wait()
    finally:
        pool.stop()
        engine.dispose()
