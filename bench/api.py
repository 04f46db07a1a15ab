"""QR-scan latency and throughput at about a million events; one JSON line on stdout.

1. Fills a fresh SQLite database with ``--events`` synthetic events through the indexer's
   own projection and write path (no chain needed for reads): farms harvest, each lot is
   split again and again (lineage depth up to 10), handed to a stall and sold.
2. Serves the API with uvicorn on 127.0.0.1 (``--workers`` processes).
3. A load generator scans random sales' Digital Links, as JSON and as HTML: wrk (Debian's
   ``wrk``, a C client that leaves the CPU to the server) when installed, else a Python
   asyncio client in another process (which takes a core of its own and lowers the figures).
   Each kind is measured twice for ``--seconds``: flat out from ``--concurrency``
   connections, which gives the ceiling ``rps``; then paced at ``--rate`` requests a second
   (1,000 by default, or 80% of the ceiling when that is lower), which gives the latencies
   ``p50_ms`` and ``p99_ms`` at that load. (Flat out, a closed-loop client only measures its
   own queue: latency = connections / throughput. Those figures are kept as
   ``saturated_p50_ms`` and ``saturated_p99_ms``.)

Scans are answered from the workers' scan cache (:mod:`api.scan_cache`): before the runs,
every sampled Digital Link is asked once as JSON and twice as a page, which fills both
workers' caches (the mean time of those first asks is ``scan_miss_ms``, the uncached answer)
and gives each page's ``ETag``. Then ``scan_304_rps``: flat out, each page asked with
``If-None-Match`` (a phone or CDN revalidating). And the physical reference,
``static_file_rps``: one of the same pages written to a file and served flat out by the same
server (the same app and middleware, with a ``StaticFiles`` mount added, see
:func:`static_app`).

Prints ``scan_json_p50_ms``, ``scan_json_p99_ms``, ``scan_json_rps`` and the same for HTML,
``scan_304_rps``, ``static_file_rps`` and the 1-minute load average before each measurement
(``*_load``): the machine is shared. With each flat-out figure comes ``*_cpu_us``, the server
workers' CPU time per answered request (from ``/proc``): on a busy machine throughput measures
the scheduler, while CPU per request still compares two versions run back to back. Run from the repository root:
``.venv/bin/python bench/api.py --events 1000000`` (``--events 100000 --seconds 5`` for a quick
look; ``--database FILE`` keeps the filled database for the next run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy import text

from ledger.chain.events import ChainEvent
from ledger.chain.freshledger import batch_id_of, sale_id_of
from ledger.chain.node import free_port
from ledger.digital_link import DigitalLink
from ledger.gs1 import make_gtin
from ledger.indexer.sync import write_events
from ledger.store.db import make_engine, migrate
from ledger.store.writer import CheckpointRecord, IndexStore
from ledger.vocabulary import ROLE_BIT_OF_ID

GTIN = make_gtin("0690123400001")
DEPTH = 10
SALES_PER_LOT = 4
CHUNK = 20_000
#: Where :func:`static_app` serves the reference page.
STATIC_PREFIX = "/bench-static"
STATIC_DIR_VARIABLE = "FRESHLEDGER_BENCH_STATIC_DIR"
#: Connections of the paced run: enough that each waits far longer between its requests
#: than a request takes, so the offered load stays close to the asked rate.
PACED_CONNECTIONS = 32


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Synthesis:
    """Makes chain events as the contract would emit them, numbered like a chain."""

    def __init__(self) -> None:
        self.block = 0
        self.events: list[ChainEvent] = []
        self.sales: list[tuple[str, int]] = []  # (lot, serial)

    def emit(self, event: str, /, **args: object) -> None:
        self.block += 1
        self.events.append(
            ChainEvent(
                self.block,
                f"0x{self.block:064x}",
                1_764_000_000 + self.block,
                f"0x{self.block:064x}",
                0,
                0,
                event,
                dict(args),
            )
        )

    def participants(self, farms: list[str], stalls: list[str]) -> None:
        supplier, vendor = (next(r for r, b in ROLE_BIT_OF_ID.items() if b == bit) for bit in (1, 8))
        for i, address in enumerate(farms + stalls, start=1):
            self.emit("ParticipantRegistered", account=address, role="", index=i, name=f"P{i}", identifier=str(i))
            self.emit("RoleGranted", role=supplier if address in farms else vendor, account=address, sender=farms[0])

    def lot_chain(self, n: int, farm: str, stall: str, depth: int) -> None:
        base = lot = f"F{n:07d}"
        parent = "0x" + batch_id_of(GTIN, lot).hex()
        self.emit(
            "HarvestRegistered",
            batchId=parent,
            supplier=farm,
            gtin=GTIN,
            lot=lot,
            quantity=1000,
            unit="KGM",
            harvestedAt=1_764_000_000,
            origin="geo:30.2,120.1",
            documentCid=None,
        )
        for level in range(1, depth):
            child_lot = f"{base}-{level}"
            child = "0x" + batch_id_of(GTIN, child_lot).hex()
            self.emit(
                "BatchSplit", parentId=parent, childId=child, custodian=farm, lot=child_lot, quantity=1000 - 10 * level
            )
            parent, lot = child, child_lot
        self.emit("HandOffInitiated", batchId=parent, **{"from": farm}, to=stall, quantity=1000 - 10 * (depth - 1))
        self.emit("HandOffAccepted", batchId=parent, to=stall, quantity=1000 - 10 * (depth - 1))
        for serial in range(1, SALES_PER_LOT + 1):
            sale = "0x" + sale_id_of(bytes.fromhex(parent[2:]), serial).hex()
            self.emit(
                "SaleRecorded",
                batchId=parent,
                vendor=stall,
                saleId=sale,
                serial=serial,
                quantity=1,
                price=600,
                currency="CNY",
            )
            self.sales.append((lot, serial))


def fill(database_url: str, events: int) -> list[tuple[str, int]]:
    engine = make_engine(database_url)
    migrate(engine)
    store = IndexStore(engine)
    synth = Synthesis()
    farms = [f"0x{i:040x}" for i in range(1, 21)]
    stalls = [f"0x{i:040x}" for i in range(100, 140)]
    synth.participants(farms, stalls)
    rng = random.Random(7)
    n = 0
    written = 0
    while written + len(synth.events) < events:
        synth.lot_chain(n, rng.choice(farms), rng.choice(stalls), rng.randint(1, DEPTH))
        n += 1
        if len(synth.events) >= CHUNK:
            written += _write(store, synth.events)
            synth.events = []
            if n % 2000 == 0:
                log(f"  {written:,} events")
    written += _write(store, synth.events)
    engine.dispose()
    log(f"database filled: {written:,} events, {len(synth.sales):,} sales")
    return synth.sales


def recorded_sales(database_url: str) -> list[tuple[str, int]]:
    """(lot, serial) of every sale in an already filled database (migrated first: the two
    workers would otherwise race to migrate a database kept from an older version)."""
    engine = make_engine(database_url)
    migrate(engine)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT b.lot, s.serial FROM sales s JOIN batches b ON b.batch_id = s.batch_id ORDER BY s.sale_id")
        ).all()
    engine.dispose()
    log(f"reusing the filled database: {len(rows):,} sales")
    return [(lot, int(serial)) for lot, serial in rows]


def _write(store: IndexStore, events: list[ChainEvent]) -> int:
    """Through the indexer's own projection and write path (no journal: all final)."""
    if events:
        last = events[-1]
        checkpoint = CheckpointRecord(last.block_number, last.block_hash)
        write_events(
            store,
            events,
            final_block=last.block_number,
            recent_blocks=[],
            checkpoint=checkpoint,
            prune_below=last.block_number,
        )
    return len(events)


