"""What an HTTP client costs a load generator, without the API; one JSON line.

A bare asyncio HTTP/1.1 server in its own process answers every POST after ``--delay``
seconds (0: at once; 1: like a sale that waits for its block). ``--clients`` concurrent
clients on one event loop post a sale's body for ``--duration`` seconds over kept-alive
connections, with httpx and then with aiohttp. Per client library: requests a second, the
client process's CPU per request, and the median latency. ``bench/writes.py`` uses the
cheaper one: with httpx the load generator itself bounded its single-sale phases.

``.venv/bin/python bench/http_client.py --clients 500 --delay 1``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
import httpx

from ledger.chain.node import free_port

BODY = {"batch_id": "0x" + "ab" * 32, "quantity": 1, "price": 5, "currency": "CNY"}
ANSWER = b'{"intent_id":1}'


async def serve(port: int, delay: float) -> None:
    """Answer each request 201 after `delay` s, keeping the connection (no framework at all)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                await reader.readexactly(length)
                await asyncio.sleep(delay)
                writer.write(b"HTTP/1.1 201 Created\r\ncontent-type: application/json\r\n")
                writer.write(b"content-length: %d\r\n\r\n%s" % (len(ANSWER), ANSWER))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=4096)
    async with server:
        await server.serve_forever()


async def load(post: Callable[[], Awaitable[None]], clients: int, duration: float) -> dict[str, float]:
    latencies: list[float] = []
    end = time.perf_counter() + duration

    async def client() -> None:
        while time.perf_counter() < end:
            began = time.perf_counter()
            await post()
            latencies.append(time.perf_counter() - began)

    before, began = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    after, elapsed = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter() - began
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return {
        "requests_per_s": round(len(latencies) / elapsed, 1),  # the last answers come after `end`
        "cpu_ms_per_request": round(cpu * 1000 / len(latencies), 3),
        "latency_p50_s": round(statistics.median(latencies), 3),
    }


async def with_httpx(url: str, clients: int, duration: float) -> dict[str, float]:
    limits = httpx.Limits(max_connections=clients + 20, max_keepalive_connections=clients + 20)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=300) as http:

        async def post() -> None:
            (await http.post("/sales", json=BODY)).raise_for_status()

        return await load(post, clients, duration)


async def with_aiohttp(url: str, clients: int, duration: float) -> dict[str, float]:
    connector = aiohttp.TCPConnector(limit=clients + 20)
    async with aiohttp.ClientSession(url, connector=connector) as http:

        async def post() -> None:
            async with http.post("/sales", json=BODY) as answer:
                answer.raise_for_status()
                await answer.read()

        return await load(post, clients, duration)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds the server waits before answering")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of each client library's run")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)  # the server process's port
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve, args.delay))
        return
    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port), "--delay", str(args.delay)])
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):  # until it listens
            try:
                httpx.post(url + "/sales", json=BODY, timeout=5 + args.delay)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        report = {
            "httpx": asyncio.run(with_httpx(url, args.clients, args.duration)),
            "aiohttp": asyncio.run(with_aiohttp(url, args.clients, args.duration)),
            "clients": args.clients,
            "server_delay_s": args.delay,
            "load_average_1m": round(os.getloadavg()[0], 2),
            "cpus": os.cpu_count(),
        }
    finally:
        server.terminate()
        server.wait(10)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
