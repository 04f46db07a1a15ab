"""A real IPFS daemon for the tests: js-ipfs 0.66.1 from npm, offline, on loopback.

No kubo binary ships in the package registries reachable here; js-ipfs serves the same
HTTP RPC API (``/api/v0/add``, ``cat``, ``pin/*``). It is started the way ``jsipfs init
--profile test`` then ``jsipfs daemon --offline`` would, in one process (``daemon
--init-config --init-profile test``, which saves a second Node start): its repository in a
temporary folder, the API, gateway and gRPC ports on free loopback ports, no swarm
addresses, no bootstrap peers, no preload nodes, no update check. On Node 20 it needs
``tools/promise-polyfill.cjs`` (``Promise.withResolvers``).

The daemon runs in its own process group and is stopped by group, like the anvil node.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx

from ledger.chain.node import free_port
from ledger.paths import NODE_MODULES, REPO_ROOT

JSIPFS_CLI = NODE_MODULES / "ipfs" / "src" / "cli.js"
POLYFILL = REPO_ROOT / "tools" / "promise-polyfill.cjs"
#: Init (key pair, repository) and start take ~3 s here; a slow CI machine gets room.
STARTUP_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
#: Lines of the daemon's log quoted when it fails.
LOG_TAIL_LINES = 40
#: Log lines after which the daemon will never become ready (it hangs rather than exit).
_FATAL_WORDS = ("EADDRINUSE", "Error:", "TypeError", "ReferenceError")


class DaemonStartError(RuntimeError):
    """The daemon did not become ready; the message ends with its log tail."""


class JsIpfsDaemon:
    """One js-ipfs daemon whose repository and log live in `folder`.

    `api_port` defaults to a free port; the gateway and gRPC ports are always free ones.
    """

    def __init__(self, folder: Path, *, api_port: int | None = None) -> None:
        self.folder = folder
        self.repo = folder / "repo"
        self.log_path = folder / "daemon.log"
        self.api_port = api_port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        #: Process (and group) id of the last start, kept after stop for checks.
        self.pid: int | None = None

    @property
    def api(self) -> str:
        """The RPC API address as a multiaddr, the form ``FRESHLEDGER_IPFS_API`` takes."""
        return f"/ip4/127.0.0.1/tcp/{self.api_port}/http"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def start(self) -> None:
        """Start the daemon and wait until its API answers with this repository's peer id."""
        if not JSIPFS_CLI.exists():
            raise DaemonStartError(f"js-ipfs not installed at {JSIPFS_CLI}: run `make setup` (npm ci)")
        self.folder.mkdir(parents=True, exist_ok=True)
        init_config = self.folder / "init-config.json"
        init_config.write_text(json.dumps(self._init_config(), indent=2))
        command = [
            "node", str(JSIPFS_CLI), "daemon",
            "--init-config", str(init_config),
            "--init-profile", "test",
            "--offline",
            "--enable-preload=false",
        ]  # fmt: skip
        env = {
            **os.environ,
            "IPFS_PATH": str(self.repo),
            "NODE_OPTIONS": f"--require {POLYFILL}",
            "NO_UPDATE_NOTIFIER": "1",
        }
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True
            )
        self.pid = self.process.pid
        try:
            self._wait_until_ready(self.process)
        except DaemonStartError:
            self.stop()
            raise

    def stop(self) -> None:
        """SIGTERM the daemon's process group, SIGKILL it after STOP_TIMEOUT_S; reap it."""
        process, self.process = self.process, None
        if process is None:
            return
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT_S)
        # Children that outlived the leader (none expected) go too.
        _signal_group(process.pid, signal.SIGKILL)

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The last `lines` lines of the daemon's log."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    def _init_config(self) -> dict[str, object]:
        return {
            "Addresses": {
                "API": f"/ip4/127.0.0.1/tcp/{self.api_port}",
                "Gateway": f"/ip4/127.0.0.1/tcp/{free_port()}",
                "RPC": f"/ip4/127.0.0.1/tcp/{free_port()}",
                "Swarm": [],
                "Announce": [],
                "NoAnnounce": [],
                "Delegates": [],
            },
            "Bootstrap": [],
        }

    def _wait_until_ready(self, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self._fail(f"exited with code {process.returncode}")
            fatal = self._fatal_log_line()
            if fatal:
                self._fail(f"reported {fatal!r}")
            peer_id = self._own_peer_id()
            if peer_id and self._answering_peer_id() == peer_id:
                return
            time.sleep(0.1)
        self._fail(f"did not answer on {self.api_url} within {STARTUP_TIMEOUT_S:.0f} s")

    def _fail(self, why: str) -> None:
        raise DaemonStartError(
            f"js-ipfs daemon ({JSIPFS_CLI}, IPFS_PATH={self.repo}) {why}\n--- {self.log_path} (tail) ---\n"
            + self.log_tail()
        )

    def _fatal_log_line(self) -> str | None:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return None
        return next((line.strip() for line in text.splitlines() if any(w in line for w in _FATAL_WORDS)), None)

    def _own_peer_id(self) -> str | None:
        """The peer id in this daemon's repository (so a stranger on the port is not taken for it)."""
        try:
            return str(json.loads((self.repo / "config").read_text())["Identity"]["PeerID"])
        except (OSError, ValueError, KeyError):
            return None

    def _answering_peer_id(self) -> str | None:
        try:
            response = httpx.post(f"{self.api_url}/api/v0/id", timeout=2.0)
            return str(response.json()["ID"]) if response.status_code == httpx.codes.OK else None
        except (httpx.HTTPError, ValueError, KeyError):
            return None


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def group_alive(pid: int) -> bool:
    """Whether any process of the group `pid` still exists."""
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    return True