async def _load(urls: list[str], accept: str, seconds: float, concurrency: int) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30, headers={"Accept": accept}) as client:

        async def worker(seed: int) -> None:
            nonlocal errors
            rng = random.Random(seed)
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                response = await client.get(rng.choice(urls))
                latencies.append(time.perf_counter() - began)
                if response.status_code != 200:
                    errors += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        elapsed = time.perf_counter() - began
    return latencies, errors, elapsed


def _load_process(urls: list[str], accept: str, seconds: float, concurrency: int, out: multiprocessing.Queue) -> None:
    out.put(asyncio.run(_load(urls, accept, seconds, concurrency)))


def static_app() -> object:
    """The API as ``freshledger serve`` runs it, plus a ``StaticFiles`` mount of the directory
    ``$FRESHLEDGER_BENCH_STATIC_DIR`` at :data:`STATIC_PREFIX`: the reference for
    ``static_file_rps`` (the same server, the same middleware, a file instead of a scan)."""
    from starlette.staticfiles import StaticFiles

    from api.main import create_app

    app = create_app()
    app.mount(STATIC_PREFIX, StaticFiles(directory=os.environ[STATIC_DIR_VARIABLE]), name="bench-static")
    return app


def measure_wrk(
    urls: list[str],
    accept: str,
    seconds: float,
    concurrency: int,
    rate: float | None = None,
    etags: list[str] | None = None,
) -> dict[str, float]:
    """wrk with a Lua script that picks a random path per request.

    Without `rate`, every connection sends its next request as soon as the answer arrives
    (the server's ceiling). With `rate`, each connection waits a random time (exponential, mean
    ``concurrency / rate`` seconds) between requests, so the server sees about `rate` requests
    a second arriving independently, and the latencies are those of that load rather than of a
    queue the load generator keeps full.
    """
    parts = urlsplit(urls[0])
    base = f"{parts.scheme}://{parts.netloc}"
    paths = ",".join(json.dumps(url[len(base) :]) for url in urls)
    headers = f"['Accept']='{accept}'" + (", ['If-None-Match']=etags[i]" if etags else "")
    script = (
        f"paths = {{{paths}}}\n"
        + (f"etags = {{{','.join(json.dumps(tag) for tag in etags)}}}\n" if etags else "")
        + f"request = function() local i = math.random(#paths) return wrk.format('GET', paths[i], {{{headers}}}) end\n"
    )
    if rate:
        # Exponential pauses (Poisson arrivals, as shoppers scanning independently): fixed ones
        # keep the connections in step, and their synchronised bursts queue behind each other.
        script += f"delay = function() return -math.log(1 - math.random()) * {concurrency * 1000 / rate:.3f} end\n"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    command = ["wrk", "-t1", f"-c{concurrency}", f"-d{int(seconds)}s", "--latency", "-s", handle.name, base]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    Path(handle.name).unlink()

    def millis(label: str) -> float:
        line = next(line for line in out.splitlines() if line.strip().startswith(label))
        value = line.split()[1]
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
        unit = next(u for u in ("us", "ms", "s") if value.endswith(u))
        return round(float(value[: -len(unit)]) * scale[unit], 2)

    rps = float(next(line for line in out.splitlines() if line.startswith("Requests/sec")).split()[1])
    errors = sum(int(line.split()[-1]) for line in out.splitlines() if "Non-2xx" in line)
    requests = int(next(line for line in out.splitlines() if " requests in " in line).split()[0])
    return {"p50_ms": millis("50%"), "p99_ms": millis("99%"), "rps": round(rps), "errors": errors, "requests": requests}


