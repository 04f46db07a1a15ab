"""The scales' commands.

freshledger stall-gateway                      weighings -> sales -> receipts, until Ctrl-C
freshledger scale add --stall A --scale ID     credentials for a scale (and the broker's files)
freshledger scale simulate --stall A --scale ID [--rate R] [--count N]

Without ``--mqtt-url`` (or ``FRESHLEDGER_MQTT_URL``) the gateway starts a Mosquitto of its own
on a free loopback port with the generated files under ``{data dir}/mqtt`` and prints its URL.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from eth_utils import is_address, to_checksum_address
from rich.console import Console

from ledger.chain.client import ChainClient
from ledger.chain.deploy import load as load_deployment
from ledger.chain.freshledger import FreshLedgerContract
from ledger.chain.node import free_port
from ledger.errors import ConfigurationError
from ledger.intents.accept import chain_sale_counts
from ledger.intents.pool import SubmitterPool
from ledger.keys import KeyStore
from ledger.scales.broker import Broker, BrokerConfig
from ledger.scales.gateway import ROUND_S, StallGateway
from ledger.scales.simulator import ScaleSimulator, receipt_png, receipt_text
from ledger.settings import LedgerSettings, load_settings
from ledger.store.db import make_engine, migrate

scale_app = typer.Typer(help="The stalls' networked scales.", no_args_is_help=True)
MqttUrl = Annotated[str | None, typer.Option(help="mqtt://host:port of the market's broker")]
ConfigDir = Annotated[Path | None, typer.Option(help="the broker's generated files (default: {data dir}/mqtt)")]


def _config(config_dir: Path | None) -> BrokerConfig:
    return BrokerConfig(config_dir or load_settings().data_dir / "mqtt")


def _stall(address: str) -> str:
    if not is_address(address):
        raise typer.BadParameter(f"{address!r} is not an address")
    return to_checksum_address(address)


_address: list[str] = []


def _deployment_address(settings: LedgerSettings) -> str:
    """The contract's address, read once the node answers: the gateway starts (and takes the
    scales' weighings into the queue) while the chain is down; a submitter asks when it runs."""
    if not _address:
        _address.append(load_deployment(ChainClient(settings.rpc_url), settings.data_dir).address)
    return _address[0]


def _wait_for_signal() -> None:
    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    stop.wait()


def stall_gateway(
    mqtt_url: MqttUrl = None,
    config_dir: ConfigDir = None,
    public_host: Annotated[str, typer.Option(help="host of the Digital Links on receipts")] = "localhost:8000",
    public_scheme: Annotated[str, typer.Option(help="https, or http for a local demo")] = "http",
    rpc_url: Annotated[str | None, typer.Option(help="JSON-RPC URL (default: the local chain)")] = None,
    database_url: Annotated[str | None, typer.Option(help="SQLAlchemy URL (default: the indexer's)")] = None,
    submit: Annotated[bool, typer.Option(help="send the stalls' sales from this process too")] = True,
    round_s: Annotated[
        float, typer.Option("--round", min=0.0, max=5.0, help="seconds a round of weighings waits for more")
    ] = ROUND_S,
) -> None:
    """Turn the scales' weighings into sales and answer each scale with its receipt."""
    console = Console()
    settings = load_settings(rpc_url)
    engine = make_engine(database_url)
    migrate(engine)
    config = _config(config_dir)
    mqtt_url = mqtt_url or os.environ.get("FRESHLEDGER_MQTT_URL")
    broker = None
    if not mqtt_url:
        broker = Broker(config, free_port())
        broker.start()
        mqtt_url = broker.url
    pool: SubmitterPool | None = None
    if submit:
        keys = KeyStore(settings.keystore_dir, settings.market_keystore_password())
        pool = SubmitterPool(
            engine,
            rpc_url=settings.rpc_url,
            contract=lambda client: FreshLedgerContract(client, _deployment_address(settings)),
            account_of=lambda sender: keys.account(sender) if keys.has(sender) else None,
        )
    readers: list[FreshLedgerContract] = []

    def sale_counts(batch_ids: Sequence[str]) -> dict[str, int]:
        # Made when first needed: the gateway starts while the chain is down.
        if not readers:
            readers.append(FreshLedgerContract(ChainClient(settings.rpc_url), _deployment_address(settings)))
        return chain_sale_counts(readers[0])(batch_ids)

    gateway = StallGateway(
        engine,
        config,
        mqtt_url,
        public_host=public_host,
        public_scheme=public_scheme,
        wake=pool.wake if pool else None,
        round_s=round_s,
        # A lot's first reserved serial starts above its sales on the chain.
        sale_counts=sale_counts,
    )
    if pool is not None:
        pool.on_final = gateway.intents_final  # receipts go out as the sales are settled
        pool.start()
    gateway.start()
    console.print(f"stall gateway on {mqtt_url} ({len(config.scales())} scales; Ctrl-C stops)")
    try:
        _wait_for_signal()
    finally:
        gateway.stop()
        if pool is not None:
            pool.stop()
        if broker is not None:
            broker.stop()
        engine.dispose()


