"""Query results (ledger dataclasses) as JSON-ready dicts."""

from __future__ import annotations

import dataclasses
from typing import Any

from ledger.queries.views import CustodyChain, TraceResult


def plain(value: Any) -> Any:
    """Dataclasses, lists and dicts to JSON-ready values, recursively."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if hasattr(value, "exceeded"):  # a residue: say whether it broke its limit
            fields["exceeded"] = value.exceeded
        return fields
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value


def custody_json(chain: CustodyChain) -> dict[str, Any]:
    return plain(chain)


def trace_json(result: TraceResult) -> dict[str, Any]:
    return plain(result)