def measure(
    urls: list[str],
    accept: str,
    seconds: float,
    concurrency: int,
    rate: float | None = None,
    etags: list[str] | None = None,
) -> dict[str, float]:
    if shutil.which("wrk"):
        return measure_wrk(urls, accept, seconds, concurrency, rate, etags)
    if etags:
        raise SystemExit("scan_304_rps needs wrk (make system-packages)")
    queue: multiprocessing.Queue = multiprocessing.Queue()
    process = multiprocessing.Process(target=_load_process, args=(urls, accept, seconds, concurrency, queue))
    process.start()
    latencies, errors, elapsed = queue.get()
    process.join()
    latencies.sort()
    return {
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
        "rps": round(len(latencies) / elapsed),
        "errors": errors,
        "requests": len(latencies),
    }


def server_cpu_s(pid: int) -> float:
    """CPU seconds (user and system) the server's worker processes have used so far."""
    ticks = 0
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime and stime: fields 14 and 15 of stat
    return ticks / os.sysconf("SC_CLK_TCK")


def flat_out(
    urls: list[str], accept: str, args: argparse.Namespace, server: int, etags: list[str] | None = None
) -> dict[str, float]:
    """:func:`measure` flat out, plus the load before it and ``cpu_us``: the server workers'
    CPU time per answered request, which a busy machine inflates far less than throughput."""
    load = os.getloadavg()[0]
    began = server_cpu_s(server)
    figures = measure(urls, accept, args.seconds, args.concurrency, etags=etags)
    cpu_us = (server_cpu_s(server) - began) / max(figures["requests"], 1) * 1e6
    return figures | {"load": round(load, 2), "cpu_us": round(cpu_us, 1)}


