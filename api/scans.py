"""What the resolver knows of each scan, and the one place that hears of every scan.

:func:`scan_seen` is called once for every scan of a recorded sale's Digital Link, whether the
answer came from the cache, was made afresh or was a ``304 Not Modified``, before the answer
is sent. It runs on the event loop inside the scan's hot path: whatever it does must take
microseconds (count in memory, hand off to a queue), never wait on the database or the network.
Unknown and malformed codes (404, 400) are not scans of a sale and do not reach it.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from api.services import Services

#: The forms a scan's answer takes.
PAGE, JSON, LINKSET = "page", "json", "linkset"


@dataclass(frozen=True)
class Scan:
    """One scan of a sale's Digital Link."""

    sale_id: str
    #: :data:`PAGE`, :data:`JSON` or :data:`LINKSET`.
    form: str
    #: The page's language (None for JSON and the linkset).
    lang: str | None
    #: The receipt's rating proof when the request carried the sale's valid one, else None.
    proof: str | None
    #: Whether the client already held the answer (``304 Not Modified``).
    revalidated: bool


def scan_seen(request: Request, services: Services, scan: Scan) -> None:
    """Counts the scan for the receipt-copy check: one dictionary update; the counts are
    written off this path (:class:`api.scan_counter.ScanCounter`)."""
    services.scans.record(scan.sale_id, request.client.host if request.client else None)
