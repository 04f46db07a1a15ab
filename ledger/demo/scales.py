"""The demo's scales: one simulated scale at each stall, weighing while the demo serves.

Each stall's key 1 is mapped (on-chain) to the lot it holds with the most left; a Mosquitto of
our own on a free loopback port (unless ``FRESHLEDGER_MQTT_URL`` names the market's broker),
the stall gateway, and a simulated scale per stall weighing one kilogram every few seconds.
The first receipt is printed as text and its label written as a PNG under the data directory.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

from eth_account.signers.local import LocalAccount
from rich.console import Console
from sqlalchemy import Engine

from ledger.chain.freshledger import FreshLedgerContract
from ledger.chain.node import free_port
from ledger.errors import LedgerError
from ledger.hexes import from_hex
from ledger.intents.accept import chain_sale_counts
from ledger.queries.plu import plu_table, sellable_lots
from ledger.scales.broker import Broker, BrokerConfig
from ledger.scales.gateway import StallGateway
from ledger.scales.simulator import ScaleSimulator, receipt_png, receipt_text

#: Seconds between a demo scale's weighings (each a kilogram: a lot lasts the demo).
WEIGH_EVERY_S = 6.0
PRICES = {"KGM": 1200, "H87": 800}


class DemoScales:
    """Broker, gateway and one simulated scale per stall, until :meth:`stop`."""

    def __init__(
        self,
        engine: Engine,
        ledger: FreshLedgerContract,
        stalls: list[LocalAccount],
        data_dir: Path,
        *,
        public_host: str,
        wake: Callable[[str], None],
        console: Console,
    ) -> None:
        self.engine = engine
        self.ledger = ledger
        self.stalls = stalls
        self.data_dir = data_dir
        self.public_host = public_host
        self.wake = wake
        self.console = console
        self.config = BrokerConfig(data_dir / "mqtt")
        self.broker: Broker | None = None
        self.gateway: StallGateway | None = None
        self.scales: list[tuple[ScaleSimulator, str]] = []
        self._stop = threading.Event()
        self._weigher = threading.Thread(target=self._weigh, name="demo-scales", daemon=True)
        self._printed = threading.Event()

    def start(self) -> str:
        """Map the keys, start everything; the broker's URL."""
        units = self._map_keys()
        url = os.environ.get("FRESHLEDGER_MQTT_URL")
        if not url:
            self.broker = Broker(self.config, free_port())
            for stall in units:
                self.config.add_scale(stall, "demo")
            self.broker.start()
            url = self.broker.url
        self.gateway = StallGateway(
            self.engine,
            self.config,
            url,
            public_host=self.public_host,
            public_scheme="http",
            wake=self.wake,
            sale_counts=chain_sale_counts(self.ledger),
        )
        self.gateway.start()
        for stall, unit in units.items():
            scale = ScaleSimulator(
                self.config.add_scale(stall, "demo"), url, self.data_dir / "scales", on_answer=self._answered
            )
            scale.start()
            self.scales.append((scale, unit))
        self._weigher.start()
        return url

    def stop(self) -> None:
        self._stop.set()
        if self._weigher.is_alive():
            self._weigher.join(5)
        for scale, _ in self.scales:
            scale.stop()
        if self.gateway is not None:
            self.gateway.stop()
        if self.broker is not None:
            self.broker.stop()

    def _map_keys(self) -> dict[str, str]:
        """Key 1 of each stall on a lot it can sell (kept when it still can); stall -> unit."""
        units: dict[str, str] = {}
        for stall in self.stalls:
            lots = sellable_lots(self.engine, stall.address)
            if not lots:
                continue
            current = plu_table(self.engine, stall.address).get(1)
            batch_id, unit, _ = next((lot for lot in lots if current and lot[0] == current.batch_id), lots[0])
            if current is None or current.batch_id != batch_id:
                try:
                    self.ledger.map_plu(stall, 1, from_hex(batch_id))
                except LedgerError as exc:
                    self.console.print(f"scale of {stall.address}: key 1 not mapped ({exc})")
                    continue
            units[stall.address] = unit
        return units

    def _weigh(self) -> None:
        while not self._stop.wait(WEIGH_EVERY_S):
            for scale, unit in self.scales:
                if 1 not in scale.blocked:
                    scale.weigh(1, 1, unit if unit in PRICES else "KGM", PRICES.get(unit, 1200))

    def _answered(self, _weighing: object, answer: dict) -> None:
        if answer.get("type") != "receipt" or self._printed.is_set():
            return
        self._printed.set()
        path = self.data_dir / "scale-receipt.png"
        path.write_bytes(receipt_png(answer))
        self.console.print("A weighed sale, as the stall's scale printed it:", soft_wrap=True)
        self.console.print(receipt_text(answer), soft_wrap=True)
        self.console.print(f"  its label: {path}", soft_wrap=True)