def scan_figures(urls: list[str], accept: str, args: argparse.Namespace, server: int) -> dict[str, float]:
    """The ceiling (``rps``, with the latencies of a full queue as ``saturated_*`` and the
    server's CPU per request as ``cpu_us``), then the latencies at ``--rate`` requests a
    second (or 80% of the ceiling when that is lower)."""
    ceiling = flat_out(urls, accept, args, server)
    figures = {k: ceiling[k] for k in ("rps", "errors", "load", "cpu_us")}
    figures |= {"saturated_p50_ms": ceiling["p50_ms"], "saturated_p99_ms": ceiling["p99_ms"]}
    if not shutil.which("wrk"):  # the Python client cannot pace itself: one figure set
        return figures | {"p50_ms": ceiling["p50_ms"], "p99_ms": ceiling["p99_ms"]}
    rate = min(args.rate, 0.8 * ceiling["rps"])
    paced = measure(urls, accept, args.seconds, PACED_CONNECTIONS, rate=rate)
    return figures | {
        "p50_ms": paced["p50_ms"],
        "p99_ms": paced["p99_ms"],
        "paced_rps": paced["rps"],
        "errors": ceiling["errors"] + paced["errors"],
    }


def first_asks(urls: list[str]) -> tuple[list[str], float]:
    """Ask every URL once as JSON and twice as a page; return the pages' ETags and the mean
    time of the first asks (uncached answers), in milliseconds. The asks go over one kept-alive
    connection, so one worker makes the answers; the other takes them from the workers' shared
    answers (:mod:`api.shared_answers`) when the load reaches it."""
    etags: list[str] = []
    took = 0.0
    with httpx.Client(timeout=30) as client:
        for url in urls:
            began = time.perf_counter()
            client.get(url, headers={"Accept": "application/json"}).raise_for_status()
            page = client.get(url, headers={"Accept": "text/html"})
            took += time.perf_counter() - began
            page.raise_for_status()
            again = client.get(url, headers={"Accept": "text/html"})
            if again.headers.get("etag") != page.headers.get("etag"):
                raise SystemExit(f"{url} changed between two asks")
            etags.append(page.headers["etag"])
    return etags, round(took / (2 * len(urls)) * 1000, 2)


