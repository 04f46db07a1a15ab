"""Helpers of the brownie suite: GTINs, custom-error assertions, bytecode comparison."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

from brownie import web3
from brownie.exceptions import VirtualMachineError
from eth_abi import decode as abi_decode

HOUR = 3600
#: A binary CIDv1 (raw codec, sha2-256 multihash) as the contract accepts for documents.
DOCUMENT_CID = bytes([0x01, 0x55, 0x12, 0x20]) + bytes(range(32))


def make_gtin(first13: str) -> int:
    """GTIN-14 number from its first 13 digits, with the GS1 mod-10 check digit appended."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(first13)))
    return int(first13 + str((10 - total % 10) % 10))


GREENS = make_gtin("0690123400001")
DURIAN = make_gtin("0885000000001")


def strip_metadata(code: str | bytes) -> bytes:
    """Runtime bytecode without solc's CBOR metadata trailer (its length is the last 2 bytes)."""
    raw = bytes.fromhex(code.removeprefix("0x")) if isinstance(code, str) else bytes(code)
    cbor_length = int.from_bytes(raw[-2:], "big")
    assert cbor_length + 2 <= len(raw), "no CBOR metadata trailer"
    return raw[: -(cbor_length + 2)]


def revert_data(exc: VirtualMachineError) -> bytes:
    """The raw revert data (selector + ABI-encoded arguments) behind a brownie revert.

    brownie decodes revert data into ``exc.revert_msg`` as ``"Name: arg, ..."`` (bytes
    arguments as Python reprs) when the error's ABI is in ~/.brownie/errors.json, else as
    ``"Unknown typed error: 0x..."``, and keeps no raw bytes. On a development network a
    reverting transaction is still broadcast (reverting_tx_gas_limit), so its data comes back
    from the node's trace; a reverted call (``.call()``) carries it in the JSON-RPC error.
    """
    if exc.txid:
        trace = web3.provider.make_request(
            "debug_traceTransaction",
            [exc.txid, {"disableStorage": True, "disableStack": True, "enableMemory": False}],
        )
        return bytes.fromhex(trace["result"]["returnValue"].removeprefix("0x"))
    original = exc.args[0] if exc.args else None
    response = getattr(original, "rpc_response", None)
    error = response["error"] if response else (original.args[0] if getattr(original, "args", None) else None)
    data = error.get("data") if isinstance(error, dict) else None
    if isinstance(data, str) and data.startswith("0x"):
        return bytes.fromhex(data[2:])
    raise AssertionError(f"no revert data in {exc!r}")


@contextlib.contextmanager
def reverts_with(signature: str, *args: object) -> Iterator[None]:
    """Assert that the block reverts with the custom error `signature`, e.g.
    ``"BatchQuarantined(bytes32)"``, and, when `args` are given, with exactly these arguments
    (addresses as strings or accounts, bytesN as bytes or hex strings)."""
    name, types = re.fullmatch(r"(\w+)\((.*)\)", signature).groups()
    selector = bytes(web3.keccak(text=signature)[:4])
    try:
        yield
    except VirtualMachineError as exc:
        data, message = revert_data(exc), exc.revert_msg
    else:
        raise AssertionError(f"did not revert (expected {signature})")
    assert data[:4] == selector, f"reverted with {message!r} (0x{data.hex()}), expected {signature}"
    if args:
        decoded = abi_decode([t for t in types.split(",") if t], data[4:])
        assert [_normalise(v) for v in decoded] == [_normalise(v) for v in args], f"{name} arguments"


def _normalise(value: object) -> object:
    value = getattr(value, "address", value)  # brownie accounts and contracts
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, str) and value.startswith("0x"):
        return value.lower()
    return value


def hexstr(value: bytes) -> str:
    """`value` as brownie shows bytesN values: ``hexstr(b"KGM") == "0x4b474d"``."""
    return "0x" + value.hex()


def event(tx, name: str) -> dict:
    """The single `name` event of `tx`, as a dict."""
    events = tx.events[name]
    assert len(events) == 1, f"{len(events)} {name} events"
    return dict(events[0])
