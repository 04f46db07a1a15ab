"""The cost of accepting one write, in process; one JSON line.

One API app (no uvicorn: requests go through ``httpx.ASGITransport`` on one event loop, the
way one uvicorn worker runs them) over a fresh anvil and SQLite database, submitters off so
only the accepting is measured. ``--clients`` concurrent clients post ``--requests`` single
sales with ``Prefer: respond-async``; prints ``accept_cpu_ms`` (CPU of this process per
accepted sale, all threads; anvil's own CPU is not in it), ``accept_per_s`` (wall clock) and
``node_calls_per_accept``. ``--profile N`` samples every thread's stack every 5 ms (the way
py-spy does, from inside) and prints to stderr the N functions most often on a busy stack
(inclusive) and most often at its top (self), in percent of the busy samples.

``.venv/bin/python bench/accept.py --requests 2000 --clients 50``
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from api.main import create_app
from api.services import build_services
from api.settings import ApiSettings
from bench.stock import deployed_stall
from ledger.chain.jsonrpc import JsonRpcConnection
from ledger.chain.node import LocalNode, free_port
from ledger.hexes import to_hex
from ledger.store.api_keys import issue_key

# httpx's ASGI transport tries to import sniffio on every request; without it installed each
# try searches sys.path on disk, the client's cost, not the API's: fail it at once.
sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]


class CountingRpc(JsonRpcConnection):
    """Counts the JSON-RPC calls the API makes (the node's work the accepting asks for)."""

    calls = 0

    def call(self, method: str, params: list) -> object:
        CountingRpc.calls += 1
        return super().call(method, params)


#: Frames that mean a thread is waiting, not working (its sample is not counted).
IDLE = {"wait", "_wait_for_tstate_lock", "select", "_worker", "get", "run_forever", "_run_once", "_loop"}


class Sampler(threading.Thread):
    """Samples every other thread's stack every 5 ms; counts functions (file:line name)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.halt = threading.Event()
        self.busy = 0
        self.inclusive: collections.Counter = collections.Counter()
        self.leaf: collections.Counter = collections.Counter()
        self.stacks: collections.Counter = collections.Counter()
        self.find = os.environ.get("BENCH_STACK")  # print the stacks with this function

    def run(self) -> None:
        me = threading.get_ident()
        while not self.halt.wait(0.005):
            for ident, frame in sys._current_frames().items():
                if ident == me or frame.f_code.co_name in IDLE:
                    continue
                self.busy += 1
                self.leaf[_name(frame)] += 1
                stack = []
                while frame is not None:
                    stack.append(_name(frame))
                    frame = frame.f_back
                self.inclusive.update(set(stack))
                if self.find and any(self.find in name for name in stack):
                    self.stacks[tuple(stack[:25])] += 1

    def stop(self) -> None:
        self.halt.set()
        self.join()

    def report(self, top: int) -> None:
        for title, counts in (("inclusive", self.inclusive), ("self", self.leaf)):
            print(f"--- {title} (% of {self.busy} busy samples)", file=sys.stderr)
            for name, count in counts.most_common(top):
                print(f"{100 * count / self.busy:6.1f}  {name}", file=sys.stderr)
        for stack, count in self.stacks.most_common(3):
            print(count, *stack, sep="\n    ", file=sys.stderr)


def _name(frame) -> str:  # type: ignore[no-untyped-def]
    code = frame.f_code
    path = code.co_filename.replace(os.getcwd() + "/", "")
    if "site-packages/" in path:
        path = path.split("site-packages/")[1]
    return f"{path}:{code.co_firstlineno} {code.co_name}"


async def post_all(app, total: int, clients: int, key: str, batch: str) -> tuple[int, dict[int, int]]:
    transport = httpx.ASGITransport(app=app)
    counter = iter(range(total))
    codes: dict[int, int] = {}
    headers = {"Authorization": f"Bearer {key}", "Prefer": "respond-async"}
    async with httpx.AsyncClient(transport=transport, base_url="http://market.example") as http:

        async def client() -> None:
            for n in counter:
                body = {"batch_id": batch, "quantity": 1, "price": n + 1, "currency": "CNY"}
                answer = await http.post("/sales", json=body, headers=headers)
                codes[answer.status_code] = codes.get(answer.status_code, 0) + 1

        await asyncio.gather(*(client() for _ in range(clients)))
    return total, codes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--role-cache", type=float, default=1.0, help="role_cache_s")
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    parser.add_argument("--profile", type=int, default=0, help="print the N hottest functions")
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="freshledger-accept-"))
    node = LocalNode(base / "anvil", port=free_port(), persist=False)
    info = node.start()
    try:
        stall = deployed_stall(info.rpc_url, "ACCEPT-1", base / "data")
        vendor, batch = stall.vendor, stall.batch

        settings = ApiSettings(
            data_dir=base / "data",
            database_url=args.database_url or f"sqlite:///{base / 'api.db'}",
            rpc_url=info.rpc_url,
            public_host="market.example",
            queue_submitters=False,
            role_cache_s=args.role_cache,
        )
        services = build_services(settings)
        services.keys.create(vendor.key)
        key = issue_key(services.engine, vendor.address, "bench")
        app = create_app(settings, services)
        services.ledger.client.rpc.__class__ = CountingRpc  # count the node calls from here on

        asyncio.run(post_all(app, 50, 10, key, to_hex(batch)))  # warm-up: imports, caches, connections
        calls_before = CountingRpc.calls
        sampler = Sampler() if args.profile else None
        if sampler is not None:
            sampler.start()
        cpu, wall = time.process_time(), time.perf_counter()
        total, codes = asyncio.run(post_all(app, args.requests, args.clients, key, to_hex(batch)))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        if sampler is not None:
            sampler.stop()
            sampler.report(args.profile)
        accepted = codes.get(202, 0)
        print(
            json.dumps(
                {
                    "accept_cpu_ms": round(cpu * 1000 / max(accepted, 1), 2),
                    "accept_per_s": round(accepted / wall, 1),
                    "node_calls_per_accept": round((CountingRpc.calls - calls_before) / max(accepted, 1), 2),
                    "requests": total,
                    "answers": codes,
                    "clients": args.clients,
                    "role_cache_s": args.role_cache,
                    "database": settings.database_url.split(":")[0],
                    "load_average_1m": round(os.getloadavg()[0], 2),
                    "cpus": os.cpu_count(),
                }
            )
        )
        services.engine.dispose()
    finally:
        node.stop()


if __name__ == "__main__":
    main()
