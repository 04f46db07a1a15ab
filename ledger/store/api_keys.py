"""API keys: issued once in clear (``fl_<id>_<secret>``), stored as a hash, looked up by id."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from sqlalchemy import Engine, insert, select, update

from ledger.store import models

_KEYS = models.ApiKey.__table__
PREFIX = "fl"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_key(engine: Engine, address: str, label: str) -> str:
    """A new API key for `address`; the returned text is the only copy of the secret."""
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(
            insert(_KEYS).values(
                key_id=key_id, secret_hash=_hash(secret), address=address, label=label, created_at=int(time.time())
            )
        )
    return f"{PREFIX}_{key_id}_{secret}"


def address_for_key(engine: Engine, key: str) -> str | None:
    """The address a valid, unrevoked key belongs to; None for anything else."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        return None
    _, key_id, secret = parts
    with engine.connect() as conn:
        row = conn.execute(
            select(_KEYS.c.secret_hash, _KEYS.c.address, _KEYS.c.revoked_at).where(_KEYS.c.key_id == key_id)
        ).first()
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.secret_hash, _hash(secret)):
        return None
    return row.address


def revoke_keys(engine: Engine, address: str) -> int:
    """Revoke every key of `address`; return how many."""
    with engine.begin() as conn:
        result = conn.execute(
            update(_KEYS)
            .where(_KEYS.c.address == address, _KEYS.c.revoked_at.is_(None))
            .values(revoked_at=int(time.time()))
        )
    return int(result.rowcount or 0)