def ceiling(
    urls: list[str], accept: str, args: argparse.Namespace, server: int, etags: list[str] | None = None
) -> dict:
    figures = flat_out(urls, accept, args, server, etags)
    return {k: figures[k] for k in ("rps", "errors", "load", "cpu_us")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--concurrency", type=int, default=16, help="connections when measuring the ceiling")
    parser.add_argument("--rate", type=float, default=1000.0, help="requests a second when measuring latency")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--database", type=Path, help="SQLite file to keep the filled database in (reused when it exists)"
    )
    parser.add_argument(
        "--start-timeout",
        type=float,
        default=180.0,
        help="seconds the API workers may take to start and answer (a loaded machine needs minutes)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="freshledger-api-bench-") as tmp:
        db_file = args.database or Path(tmp) / "bench.db"
        database_url = f"sqlite:///{db_file}"
        began = time.perf_counter()
        sales = recorded_sales(database_url) if db_file.exists() else fill(database_url, args.events)
        fill_s = time.perf_counter() - began
        port = free_port()
        host = f"127.0.0.1:{port}"
        static_dir = Path(tmp) / "static"
        static_dir.mkdir()
        env = {
            "FRESHLEDGER_DATABASE_URL": database_url,
            "FRESHLEDGER_DATA_DIR": tmp,
            "FRESHLEDGER_PUBLIC_HOST": host,
            "FRESHLEDGER_PUBLIC_SCHEME": "http",
            "FRESHLEDGER_RPC_URL": "http://127.0.0.1:9",
            STATIC_DIR_VARIABLE: str(static_dir),
        }
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "bench.api:static_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
            ],
            env={**__import__("os").environ, **env},
        )
        try:
            urls = [
                f"http://{host}{DigitalLink(GTIN, lot, str(serial)).path}"
                for lot, serial in random.Random(1).sample(sales, min(2000, len(sales)))
            ]
            deadline = time.time() + args.start_timeout
            while True:
                try:
                    if httpx.get(urls[0], headers={"Accept": "application/json"}, timeout=5).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.time() > deadline:
                    raise SystemExit(f"the API did not answer within {args.start_timeout:.0f} s (--start-timeout)")
                time.sleep(0.2)
            etags, miss_ms = first_asks(urls)
            (static_dir / "page.html").write_bytes(httpx.get(urls[0], headers={"Accept": "text/html"}).content)
            static_url = f"http://{host}{STATIC_PREFIX}/page.html"
            measure(urls, "application/json", 2, args.concurrency)  # warm-up
            json_figures = scan_figures(urls, "application/json", args, server.pid)
            html_figures = scan_figures(urls, "text/html", args, server.pid)
            revalidations = ceiling(urls, "text/html", args, server.pid, etags)
            static_figures = ceiling([static_url], "text/html", args, server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)

    report = {
        "events": args.events,
        "fill_s": round(fill_s, 1),
        "workers": args.workers,
        "concurrency": args.concurrency,
        "paced_connections": PACED_CONNECTIONS,
        "load_generator": "wrk" if shutil.which("wrk") else "python-asyncio",
        **{f"scan_json_{k}": v for k, v in json_figures.items()},
        **{f"scan_html_{k}": v for k, v in html_figures.items()},
        **{f"scan_304_{k}": v for k, v in revalidations.items()},
        **{f"static_file_{k}": v for k, v in static_figures.items()},
        "scan_miss_ms": miss_ms,
        "scan_html_vs_static": round(html_figures["rps"] / static_figures["rps"], 2),
        "targets": {
            "scan_json_p99_ms<=20": json_figures["p99_ms"] <= 20,
            "scan_json_rps>=1000": json_figures["rps"] >= 1000,
            "scan_html_rps>=2000": html_figures["rps"] >= 2000,
            "scan_html_p99_ms<=20": html_figures["p99_ms"] <= 20,
            "scan_html_rps>=0.5*static_file_rps": html_figures["rps"] >= 0.5 * static_figures["rps"],
            "scan_304_rps>=5000": revalidations["rps"] >= 5000,
        },
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
