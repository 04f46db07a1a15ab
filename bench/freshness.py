"""Freshness: from a sale's transaction being mined to its QR page showing it; one JSON line.

The parts run as they do in production, each in its own process: a local anvil chain with
FreshLedger and the demo market recorded (``ledger.demo``), the indexer following the chain
(``freshledger index``, polling every ``--poll-interval`` seconds) and the API (uvicorn).
Then, ``--sales`` times, a stall records a sale on the chain (the chain client returns once
the receipt is there: that is "mined"), and this process polls the sale's GS1 Digital Link
every few milliseconds, as JSON and as the HTML shopper page, until each answers 200. Sales
start at random moments of the indexer's poll cycle, so the figures cover all of it.

Prints ``json_median_ms``, ``json_p95_ms``, ``html_median_ms``, ``html_p95_ms`` (and the
maximum of each). Target: <= 1 s. Run from the repository root:
``.venv/bin/python bench/freshness.py --sales 20``.

:class:`LiveMarket` (the chain, the market, the indexer and the API as processes) is shared
with ``bench/writes.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy import Engine

from api.settings import DEVELOPMENT_PASSWORD
from ledger.chain.accounts import dev_account
from ledger.chain.client import ChainClient
from ledger.chain.deploy import deploy, save
from ledger.chain.freshledger import FreshLedgerContract
from ledger.chain.node import LocalNode, free_port
from ledger.demo import market as demo_market
from ledger.demo.scenario import lot_id, record_scenario
from ledger.digital_link import DigitalLink
from ledger.documents.backends import open_store
from ledger.indexer.fetch import JsonRpc
from ledger.indexer.sync import Indexer, Source
from ledger.keys import KeyStore
from ledger.store.api_keys import issue_key
from ledger.store.db import make_engine, migrate
from ledger.store.writer import IndexStore

TARGET_MS = 1000.0
#: How often the probe asks for the page: small against the target, large against a request.
PROBE_INTERVAL_S = 0.005
PROBE_TIMEOUT_S = 15.0
START_TIMEOUT_S = 60.0
SOLD_LOT = "SC-2611-02-A"  # sweet corn at Stall A12: 225 pieces left after the demo


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class LiveMarket:
    """anvil + FreshLedger + the demo market, ``freshledger index`` following, the API serving.

    Use as a context manager; everything started is stopped on the way out.
    """

    poll_interval: float = 0.2
    workers: int = 1
    database_url: str | None = None
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="freshledger-live-")))
    processes: list[subprocess.Popen] = field(default_factory=list)
    api_keys: dict[str, str] = field(default_factory=dict)
    #: More FRESHLEDGER_* settings for the API processes (e.g. the role cache).
    api_env: dict[str, str] = field(default_factory=dict)

    def __enter__(self) -> LiveMarket:
        self.node = LocalNode(self.workdir / "chain", port=free_port(), persist=False)
        try:
            self._start_all()
        except BaseException:
            self.__exit__(None, None, None)  # nothing left running when the start fails
            raise
        return self

    def _start_all(self) -> None:
        info = self.node.start()
        self.node_pid = info.pid
        self.rpc_url = info.rpc_url
        self.client = ChainClient(info.rpc_url)
        deployment = deploy(self.client, dev_account(0))
        save(deployment, self.workdir)
        self.ledger = FreshLedgerContract(self.client, deployment.address)
        self.database_url = self.database_url or f"sqlite:///{self.workdir / 'index.db'}"
        engine = make_engine(self.database_url)
        migrate(engine)
        source = Source(deployment.chain_id, deployment.genesis_hash, deployment.address, deployment.deploy_block)
        indexer = Indexer(JsonRpc(info.rpc_url), IndexStore(engine), source)
        indexer.check_identity()

        def indexed() -> Engine:  # the demo traces its recall through the database
            indexer.sync()
            return engine

        record_scenario(self.ledger, indexed=indexed, documents=open_store(self.workdir))
        indexer.sync()
        keys = KeyStore(self.workdir / "keystores", DEVELOPMENT_PASSWORD)
        who = demo_market.cast()
        for attribute, account in vars(who).items():
            keys.create(account.key)
            self.api_keys[attribute] = issue_key(engine, account.address, f"bench {attribute}")
        engine.dispose()
        self.port = free_port()
        self.env = {
            **os.environ,
            "FRESHLEDGER_DATA_DIR": str(self.workdir),
            "FRESHLEDGER_RPC_URL": info.rpc_url,
            "FRESHLEDGER_DATABASE_URL": self.database_url,
            "FRESHLEDGER_PUBLIC_HOST": f"127.0.0.1:{self.port}",
            "FRESHLEDGER_PUBLIC_SCHEME": "http",
            **self.api_env,
        }
        self._start(
            [sys.executable, "-m", "ledger.cli", "index", "--quiet", "--poll-interval", str(self.poll_interval)]
        )
        self._start(
            [
                *(sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory"),
                *("--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers)),
                *("--log-level", "warning"),
            ]
        )
        self._wait_for_api()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        for process in reversed(self.processes):
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.node.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)  # chain in memory, index and keys: all throwaway

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def link(self, gtin: str, lot: str, serial: int) -> str:
        return self.base_url + DigitalLink(gtin, lot, str(serial)).path

    def _start(self, command: list[str]) -> None:
        self.processes.append(subprocess.Popen(command, env=self.env, stdin=subprocess.DEVNULL))

    def _wait_for_api(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                if httpx.get(f"{self.base_url}/participants", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or any(p.poll() is not None for p in self.processes):
                raise SystemExit("the API or the indexer did not come up")
            time.sleep(0.1)


def probe(http: httpx.Client, url: str, mined: float) -> tuple[float, float]:
    """Poll `url` as JSON and as HTML until each answers 200; the seconds since `mined`."""
    found: dict[str, float] = {}
    deadline = mined + PROBE_TIMEOUT_S
    while len(found) < 2:
        for kind, accept in (("json", "application/json"), ("html", "text/html")):
            if kind not in found and http.get(url, headers={"Accept": accept}).status_code == 200:
                found[kind] = time.perf_counter() - mined
        if time.perf_counter() > deadline:
            raise SystemExit(f"{url} did not show within {PROBE_TIMEOUT_S:.0f} s")
        if len(found) < 2:
            time.sleep(PROBE_INTERVAL_S)
    return found["json"], found["html"]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def summary(values: list[float]) -> dict[str, float]:
    millis = [v * 1000 for v in values]
    return {
        "median_ms": round(statistics.median(millis), 1),
        "p95_ms": round(percentile(millis, 0.95), 1),
        "max_ms": round(max(millis), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=20)
    parser.add_argument("--poll-interval", type=float, default=0.2, help="the indexer's poll, seconds")
    parser.add_argument("--database-url", help="the index database (default: SQLite in a temporary folder)")
    args = parser.parse_args()

    rng = random.Random(11)
    product = demo_market.product_of(SOLD_LOT)
    stall = demo_market.cast().stall_a
    json_s: list[float] = []
    html_s: list[float] = []
    with (
        LiveMarket(poll_interval=args.poll_interval, database_url=args.database_url) as live,
        httpx.Client(timeout=10) as http,
    ):
        log(f"market up: API {live.base_url}, indexer polling every {args.poll_interval:g} s")
        probe(http, live.link(product.gtin, SOLD_LOT, 1), time.perf_counter())  # warm the API
        for _ in range(args.sales):
            time.sleep(rng.uniform(0, args.poll_interval))  # land anywhere in the poll cycle
            result = live.ledger.record_sale(stall, lot_id(SOLD_LOT), quantity=1, price=350, currency="CNY")
            mined = time.perf_counter()
            serial = result.event("SaleRecorded").args["serial"]
            seen_json, seen_html = probe(http, live.link(product.gtin, SOLD_LOT, serial), mined)
            json_s.append(seen_json)
            html_s.append(seen_html)
    report = {
        "sales": args.sales,
        "indexer_poll_s": args.poll_interval,
        "database": "postgresql" if args.database_url and "postgresql" in args.database_url else "sqlite",
        **{f"json_{k}": v for k, v in summary(json_s).items()},
        **{f"html_{k}": v for k, v in summary(html_s).items()},
    }
    report["load_average_1m"] = round(os.getloadavg()[0], 2)  # a shared machine slows every part
    report["cpus"] = os.cpu_count()
    report["targets"] = {
        f"json_p95_ms<={TARGET_MS:g}": report["json_p95_ms"] <= TARGET_MS,
        f"html_p95_ms<={TARGET_MS:g}": report["html_p95_ms"] <= TARGET_MS,
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
