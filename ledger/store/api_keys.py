"""API keys: issued once in clear (``fl_<id>_<secret>``), stored as a hash, looked up by id.

A key's id is public (it is the key's first part, and the market authority's screens list
keys by it); its secret is never stored, listed or shown again after issuing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

from eth_utils import to_checksum_address
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from ledger.errors import LedgerError
from ledger.store import models

_KEYS = models.ApiKey.__table__
#: What the authority's list shows of a key (never its hash).
_LISTED = (_KEYS.c.key_id, _KEYS.c.address, _KEYS.c.label, _KEYS.c.created_at, _KEYS.c.revoked_at, _KEYS.c.last_used_at)
PREFIX = "fl"
#: How precisely a key's last use is kept, in seconds: a busy key (a till, a LIMS) costs one
#: write a minute, not one a request, and the authority's list needs no finer time.
LAST_USED_STEP_S = 60
#: A key id: 16 lower-case hex digits.
KEY_ID = re.compile(r"^[0-9a-f]{16}$")


class KeyAlreadyIssued(LedgerError):
    """A key with this id exists: the request that asked for it was answered before (its
    secret was shown then, and is not kept)."""


@dataclass(frozen=True)
class ApiKeyRecord:
    """A key as the authority sees it: never its secret."""

    key_id: str
    address: str
    label: str
    created_at: int
    revoked_at: int | None
    last_used_at: int | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def key_id_for(request_key: str) -> str:
    """The key id a request identified by `request_key` (a form's key, say) issues: the same
    request sent twice asks for the same id, and the second finds it taken."""
    return hashlib.sha256(b"api-key-request:" + request_key.encode()).hexdigest()[:16]


def issue_key(engine: Engine, address: str, label: str, *, key_id: str | None = None) -> str:
    """A new API key for `address`; the returned text is the only copy of the secret.

    With `key_id` (see :func:`key_id_for`) the key gets that id, and
    :class:`KeyAlreadyIssued` is raised when it was issued before."""
    key_id = key_id or secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(_KEYS).values(
                    key_id=key_id, secret_hash=_hash(secret), address=address, label=label, created_at=int(time.time())
                )
            )
    except IntegrityError:
        raise KeyAlreadyIssued(f"API key {key_id} was issued already") from None
    return f"{PREFIX}_{key_id}_{secret}"


def address_for_key(engine: Engine, key: str, *, now: int | None = None) -> str | None:
    """The address a valid, unrevoked key belongs to; None for anything else. Notes when
    the key was used, at most once a :data:`LAST_USED_STEP_S`."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        return None
    _, key_id, secret = parts
    columns = (_KEYS.c.secret_hash, _KEYS.c.address, _KEYS.c.revoked_at, _KEYS.c.last_used_at)
    with engine.connect() as conn:
        row = conn.execute(select(*columns).where(_KEYS.c.key_id == key_id)).first()
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.secret_hash, _hash(secret)):
        return None
    now = int(time.time()) if now is None else now
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_STEP_S:
        _note_use(engine, key_id, now)
    return row.address


def _note_use(engine: Engine, key_id: str, now: int) -> None:
    """Set the key's last use to `now`, unless a request racing this one did it already."""
    stale = _KEYS.c.last_used_at.is_(None) | (_KEYS.c.last_used_at <= now - LAST_USED_STEP_S)
    with engine.begin() as conn:
        conn.execute(update(_KEYS).where(_KEYS.c.key_id == key_id, stale).values(last_used_at=now))


def keys_of(engine: Engine, address: str) -> list[ApiKeyRecord]:
    """Every key issued to `address`, revoked ones too, newest first."""
    query = (
        select(*_LISTED)
        .where(_KEYS.c.address.in_(_spellings(address)))
        .order_by(_KEYS.c.created_at.desc(), _KEYS.c.key_id)
    )
    with engine.connect() as conn:
        return [ApiKeyRecord(*row) for row in conn.execute(query)]


def revoke_key(engine: Engine, address: str, key_id: str) -> ApiKeyRecord | None:
    """Revoke key `key_id` of `address` (a key revoked already stays as it was); the key as
    it is now, or None when `address` has no such key. The API's key cache must be told
    (:meth:`api.roles.KeyCache.forget`)."""
    owned = (_KEYS.c.key_id == key_id) & _KEYS.c.address.in_(_spellings(address))
    with engine.begin() as conn:
        conn.execute(update(_KEYS).where(owned, _KEYS.c.revoked_at.is_(None)).values(revoked_at=int(time.time())))
        row = conn.execute(select(*_LISTED).where(owned)).first()
    return ApiKeyRecord(*row) if row is not None else None


def revoke_keys(engine: Engine, address: str) -> int:
    """Revoke every key of `address`; return how many."""
    with engine.begin() as conn:
        result = conn.execute(
            update(_KEYS)
            .where(_KEYS.c.address == address, _KEYS.c.revoked_at.is_(None))
            .values(revoked_at=int(time.time()))
        )
    return int(result.rowcount or 0)


def _spellings(address: str) -> list[str]:
    """The ways an address may have been stored: as given, checksummed, lower case."""
    return list(dict.fromkeys([address, to_checksum_address(address), address.lower()]))
