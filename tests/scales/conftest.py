"""A market with real scales: anvil (persisted, so it can go down and come back), a SQLite
database the indexer follows, a Mosquitto of our own on a free port with the generated
password file and ACL, the stall gateway as a separate process (so it can be killed with -9)
and simulated scales in this process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine, select

from ledger.chain.client import ChainClient
from ledger.chain.deploy import Deployment
from ledger.chain.freshledger import FreshLedgerContract
from ledger.chain.node import LocalNode, free_port
from ledger.indexer.fetch import JsonRpc
from ledger.indexer.sync import Indexer
from ledger.keys import KeyStore
from ledger.scales.broker import Broker, BrokerConfig
from ledger.scales.simulator import ScaleSimulator
from ledger.settings import DEVELOPMENT_PASSWORD
from ledger.store import models
from ledger.store.db import make_engine, migrate
from ledger.store.writer import IndexStore
from tests.factories.chain import deployed_node
from tests.factories.market import Market, register_market
from tests.factories.queue import events_on_chain

REPO = Path(__file__).resolve().parents[2]
PUBLIC_HOST = "market.example"


def wait_until(condition: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.05)


@dataclass
class ScaleRig:
    tmp: Path
    node: LocalNode
    deployment: Deployment
    market: Market
    engine: Engine
    database_url: str
    config: BrokerConfig
    broker: Broker
    rpc_url: str
    gateway: subprocess.Popen[bytes] | None = None
    scales: list[ScaleSimulator] = field(default_factory=list)

    @property
    def ledger(self) -> FreshLedgerContract:
        return self.market.ledger

    def start_gateway(self, *options: str) -> None:
        """Start ``freshledger stall-gateway`` (with extra CLI `options`, e.g. ``--no-submit``)."""
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "FRESHLEDGER_DATA_DIR": str(self.tmp / "data"),
            "FRESHLEDGER_RPC_URL": self.rpc_url,
        }
        env.pop("FRESHLEDGER_MQTT_URL", None)
        log = (self.tmp / "gateway.log").open("ab")
        self.gateway = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ledger.cli",
                "stall-gateway",
                "--mqtt-url",
                self.broker.url,
                "--config-dir",
                str(self.config.directory),
                "--database-url",
                self.database_url,
                "--public-host",
                PUBLIC_HOST,
                "--public-scheme",
                "https",
                *options,
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def kill_gateway(self) -> None:
        assert self.gateway is not None
        self.gateway.send_signal(signal.SIGKILL)
        self.gateway.wait(10)
        self.gateway = None

    def stop_gateway(self) -> None:
        if self.gateway is not None:
            self.gateway.terminate()
            try:
                self.gateway.wait(15)
            except subprocess.TimeoutExpired:
                self.gateway.kill()
                self.gateway.wait(5)
            self.gateway = None

    def scale(self, vendor: LocalAccount, scale_id: str, **options: object) -> ScaleSimulator:
        entry = self.config.add_scale(vendor.address, scale_id)
        self.broker.reload()
        time.sleep(0.3)  # the broker reads the password file and ACL again
        simulator = ScaleSimulator(entry, self.broker.url, self.tmp / "scales", **options)  # type: ignore[arg-type]
        simulator.start()
        self.scales.append(simulator)
        wait_until(simulator.client.is_connected, 10, f"scale {scale_id} connected")
        return simulator

    def map_plu(self, vendor: LocalAccount, plu: int, batch_id: bytes) -> None:
        self.ledger.map_plu(vendor, plu, batch_id)
        self.wait_indexed()

    def wait_indexed(self) -> None:
        head = ChainClient(self.rpc_url).block_number()
        wait_until(lambda: self.indexed_block() >= head, 20, f"block {head} indexed")

    def indexed_block(self) -> int:
        with self.engine.connect() as conn:
            value = conn.execute(select(models.Checkpoint.__table__.c.block_number)).scalar()
        return value or 0

    def sales_on_chain(self) -> list[int]:
        """Serials of every SaleRecorded on the chain (one per recorded sale)."""
        return [e.args["serial"] for e in events_on_chain(self.ledger, "SaleRecorded")]


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[ScaleRig]:
    with deployed_node(tmp_path, persist=True) as chain:
        stop = threading.Event()
        broker = None
        scale_rig = None
        try:
            market = register_market(chain.ledger)
            keys = KeyStore(chain.data_dir / "keystores", DEVELOPMENT_PASSWORD)
            keys.create(market.vendor.key)
            keys.create(market.vendor2.key)
            database_url = f"sqlite:///{tmp_path / 'market.db'}"
            engine = make_engine(database_url)
            migrate(engine)
            indexer = Indexer(JsonRpc(chain.rpc_url), IndexStore(engine), chain.source())
            indexer.check_identity()
            follower = threading.Thread(target=indexer.follow, kwargs={"poll_interval": 0.2, "stop": stop}, daemon=True)
            follower.start()
            config = BrokerConfig(tmp_path / "mqtt")
            config.gateway()
            broker = Broker(config, free_port())
            broker.start()
            scale_rig = ScaleRig(
                tmp_path, chain.node, chain.deployment, market, engine, database_url, config, broker, chain.rpc_url
            )
            yield scale_rig
        finally:
            stop.set()
            if scale_rig is not None:
                for simulator in scale_rig.scales:
                    simulator.stop()
                scale_rig.stop_gateway()
            if broker is not None:
                broker.stop()
