"""Counting receipt scans off the scan's critical path.

A scan of a receipt's QR code calls :meth:`ScanCounter.record`: one dictionary update under a
lock, no I/O. A background thread sums the scans into one tally per receipt and network and
writes them every ``scan_flush_s`` seconds in one transaction (:func:`ledger.store.receipt_scans.
add_scans`), which also flags receipts that look copied; it prunes per-network rows older than
the retention now and then. Scans waiting in memory show on the sale's page at once (added to
the stored totals); a copy is flagged at the next flush.

Only the scanner's network is kept: an IPv4 address cut to its /24, an IPv6 one to its /48.
Several API processes each keep their own buffer; the database sums them. A process that dies
loses at most its last ``scan_flush_s`` seconds of counts (a count, never a sale or rating).
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache

from sqlalchemy import Engine

from ledger.store.receipt_scans import CopyRule, ScanSummary, ScanTally, add_scans, prune_scans, scan_summary

log = logging.getLogger(__name__)

#: Receipt-and-network pairs held in memory at most between flushes: a flood of scans from
#: ever new addresses costs bounded memory (the overflow is counted, not kept).
MAX_PENDING = 100_000
#: Seconds between prunes of per-network rows past the retention.
PRUNE_EVERY_S = 600


@lru_cache(maxsize=65_536)  # a scanner scans again; parsing an address is the costly part
def network_of(host: str | None) -> str | None:
    """The network of a client address, as stored: ``203.0.113.0/24`` or ``2001:db8:1::/48``
    (None when the address is not an IP address, e.g. a test client's name).

    >>> network_of("203.0.113.77"), network_of("2001:db8:1:2::5"), network_of("::ffff:198.51.100.9")
    ('203.0.113.0/24', '2001:db8:1::/48', '198.51.100.0/24')
    """
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


@dataclass
class _Pending:
    first_at: int
    last_at: int
    scans: int


class ScanCounter:
    """Receipt scans counted in memory and written in batches by a background thread.

    Example::

        counter = ScanCounter(engine, CopyRule(networks=5, window_s=3600), flush_s=2, retention_s=7 * 86400)
        counter.record(sale_id, request.client.host)  # on the scan: memory only
        counter.summary(sale_id)  # stored totals plus what waits in memory
    """

    def __init__(
        self,
        engine: Engine,
        rule: CopyRule,
        *,
        flush_s: float,
        retention_s: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine, self.rule, self.flush_s, self.retention_s = engine, rule, flush_s, retention_s
        self._clock = clock
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, str], _Pending] = {}
        self._by_sale: dict[str, _Pending] = {}
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._pruned_at = 0.0
        self.dropped = 0

    def record(self, sale_id: str, host: str | None) -> None:
        """One scan of sale `sale_id`'s receipt from address `host`: memory only."""
        network = network_of(host) or "unknown"
        now = int(self._clock())
        key = (sale_id, network)
        with self._lock:
            pending = self._pending.get(key)
            if pending is None:
                if len(self._pending) >= MAX_PENDING:
                    self.dropped += 1
                    return
                self._pending[key] = _Pending(now, now, 1)
            else:
                pending.last_at, pending.scans = now, pending.scans + 1
            total = self._by_sale.get(sale_id)
            if total is None:
                self._by_sale[sale_id] = _Pending(now, now, 1)
            else:
                total.last_at, total.scans = now, total.scans + 1
            if self._thread is None:
                self._start()

    def summary(self, sale_id: str) -> ScanSummary | None:
        """Sale `sale_id`'s scans: stored totals plus those waiting in memory."""
        stored = scan_summary(self.engine, sale_id)
        with self._lock:
            waiting = self._by_sale.get(sale_id)
            waiting = None if waiting is None else replace(waiting)
        if waiting is None:
            return stored
        if stored is None:
            return ScanSummary(sale_id, waiting.first_at, waiting.last_at, waiting.scans, 0, None)
        return replace(
            stored,
            first_at=min(stored.first_at, waiting.first_at),
            last_at=max(stored.last_at, waiting.last_at),
            scans=stored.scans + waiting.scans,
        )

    def flush(self) -> list[str]:
        """Write what waits in memory; answers the receipts newly flagged as possibly copied.
        Kept in memory for the next flush when the database refuses it."""
        with self._lock:
            taken, self._pending, by_sale, self._by_sale = self._pending, {}, self._by_sale, {}
        tallies = [ScanTally(s, n, p.first_at, p.last_at, p.scans) for (s, n), p in taken.items()]
        try:
            flagged = add_scans(self.engine, tallies, rule=self.rule)
        except Exception:
            log.exception("receipt scans not written; kept for the next flush")
            self._put_back(taken, by_sale)
            return []
        if self._clock() - self._pruned_at >= PRUNE_EVERY_S:
            self._pruned_at = self._clock()
            prune_scans(self.engine, int(self._pruned_at) - self.retention_s)
        return flagged

    def close(self) -> None:
        """Stop the background thread and write what waits."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.flush_s + 5)
        self.flush()

    def _put_back(self, taken: dict[tuple[str, str], _Pending], by_sale: dict[str, _Pending]) -> None:
        with self._lock:
            for key, old in taken.items():
                self._merge(self._pending, key, old)
            for sale, old in by_sale.items():
                self._merge(self._by_sale, sale, old)

    @staticmethod
    def _merge(into: dict, key: object, old: _Pending) -> None:
        new = into.get(key)
        if new is None:
            into[key] = old
        else:
            new.first_at, new.scans = min(new.first_at, old.first_at), new.scans + old.scans

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="receipt-scans", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.flush_s):
            try:
                self.flush()
            except Exception:  # a prune that failed: the next round tries again
                log.exception("receipt scan flush failed")
