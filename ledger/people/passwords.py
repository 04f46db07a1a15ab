"""Passwords stored as argon2id hashes (argon2-cffi's RFC 9106 low-memory profile)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()  # argon2id, t=3, m=64 MiB, p=4 (RFC 9106's second recommendation)
MIN_LENGTH = 10
MAX_LENGTH = 200
#: Hashed when the account does not exist, so that a wrong name costs as long as a wrong password.
_DUMMY = _HASHER.hash("not anyone's password")


def hash_password(password: str) -> str:
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise ValueError(f"a password has {MIN_LENGTH} to {MAX_LENGTH} characters")
    return _HASHER.hash(password)


def check_password(stored: str | None, password: str) -> bool:
    """Whether `password` matches the `stored` hash (None: no such account; still costs a hash)."""
    try:
        return _HASHER.verify(stored or _DUMMY, password[:MAX_LENGTH]) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _HASHER.check_needs_rehash(stored)
