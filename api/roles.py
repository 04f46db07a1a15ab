"""A short cache of participants' on-chain roles for the API's permission checks.

Each check costs two ``eth_call`` (the participant record and the authority role). With
``role_cache_s`` > 0 an answer is reused that long: the API's early refusal may then lag a
grant or suspension by that much, never the chain's own, which checks every transaction.
While the node does not answer, an answer up to ``role_cache_stale_s`` old is used, so that
writes can still be queued (the submitter's estimate checks them again on the chain).
"""

from __future__ import annotations

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
    def __init__(self, fresh_s: float, stale_s: float) -> None:
        self.fresh_s = fresh_s
        self.stale_s = stale_s
        self._known: dict[str, tuple[float, Roles]] = {}
        self._guard = threading.Lock()

    def get(self, address: str, read: Callable[[], Roles]) -> Roles:
        now = time.monotonic()
        with self._guard:
            known = self._known.get(address)
        if known is not None and now - known[0] < self.fresh_s:
            return known[1]
        try:
            roles = read()
        except NodeError:
            if known is not None and now - known[0] < self.stale_s:
                return known[1]
            raise
        with self._guard:
            self._known[address] = (now, roles)
        return roles

    def forget(self, address: str | None = None) -> None:
        with self._guard:
            if address is None:
                self._known.clear()
            else:
                self._known.pop(address, None)
