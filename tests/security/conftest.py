"""The hostile-input suite's fixtures: the API over a real anvil and SQLite (``api_market`` and
``cast`` of tests/api), a sale to scan, and the same market served by a real ``freshledger
serve`` process, so that an attack that would crash the interpreter shows as a dead process,
not as a dead test run.

Every attack ends by asking :meth:`ServerProcess.assert_alive`: the process still runs and
still answers a QR scan.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from ledger.chain.node import free_port
from tests.api.conftest import Market, api_market, cast  # noqa: F401  (fixtures of this package too)
from tests.factories.api_writes import deliver, harvest

#: How long the server process may take to start (it migrates and imports the web stack).
START_TIMEOUT_S = 60.0
#: The limits the served process runs with (small, so attacks are quick to make).
PROCESS_LIMITS = {
    "FRESHLEDGER_BODY_TIMEOUT_S": "2",
    "FRESHLEDGER_DOCUMENT_TIMEOUT_S": "3",
    "FRESHLEDGER_MAX_DOCUMENT_BYTES": str(2 * 1024 * 1024),
}


@pytest.fixture(scope="module")
def scan_path(api_market: Market, cast: dict[str, tuple[str, str]]) -> str:  # noqa: F811
    """The Digital Link path of a recorded, indexed sale: what a shopper's phone asks for."""
    m = api_market
    batch = harvest(m, cast["farm"][1])
    deliver(m, batch, cast["farm"], cast["vendor"])
    m.sync()
    sale = m.client.post(
        "/sales", json={"batch_id": batch, "quantity": 1, "price": 650}, headers=m.auth(cast["vendor"][1])
    )
    assert sale.status_code == 201, sale.text
    m.sync()
    path = urlsplit(sale.json()["qr_url"]).path
    assert m.client.get(path).status_code == 200
    return path


@dataclass
class ServerProcess:
    """``freshledger serve`` in its own process, on the market's data and database."""

    process: subprocess.Popen[bytes]
    base: str
    port: int
    scan_path: str

    def assert_alive(self) -> None:
        """The process has not died (a segfault is returncode -11) and answers a scan."""
        assert self.process.poll() is None, f"the server died with {self.process.returncode}"
        answer = httpx.get(self.base + self.scan_path, timeout=15)
        assert answer.status_code == 200 and "text/html" in answer.headers["content-type"]

    def connect(self) -> socket.socket:
        """A raw TCP connection to the server (to send exactly the bytes an attacker would)."""
        return socket.create_connection(("127.0.0.1", self.port), timeout=15)


@pytest.fixture(scope="module")
def server(api_market: Market, scan_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:  # noqa: F811
    settings = api_market.client.app.state.services.settings
    port = free_port()
    env = {
        **os.environ,
        "FRESHLEDGER_DATA_DIR": str(settings.data_dir),
        "FRESHLEDGER_DATABASE_URL": settings.database_url,
        "FRESHLEDGER_RPC_URL": settings.rpc_url,
        "FRESHLEDGER_PUBLIC_HOST": str(settings.public_host),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        **PROCESS_LIMITS,
    }
    log = (tmp_path_factory.mktemp("server") / "server.log").open("wb")
    command = [sys.executable, "-m", "ledger.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    served = ServerProcess(process, f"http://127.0.0.1:{port}", port, scan_path)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:  # a readiness poll, bounded
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"freshledger serve did not start (see {log.name})")
            try:
                if httpx.get(served.base + "/health", timeout=2).status_code < 500:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield served
        assert process.poll() is None, f"the server died with {process.returncode} (see {log.name})"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def read_response(connection: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of the one HTTP/1.1 answer on `connection` (read until the
    server closes it or Content-Length bytes arrived)."""
    data = b""
    while b"\r\n\r\n" not in data:
        piece = connection.recv(65536)
        if not piece:
            break
        data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        piece = connection.recv(65536)
        if not piece:
            break
        body += piece
    return status, headers, body
