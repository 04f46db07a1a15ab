"""A short cache of participants' on-chain roles (and of API keys' owners) for the API's
permission checks.

Each check costs two ``eth_call`` (the participant record and the authority role). With
``role_cache_s`` > 0 an answer is reused that long: the API's early refusal may then lag a
grant or suspension by that much, never the chain's own, which checks every transaction.
While the node does not answer, an answer up to ``role_cache_stale_s`` old is used, so that
writes can still be queued (the submitter's estimate checks them again on the chain).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from typing import NamedTuple

from ledger.errors import NodeError


class Roles(NamedTuple):
    roles: int
    suspended: bool
    is_admin: bool


class RoleCache:
    """Roles by address, reused ``fresh_s``; one read at a time per address, so a burst of
    requests when an answer expires makes one pair of calls, not one each (the others wait
    for it and use its answer)."""

    def __init__(self, fresh_s: float, stale_s: float) -> None:
        self.fresh_s = fresh_s
        self.stale_s = stale_s
        self._known: dict[str, tuple[float, Roles]] = {}
        self._reading: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, address: str, read: Callable[[], Roles]) -> Roles:
        if self.fresh_s <= 0:
            return self._read(address, read, time.monotonic(), None)
        known = self._fresh(address)
        if known is not None:
            return known
        with self._guard:
            reading = self._reading.setdefault(address, threading.Lock())
        with reading:  # another request may be reading it now: its answer will do
            known = self._fresh(address)
            if known is not None:
                return known
            with self._guard:
                previous = self._known.get(address)
            return self._read(address, read, time.monotonic(), previous)

    def cached(self, address: str) -> Roles | None:
        """The roles of `address` if known and fresh (never reads the chain)."""
        return self._fresh(address) if self.fresh_s > 0 else None

    def _fresh(self, address: str) -> Roles | None:
        with self._guard:
            known = self._known.get(address)
        if known is not None and time.monotonic() - known[0] < self.fresh_s:
            return known[1]
        return None

    def _read(self, address: str, read: Callable[[], Roles], now: float, previous: tuple[float, Roles] | None) -> Roles:
        if previous is None:
            with self._guard:
                previous = self._known.get(address)
        try:
            roles = read()
        except NodeError:
            if previous is not None and now - previous[0] < self.stale_s:
                return previous[1]
            raise
        with self._guard:
            self._known[address] = (now, roles)
        return roles

    def forget(self, address: str | None = None) -> None:
        """Drop what is known (of `address`, or of everyone): the next check reads the chain."""
        with self._guard:
            if address is None:
                self._known.clear()
            else:
                self._known.pop(address, None)


class KeyCache:
    """API keys already checked, by their SHA-256 (the key itself is not kept), with the
    address each belongs to, reused ``fresh_s`` (the role cache's setting): a revoked key is
    refused at most that long after. 0 checks the database on every request."""

    def __init__(self, fresh_s: float) -> None:
        self.fresh_s = fresh_s
        self._known: dict[bytes, tuple[float, str]] = {}
        self._guard = threading.Lock()

    def cached(self, key: str) -> str | None:
        """The address of `key` if checked within ``fresh_s`` (never reads the database)."""
        if self.fresh_s <= 0:
            return None
        digest = hashlib.sha256(key.encode()).digest()
        with self._guard:
            known = self._known.get(digest)
        if known is not None and time.monotonic() - known[0] < self.fresh_s:
            return known[1]
        return None

    def get(self, key: str, look_up: Callable[[], str | None]) -> str | None:
        if self.fresh_s <= 0:
            return look_up()
        digest = hashlib.sha256(key.encode()).digest()
        now = time.monotonic()
        with self._guard:
            known = self._known.get(digest)
        if known is not None and now - known[0] < self.fresh_s:
            return known[1]
        address = look_up()
        with self._guard:
            if address is None:
                self._known.pop(digest, None)  # unknown keys are not kept: nothing to fill memory with
            else:
                self._known[digest] = (now, address)
        return address

    def forget(self) -> None:
        with self._guard:
            self._known.clear()
