"""Turning a mined :class:`TxResult` into the API's answer."""

from __future__ import annotations

from typing import Any

from ledger.chain.client import TxResult
from ledger.documents import parse_cid


def jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def events_of(result: TxResult) -> list[dict[str, Any]]:
    return [{"name": e.name, "log_index": e.log_index, "args": jsonable(e.args)} for e in result.events]


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
    return bytes.fromhex(value.removeprefix("0x"))
