"""Query results (ledger dataclasses) as JSON-ready dicts."""

from __future__ import annotations

from typing import Any

import orjson

from api.pages.stall_names import describe_stall, place_order
from ledger.hexes import plain
from ledger.queries.views import CustodyChain, StallOversight, TraceResult


def custody_json(chain: CustodyChain) -> dict[str, Any]:
    return plain(chain)


def custody_json_bytes(chain: CustodyChain) -> bytes:
    """The same document as :func:`custody_json`, serialised by orjson straight from the
    dataclasses (a QR scan's JSON in a tenth of the time)."""
    return orjson.dumps(chain)


def trace_json(result: TraceResult) -> dict[str, Any]:
    return plain(result)


def oversight_json(overview: list[StallOversight]) -> list[dict[str, Any]]:
    """The regulators' view of the stalls, failed tests first, then by place in the market;
    each stall with the sign, place and owner its name gives."""
    ordered = sorted(overview, key=lambda o: (-o.failed_inspections, *place_order(o.stall)))
    return [{**plain(o), "stall": {**plain(o.stall), **plain(describe_stall(o.stall.name))}} for o in ordered]
