"""The market's Mosquitto: credentials per scale, an ACL that keeps each scale to its own
topics, the broker's configuration, and a broker process of our own.

A config directory holds::

    mosquitto.conf   listener on loopback, no anonymous clients, persistence on
    passwd           PBKDF2-SHA512 hashes in Mosquitto 2's ``$7$`` format
    acl              the gateway reads and writes freshledger/v1/#; each scale writes its
                     weighings and reads its replies and blocks, nothing else
    scales/*.json    each scale's own username and password (mode 0600), for the scale
    gateway.json     the gateway's

A market running its own broker gives it ``passwd`` and ``acl`` (see the README).
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ledger.errors import ConfigurationError
from ledger.scales.protocol import PREFIX, SCALE_ID, blocks_topic, replies_topic, weighings_topic

GATEWAY_USER = "gateway"
#: Mosquitto 2's password hash: PBKDF2-SHA512, 101 rounds, a 12-byte salt (``$7$``).
ROUNDS, SALT_BYTES = 101, 12


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str


@dataclass(frozen=True)
class ScaleEntry:
    stall: str
    scale_id: str
    credentials: Credentials


def scale_username(stall: str, scale_id: str) -> str:
    return f"scale-{stall}-{scale_id}"


def password_hash(password: str, salt: bytes | None = None) -> str:
    """A ``passwd`` line's hash, as ``mosquitto_passwd`` writes it."""
    salt = salt or secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, ROUNDS)
    return f"$7${ROUNDS}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


class BrokerConfig:
    """The generated files of one market's broker in `directory`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @property
    def conf_path(self) -> Path:
        return self.directory / "mosquitto.conf"

    def _scale_path(self, stall: str, scale_id: str) -> Path:
        return self.directory / "scales" / f"{stall}-{scale_id}.json"

    def gateway(self) -> Credentials:
        """The gateway's credentials (made on first use)."""
        path = self.directory / "gateway.json"
        if not path.exists():
            _write_secret(path, {"username": GATEWAY_USER, "password": secrets.token_urlsafe(24)})
            self.write_access()
        data = json.loads(path.read_text())
        return Credentials(data["username"], data["password"])

    def add_scale(self, stall: str, scale_id: str) -> ScaleEntry:
        """Credentials for a scale at `stall` (kept when it has some), and the access files."""
        return self.add_scales([(stall, scale_id)])[0]

    def add_scales(self, scales: list[tuple[str, str]]) -> list[ScaleEntry]:
        """Credentials for each (stall, scale id), then the access files once."""
        for stall, scale_id in scales:
            if not SCALE_ID.match(scale_id):
                raise ConfigurationError("a scale id is 1-32 letters, digits, '-' or '_'")
            path = self._scale_path(stall, scale_id)
            if not path.exists():
                creds = {"username": scale_username(stall, scale_id), "password": secrets.token_urlsafe(24)}
                _write_secret(path, {"stall": stall, "scale_id": scale_id, **creds})
        self.gateway()
        self.write_access()
        return [self.scale(stall, scale_id) for stall, scale_id in scales]

    def scale(self, stall: str, scale_id: str) -> ScaleEntry:
        path = self._scale_path(stall, scale_id)
        if not path.exists():
            raise ConfigurationError(f"no credentials for scale {scale_id} of {stall}: add it first")
        data = json.loads(path.read_text())
        return ScaleEntry(data["stall"], data["scale_id"], Credentials(data["username"], data["password"]))

    def scales(self) -> list[ScaleEntry]:
        folder = self.directory / "scales"
        if not folder.exists():
            return []
        entries = []
        for path in sorted(folder.glob("*.json")):
            data = json.loads(path.read_text())
            entries.append(ScaleEntry(data["stall"], data["scale_id"], Credentials(data["username"], data["password"])))
        return entries

    def write_access(self) -> None:
        """Write ``passwd`` and ``acl`` for the gateway and every scale (a running broker
        reads them again on SIGHUP)."""
        gateway = json.loads((self.directory / "gateway.json").read_text())
        users = [(gateway["username"], gateway["password"])]
        acl = [f"user {gateway['username']}", f"topic readwrite {PREFIX.rsplit('/', 1)[0]}/#", ""]
        for entry in self.scales():
            users.append((entry.credentials.username, entry.credentials.password))
            acl += [
                f"user {entry.credentials.username}",
                f"topic write {weighings_topic(entry.stall, entry.scale_id)}",
                f"topic read {replies_topic(entry.stall, entry.scale_id)}",
                f"topic read {blocks_topic(entry.stall, entry.scale_id)}",
                "",
            ]
        _write_secret_text(self.directory / "passwd", "".join(f"{u}:{password_hash(p)}\n" for u, p in users))
        _write_secret_text(self.directory / "acl", "\n".join(acl) + "\n")

    def write_conf(self, port: int, host: str = "127.0.0.1") -> Path:
        """``mosquitto.conf`` for a broker of ours on `host`:`port`."""
        self.gateway()
        store = self.directory / "persistence"
        store.mkdir(parents=True, exist_ok=True)
        lines = [
            # Started as root, mosquitto would drop to the user "mosquitto", who cannot read
            # these files: it stays the user who runs it.
            f"user {getpass.getuser()}",
            f"listener {port} {host}",
            "allow_anonymous false",
            f"password_file {self.directory / 'passwd'}",
            f"acl_file {self.directory / 'acl'}",
            # Sessions and queued messages outlive a broker restart.
            "persistence true",
            f"persistence_location {store}/",
            "autosave_interval 1",
            "persistent_client_expiration 7d",
            "max_queued_messages 100000",
            # QoS 1 messages sent to a client and not yet acknowledged: the gateway acknowledges
            # a round of weighings once stored, so a larger window makes larger rounds.
            "max_inflight_messages 1000",
            "max_packet_size 4096",
            f"log_dest file {self.directory / 'mosquitto.log'}",
            "log_type error",
            "log_type warning",
            "log_type notice",
        ]
        self.conf_path.write_text("\n".join(lines) + "\n")
        return self.conf_path


def _write_secret(path: Path, data: dict[str, str]) -> None:
    _write_secret_text(path, json.dumps(data))


def _write_secret_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)


def mosquitto_binary() -> str:
    found = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None)
    if found is None:
        raise ConfigurationError("mosquitto is not installed: run `make setup` (Debian package mosquitto)")
    return found


class Broker:
    """A Mosquitto process of ours running `config`'s files on a loopback port."""

    def __init__(self, config: BrokerConfig, port: int) -> None:
        self.config = config
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        conf = self.config.write_conf(self.port)
        self.process = subprocess.Popen(
            [mosquitto_binary(), "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
                raise ConfigurationError(f"mosquitto exited at start: {err.strip()[:500]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise ConfigurationError(f"mosquitto did not listen on {self.port} within {timeout:.0f} s")

    def reload(self) -> None:
        """Read the password and ACL files again (after a scale was added)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(1)  # SIGHUP

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: mosquitto saves its persistence file
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None


def parse_mqtt_url(url: str) -> tuple[str, int]:
    """(host, port) of ``mqtt://host:port``."""
    parts = urlsplit(url)
    if parts.scheme != "mqtt" or not parts.hostname:
        raise ConfigurationError(f"an MQTT URL looks like mqtt://host:port, not {url!r}")
    return parts.hostname, parts.port or 1883
