"""The `freshledger` command: the single entry point of the ledger core.

freshledger chain start|stop|status     the local anvil node
freshledger deploy [--rpc-url URL]      deploy the contract and record the deployment
freshledger demo                        local chain + deployment + the demo market, served
freshledger docs cid|put|get|verify     documents by content address (see ledger.documents.cli)
freshledger epcis export|validate|capture  GS1 EPCIS 2.0 documents (see ledger.epcis.cli)
freshledger customs check|import FILE   a customs declaration file (see ledger.intake.cli)
freshledger recall --gtin G --lot L     a regulator recalls a lot and all made from it (ledger.recall.cli)
freshledger notify [--once]             signed recall notifications to stalls' webhooks (ledger.notify.cli)
freshledger submit                      the write queue's submitters, outside the API (ledger.intents.cli)
freshledger notice publish --title-en T --body-en B --hours H   a notice (ledger.notices.cli)
freshledger stall-gateway               the scales' weighings become sales and receipts (ledger.scales.cli)
freshledger scale add|simulate          a scale's credentials; a simulated scale (ledger.scales.cli)
"""

from __future__ import annotations

import faulthandler
import os
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from eth_account.signers.local import LocalAccount
from rich.console import Console

from ledger.audit.cli import audit_command
from ledger.chain.accounts import dev_account
from ledger.chain.client import ChainClient
from ledger.chain.deploy import deploy as deploy_contract
from ledger.chain.deploy import deploy_or_load, record_path, save
from ledger.chain.node import LOCAL_CHAIN_ID, LocalNode
from ledger.documents.cli import docs_app
from ledger.epcis.cli import epcis_app
from ledger.errors import ConfigurationError, LedgerError
from ledger.fsma.cli import fsma204
from ledger.intake.cli import customs_app
from ledger.intents.cli import submit as submit_command
from ledger.notices.cli import notice_app
from ledger.notify.cli import notify as notify_command
from ledger.recall.cli import recall as recall_command
from ledger.scales.cli import scale_app, stall_gateway
from ledger.settings import load_settings

