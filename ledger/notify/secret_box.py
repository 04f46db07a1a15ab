"""Webhook secrets sealed at rest with Fernet (AES-128-CBC and HMAC-SHA256, ``cryptography``).

The notifier signs with the clear secret, so it cannot be kept as a hash the way an API key
is; it is kept sealed instead, and a copy of the database alone (a backup, a replica, a
leaked dump) does not let anyone forge notifications.

The key comes from ``FRESHLEDGER_WEBHOOK_KEY`` (a Fernet key; several, comma-separated,
open secrets sealed under any of them and seal under the first: that is how a key is
rotated), else from ``<data dir>/webhook.key``, which the first start generates with mode
0600. A key file that group or others may read is refused, as ssh refuses such a key.

Example::

    box = load_secret_box(data_dir())
    sealed = box.seal("whsec_...")
    box.open(sealed)    # "whsec_..."
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from ledger.errors import WebhookKeyError

KEY_VARIABLE = "FRESHLEDGER_WEBHOOK_KEY"
KEY_FILE = "webhook.key"
KEY_MODE = 0o600


class SecretBox:
    """Seals and opens webhook secrets with one or more Fernet keys (the first seals)."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise WebhookKeyError("no webhook key given")
        try:
            self._fernet = MultiFernet([Fernet(key) for key in keys])
        except ValueError:
            raise WebhookKeyError(
                f"{KEY_VARIABLE} (or {KEY_FILE}) is not a Fernet key: 32 url-safe base64-encoded bytes"
            ) from None

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode("ascii")

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode()
        except (InvalidToken, UnicodeError):
            raise WebhookKeyError(
                "a webhook secret does not open with the configured key: was the key file replaced "
                f"or {KEY_VARIABLE} changed without keeping the old key after the new one?"
            ) from None


def load_secret_box(data_dir: Path, key: str | None = None) -> SecretBox:
    """The box for `key`, else ``$FRESHLEDGER_WEBHOOK_KEY``, else the key file under
    `data_dir` (created, 0600, on first use)."""
    text = key if key is not None else os.environ.get(KEY_VARIABLE)
    if text:
        return SecretBox([k.strip().encode() for k in text.split(",") if k.strip()])
    return SecretBox([_key_file(data_dir / KEY_FILE)])


def _key_file(path: Path) -> bytes:
    if not path.exists():
        _create_key_file(path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise WebhookKeyError(f"{path} may be read by others (mode {mode:o}): chmod 600 it")
    key = path.read_bytes().strip()
    if not key:
        raise WebhookKeyError(f"{path} is empty: delete it only if no webhook secret was sealed with it")
    return key


def _create_key_file(path: Path) -> None:
    """Write a new key beside `path`, then link it into place: the API and the notifier may
    start at once, and neither may see a half-written key or replace the other's."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, KEY_MODE)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(Fernet.generate_key() + b"\n")
            out.flush()
            os.fsync(out.fileno())
        os.link(draft, path)
    except FileExistsError:
        pass  # the other process's key won
    finally:
        draft.unlink(missing_ok=True)
