"""Turning a mined :class:`TxResult` into the API's answer."""

from __future__ import annotations

from typing import Any

from api.views import plain
from ledger.chain.client import TxResult
from ledger.documents import parse_cid
from ledger.hexes import from_hex


def events_of(result: TxResult) -> list[dict[str, Any]]:
    return [{"name": e.name, "log_index": e.log_index, "args": plain(e.args)} for e in result.events]


def tx_response(result: TxResult, **extra: Any) -> dict[str, Any]:
    return {
        "transaction_hash": result.tx_hash,
        "block_number": result.block_number,
        "events": events_of(result),
        **extra,
    }


def binary_cid(text: str | None) -> bytes:
    """The binary CID the contract stores (empty for no document); InvalidCid if malformed."""
    return bytes(parse_cid(text)) if text else b""


def hex_id(value: str) -> bytes:
    """The bytes32 of a batch id the schema has checked (0x and 64 hex digits)."""
    return from_hex(value, size=32)