@scale_app.command("add")
def add(
    stall: Annotated[str, typer.Option(help="the stall's (vendor's) address")],
    scale: Annotated[str, typer.Option(help="the scale's id: 1-32 letters, digits, - or _")],
    config_dir: ConfigDir = None,
) -> None:
    """Make credentials for a scale and write the broker's password and ACL files again."""
    config = _config(config_dir)
    try:
        entry = config.add_scale(_stall(stall), scale)
    except ConfigurationError as exc:
        raise typer.BadParameter(str(exc)) from None
    Console().print(f"scale {entry.scale_id} of {entry.stall}: user {entry.credentials.username}")
    Console().print(f"passwd and acl written to {config.directory} (SIGHUP a running broker to reload them)")


@scale_app.command("simulate")
def simulate(
    stall: Annotated[str, typer.Option(help="the stall's (vendor's) address")],
    scale: Annotated[str, typer.Option(help="the scale's id")],
    rate: Annotated[float, typer.Option(min=0.01, max=1000, help="weighings a second")] = 0.5,
    count: Annotated[int, typer.Option(min=0, help="stop after this many weighings (0: until Ctrl-C)")] = 0,
    plu: Annotated[list[int] | None, typer.Option(help="keys to weigh (default: 1)")] = None,
    net: Annotated[int, typer.Option(min=1, help="net weight of each weighing, in --unit")] = 1,
    unit: Annotated[str, typer.Option(help="KGM, GRM or H87")] = "KGM",
    unit_price: Annotated[int, typer.Option(min=0, help="minor units per kg (per piece for H87)")] = 1200,
    currency: Annotated[str, typer.Option()] = "CNY",
    mqtt_url: MqttUrl = None,
    config_dir: ConfigDir = None,
    out: Annotated[Path, typer.Option(help="where receipts' PNGs and the scale's memory go")] = Path("scale-out"),
    wait: Annotated[float, typer.Option(help="seconds to wait for the last answers")] = 30.0,
) -> None:
    """A networked scale: weighs at --rate, sends each weighing until it is answered, prints
    each receipt as text and as a PNG label under --out."""
    console = Console()
    config = _config(config_dir)
    try:
        entry = config.scale(_stall(stall), scale)
    except ConfigurationError as exc:
        raise typer.BadParameter(str(exc)) from None
    mqtt_url = mqtt_url or os.environ.get("FRESHLEDGER_MQTT_URL")
    if not mqtt_url:
        raise typer.BadParameter("give --mqtt-url (or FRESHLEDGER_MQTT_URL): the gateway prints it")
    out.mkdir(parents=True, exist_ok=True)

    def printed(weighing: object, answer: dict) -> None:
        console.print(receipt_text(answer))
        if answer.get("type") == "receipt":
            path = out / f"receipt-{entry.scale_id}-{answer['seq']}.png"
            path.write_bytes(receipt_png(answer))
            console.print(f"receipt printed: {path}")

    scale_sim = ScaleSimulator(entry, mqtt_url, out / "memory", on_answer=printed)
    scale_sim.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    keys = plu or [1]
    sent = 0
    try:
        while not stop.is_set() and (count == 0 or sent < count):
            choices = [k for k in keys if k not in scale_sim.blocked] or keys
            scale_sim.weigh(random.choice(choices), net, unit, unit_price, currency)
            sent += 1
            stop.wait(1 / rate)
        deadline = time.monotonic() + wait
        while not stop.is_set() and scale_sim.unanswered() and time.monotonic() < deadline:
            stop.wait(0.1)
    finally:
        left = scale_sim.unanswered()
        scale_sim.stop()
    console.print(f"{sent} weighings sent, {left} unanswered (kept, sent again at the next start)")
