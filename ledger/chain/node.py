"""The local chain: the real anvil binary from npm, on loopback, in its own process group.

The binary is run directly (not through ``npx``, whose wrapper processes outlive a kill) and
stopped by process group. With a state file anvil reloads the chain at start and writes it
back every few seconds and at exit, so a restart keeps the chain.

Example::

    node = LocalNode(state_dir=Path(".freshledger/chain"))
    info = node.start()            # NodeInfo(pid=..., port=8545, rpc_url="http://127.0.0.1:8545")
    node.status().block_number     # 0
    node.stop()
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

import httpx

from ledger.chain.jsonrpc import JsonRpcConnection
from ledger.errors import NodeError
from ledger.paths import ANVIL_BINARY

DEFAULT_PORT = 8545
#: anvil's own default; wallets and brownie know it as a development chain.
LOCAL_CHAIN_ID = 31337
#: anvil's well-known development mnemonic: its accounts are funded and their keys public,
#: which is what a local chain wants and what no real network may use.
DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_ACCOUNTS = 20
#: Seconds between state dumps: a crash loses at most this much of the local chain.
STATE_INTERVAL_S = 2
STARTUP_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class NodeInfo:
    pid: int
    port: int
    rpc_url: str


@dataclass(frozen=True)
class NodeStatus:
    running: bool
    rpc_url: str | None = None
    pid: int | None = None
    chain_id: int | None = None
    block_number: int | None = None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rpc(url: str, method: str, params: list | None = None, timeout: float = 5.0) -> object:
    """One JSON-RPC call; raises :class:`NodeError` when the node does not answer."""
    payload = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}
    try:
        response = httpx.post(url, json=payload, timeout=timeout)
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise NodeError(f"no JSON-RPC answer from {url}: {exc}") from exc
    if "error" in body:
        raise NodeError(f"{method} failed on {url}: {body['error']}")
    return body["result"]


def node_state(url: str, timeout: float = 1.0) -> dict[str, object]:
    """Whether the node at `url` answers now, and its head block (for health checks).

    Asked on a kept-alive connection: a load balancer asks every few seconds, and a new
    HTTP client each time built a TLS context, loading the system's certificates (44 ms of
    CPU on a slow machine) for a plain-HTTP call of well under one."""
    try:
        return {
            "reachable": True,
            "block_number": int(str(_health_connection(url, timeout).call("eth_blockNumber", [])), 16),
        }
    except NodeError:
        return {"reachable": False, "block_number": None}


@cache
def _health_connection(url: str, timeout: float) -> JsonRpcConnection:
    return JsonRpcConnection(url, timeout=timeout)


class LocalNode:
    """Starts, stops and reports on one anvil process whose files live in `state_dir`.

    `state_dir` holds ``anvil-state.json`` (the chain), ``node.json`` (pid and port of the
    running node) and ``anvil.log``. With ``persist=False`` the chain lives in memory only
    (tests).
    """

    def __init__(self, state_dir: Path, *, port: int | None = None, persist: bool = True) -> None:
        self.state_dir = state_dir
        self.port = port
        self.persist = persist

    @property
    def _record_path(self) -> Path:
        return self.state_dir / "node.json"

    @property
    def state_file(self) -> Path:
        return self.state_dir / "anvil-state.json"

    def start(self) -> NodeInfo:
        """Start anvil (or return the one already running from this folder)."""
        running = self._running_record()
        if running is not None:
            return running
        if not ANVIL_BINARY.exists():
            raise NodeError(f"anvil binary not found at {ANVIL_BINARY}: run `make setup` (npm ci) first")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        port = self.port or _preferred_port()
        command = [
            str(ANVIL_BINARY),
            *("--host", "127.0.0.1", "--port", str(port)),
            *("--chain-id", str(LOCAL_CHAIN_ID), "--accounts", str(DEV_ACCOUNTS), "--mnemonic", DEV_MNEMONIC),
            # No line per request in anvil.log: at hundreds of requests a second the logging
            # costs the node more than the requests do.
            "--silent",
        ]
        if self.persist:
            command += ["--state", str(self.state_file), "--state-interval", str(STATE_INTERVAL_S)]
            # anvil builds a new genesis block (stamped with the current time) at every start,
            # even from a state file; the same timestamp gives the same genesis hash, so the
            # chain keeps its identity across restarts.
            command += ["--timestamp", str(self._genesis_timestamp())]
        log = (self.state_dir / "anvil.log").open("ab")
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
        log.close()
        info = NodeInfo(pid=process.pid, port=port, rpc_url=f"http://127.0.0.1:{port}")
        try:
            _wait_until_ready(info.rpc_url, process)
        except NodeError:
            _kill_group(process.pid)
            raise
        self._record_path.write_text(json.dumps(asdict(info)))
        return info

    def _genesis_timestamp(self) -> int:
        path = self.state_dir / "genesis-timestamp"
        try:
            return int(path.read_text())
        except (FileNotFoundError, ValueError):
            stamp = int(time.time())
            path.write_text(str(stamp))
            return stamp

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop the node started from this folder; anvil writes its state on the way out.

        Returns False when no node was running.
        """
        record = self._read_record()
        if record is None:
            return False
        if _alive(record.pid):
            _kill_group(record.pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while _alive(record.pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if _alive(record.pid):
                _kill_group(record.pid, signal.SIGKILL)
        self._record_path.unlink(missing_ok=True)
        return True

    def status(self) -> NodeStatus:
        """Whether the node from this folder runs, and its chain id and head block."""
        record = self._running_record()
        if record is None:
            return NodeStatus(running=False)
        return NodeStatus(
            running=True,
            rpc_url=record.rpc_url,
            pid=record.pid,
            chain_id=int(str(rpc(record.rpc_url, "eth_chainId")), 16),
            block_number=int(str(rpc(record.rpc_url, "eth_blockNumber")), 16),
        )

    def _read_record(self) -> NodeInfo | None:
        try:
            return NodeInfo(**json.loads(self._record_path.read_text()))
        except (FileNotFoundError, ValueError, TypeError):
            return None

    def _running_record(self) -> NodeInfo | None:
        record = self._read_record()
        if record is None or not _alive(record.pid):
            return None
        try:
            rpc(record.rpc_url, "eth_chainId", timeout=2.0)
        except NodeError:
            return None
        return record


def _preferred_port() -> int:
    """The configured port, else 8545 when free, else any free port."""
    configured = os.environ.get("FRESHLEDGER_NODE_PORT")
    if configured:
        return int(configured)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        if sock.connect_ex(("127.0.0.1", DEFAULT_PORT)) != 0:
            return DEFAULT_PORT
    return free_port()


def _wait_until_ready(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise NodeError(f"anvil exited with code {process.returncode} at start; see anvil.log")
        try:
            rpc(url, "eth_chainId", timeout=1.0)
            return
        except NodeError:
            time.sleep(0.05)
    raise NodeError(f"anvil did not answer on {url} within {STARTUP_TIMEOUT_S:.0f} s")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by its parent) counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def _kill_group(pid: int, sig: signal.Signals = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)