app = typer.Typer(
    help="FreshLedger: provenance of fresh produce on an EVM chain.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
chain_app = typer.Typer(help="The local development chain (anvil).", no_args_is_help=True)
app.add_typer(chain_app, name="chain")
app.add_typer(docs_app, name="docs")
app.add_typer(epcis_app, name="epcis")
app.add_typer(customs_app, name="customs")
app.add_typer(notice_app, name="notice")
app.command("recall")(recall_command)
app.command("notify")(notify_command)
app.command("fsma204")(fsma204)
app.command("audit")(audit_command)
app.command("submit")(submit_command)
app.add_typer(scale_app, name="scale")
app.command("stall-gateway")(stall_gateway)
console = Console()


def main() -> None:
    """Console-script entry: domain errors become a message and exit code 1, not a traceback."""
    try:
        app()
    except LedgerError as exc:
        Console(stderr=True).print(f"[bold red]error:[/] {exc}")
        raise SystemExit(1) from None


@chain_app.command("start")
def chain_start(port: Annotated[int | None, typer.Option(help="TCP port on 127.0.0.1")] = None) -> None:
    """Start the local chain (state kept under the data directory)."""
    settings = load_settings()
    info = LocalNode(settings.chain_dir, port=port).start()
    console.print(f"local chain running: {info.rpc_url} (pid {info.pid}, state in {settings.chain_dir})")


@chain_app.command("stop")
def chain_stop() -> None:
    """Stop the local chain; its state is written to disk first."""
    settings = load_settings()
    stopped = LocalNode(settings.chain_dir).stop()
    console.print("local chain stopped" if stopped else "no local chain was running")


@chain_app.command("status")
def chain_status() -> None:
    """Show whether the local chain runs, its chain id and head block."""
    status = LocalNode(load_settings().chain_dir).status()
    if not status.running:
        console.print("local chain: not running")
        raise typer.Exit(3)
    console.print(
        f"local chain: running at {status.rpc_url} (pid {status.pid}), "
        f"chain id {status.chain_id}, block {status.block_number}"
    )


@app.command()
def deploy(
    rpc_url: Annotated[str | None, typer.Option(help="JSON-RPC URL (default: the local chain)")] = None,
    keystore: Annotated[
        Path | None, typer.Option(help="encrypted JSON keystore of the deployer (required off the local chain)")
    ] = None,
    authority: Annotated[str | None, typer.Option(help="market authority address (default: the deployer)")] = None,
    force: Annotated[bool, typer.Option(help="deploy again even if a valid deployment is recorded")] = False,
) -> None:
    """Deploy FreshLedger and write the deployment record."""
    settings = load_settings(rpc_url)
    client = ChainClient(settings.rpc_url)
    deployer = _deployer(client, keystore)
    if force or authority:
        deployment = deploy_contract(client, deployer, authority=authority)
        save(deployment, settings.data_dir)
        created = True
    else:
        deployment, created = deploy_or_load(client, deployer, settings.data_dir)
    verb = "deployed" if created else "already deployed"
    console.print(
        f"FreshLedger {verb} at {deployment.address} on chain {deployment.chain_id} "
        f"(block {deployment.deploy_block}); record: {record_path(settings.data_dir, deployment.chain_id)}"
    )
    console.print_json(deployment.to_json())


@app.command()
def index(
    rpc_url: Annotated[str | None, typer.Option(help="JSON-RPC URL (default: the local chain)")] = None,
    database_url: Annotated[
        str | None, typer.Option(help="SQLAlchemy URL (default: SQLite under the data directory)")
    ] = None,
    confirmations: Annotated[int, typer.Option(min=0, help="index only blocks this deep below the head")] = 0,
    poll_interval: Annotated[float, typer.Option(min=0.01, help="seconds between polls when following")] = 1.0,
    once: Annotated[bool, typer.Option(help="backfill to the head and exit instead of following")] = False,
    max_range: Annotated[int | None, typer.Option(min=1, help="largest block range per eth_getLogs")] = None,
    quiet: Annotated[bool, typer.Option(help="no progress bar")] = False,
) -> None:
    """Mirror the contract's events into the database: backfill with a progress bar, then follow."""
    from ledger.indexer.runner import run_indexer

    settings = load_settings(rpc_url)
    run_indexer(
        settings,
        database_url=database_url,
        confirmations=confirmations,
        poll_interval=poll_interval,
        follow=not once,
        max_range=max_range,
        console=None if quiet else console,
    )


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="interface (default 127.0.0.1, FRESHLEDGER_API_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default 8000, FRESHLEDGER_API_PORT)")] = None,
) -> None:
    """Serve the HTTP API (reads from the indexer's database, writes to the chain)."""
    import uvicorn

    from api.main import create_app
    from api.settings import ApiSettings

    overrides = {k: v for k, v in (("api_host", host), ("api_port", port)) if v is not None}
    settings = ApiSettings(**overrides)
    console.print(f"FreshLedger API on http://{settings.api_host}:{settings.api_port} (OpenAPI at /docs)")
    uvicorn.run(create_app(settings), host=settings.api_host, port=settings.api_port, log_level="info")


@app.command()
def demo(
    serve: Annotated[bool, typer.Option(help="then serve the API and the pages until Ctrl-C")] = True,
    port: Annotated[int | None, typer.Option(help="API port (default 8000)")] = None,
) -> None:
    """Start the local chain, deploy (or reuse the deployment), record the demo market (a
    Hangzhou fresh market) unless it is there, index it and serve it: the API, the shopper
    pages and a sale's QR code in the terminal. Ctrl-C stops everything."""
    from ledger.demo.run import DemoMarket, DemoProgress, run_demo

    def serve_stage(market: DemoMarket, progress: DemoProgress) -> None:
        from api.demo import serve_demo  # the web only when serving

        serve_demo(market, progress, console, port=port)

    faulthandler.enable()  # a crash in C code names its threads' stacks instead of dying silently
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1`: where every thread is, now
    run_demo(console, serve=serve_stage if serve else None)
    if serve:
        # Every part is stopped and its state committed by now, but daemon threads of those
        # parts (MQTT clients, SQLite and node connections) can still be inside C code while
        # the interpreter tears its modules down, which has ended a clean stop with SIGSEGV.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def _deployer(client: ChainClient, keystore: Path | None) -> LocalAccount:
    if keystore is not None:
        try:
            return load_settings().open_keystore(keystore)
        except ConfigurationError as exc:
            raise typer.BadParameter(str(exc)) from exc
    if client.chain_id != LOCAL_CHAIN_ID:
        raise typer.BadParameter(f"chain {client.chain_id} is not the local chain: pass --keystore")
    return dev_account(0)


if __name__ == "__main__":
    main()
