"""The FreshLedger ABI: calls encoded, errors and results decoded.

Everything works from the compiled artifact's ABI with eth-abi directly. Events are decoded by
:mod:`ledger.chain.events` (``event_codec(abi, form)``), built from this ABI, for the write
path's receipts and the indexer alike.

Example::

    abi = ContractAbi.load()
    data = abi.encode_call("handOff", [batch_id, "0x..."])
    abi.decode_error(revert_data)       # ("NotCustodian", {"batchId": b"...", "account": "0x..."})
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address

from ledger.chain.abi_encoder import Encode, Unsupported, compile_params
from ledger.errors import ConfigurationError

#: Solidity's built-in revert payloads: Error(string) and Panic(uint256).
_ERROR_STRING = bytes.fromhex("08c379a0")
_PANIC = bytes.fromhex("4e487b71")


def abi_type(param: Mapping[str, Any]) -> str:
    """The canonical type of an ABI parameter: tuples spelled out, e.g. ``(string,uint64)[]``."""
    kind = param["type"]
    if kind.startswith("tuple"):
        inner = ",".join(abi_type(component) for component in param["components"])
        return f"({inner}){kind[len('tuple') :]}"
    return kind


def _normalise(value: Any, param: Mapping[str, Any]) -> Any:
    """Decoded values made friendly: checksummed addresses, tuples as dicts of field names."""
    kind = param["type"]
    if kind.endswith("]"):
        element = {**param, "type": kind[: kind.rindex("[")]}
        return [_normalise(item, element) for item in value]
    if kind == "tuple":
        return {c["name"]: _normalise(v, c) for v, c in zip(value, param["components"], strict=True)}
    if kind == "address":
        return to_checksum_address(value)
    return value


def _unsupported(_values: Any) -> bytes:
    raise Unsupported("a parameter type the compiled encoders do not handle")


def _signature(entry: Mapping[str, Any]) -> str:
    return f"{entry['name']}({','.join(abi_type(p) for p in entry['inputs'])})"


class ContractAbi:
    """Encoder and decoder for one contract's ABI."""

    def __init__(self, abi: list[dict[str, Any]]) -> None:
        self.abi = abi

    @classmethod
    def load(cls, artifact: Path | None = None) -> ContractAbi:
        """The ABI of the FreshLedger artifact (compiled first if missing or stale)."""
        if artifact is None:
            from ledger.chain.compile import build_artifact

            artifact = build_artifact()
        try:
            return cls(json.loads(artifact.read_text())["abi"])
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigurationError(f"cannot read the contract artifact {artifact}: {exc}") from exc

    @cached_property
    def hash(self) -> str:
        """sha256 of the canonical ABI JSON; the deployment record keeps it."""
        return hashlib.sha256(json.dumps(self.abi, sort_keys=True).encode()).hexdigest()

    @cached_property
    def _functions(self) -> dict[str, dict[str, Any]]:
        return {e["name"]: e for e in self.abi if e["type"] == "function"}

    @cached_property
    def _errors(self) -> dict[bytes, dict[str, Any]]:
        return {keccak(text=_signature(e))[:4]: e for e in self.abi if e["type"] == "error"}

    @cached_property
    def events_by_topic(self) -> dict[bytes, dict[str, Any]]:
        """Event ABI entries keyed by their topic 0 (keccak of the signature)."""
        return {keccak(text=_signature(e)): e for e in self.abi if e["type"] == "event"}

    def event_topic(self, name: str) -> bytes:
        """Topic 0 of event `name`."""
        for topic, entry in self.events_by_topic.items():
            if entry["name"] == name:
                return topic
        raise KeyError(name)

    @property
    def error_names(self) -> list[str]:
        return sorted(e["name"] for e in self._errors.values())

    def function(self, name: str) -> dict[str, Any]:
        return self._functions[name]

    def has_function(self, name: str) -> bool:
        return name in self._functions

    def selector(self, name: str) -> bytes:
        """The 4 bytes that open function `name`'s call data."""
        return self._encoders(name)[0]

    def encode_call(self, name: str, args: Sequence[Any]) -> bytes:
        """Calldata for function `name` with positional `args`."""
        selector, encode = self._encoders(name)
        try:
            return selector + encode(list(args))
        except Unsupported:  # a value of another shape: eth-abi encodes it or says what is wrong
            entry = self._functions[name]
            return selector + abi_encode([abi_type(p) for p in entry["inputs"]], list(args))

    def _encoders(self, name: str) -> tuple[bytes, Encode]:
        """Function `name`'s selector and compiled encoder (:mod:`ledger.chain.abi_encoder`),
        made on first use."""
        known = self._compiled.get(name)
        if known is None:
            entry = self._functions[name]
            try:
                encode = compile_params(entry["inputs"])
            except Unsupported:
                encode = _unsupported
            known = self._compiled[name] = (keccak(text=_signature(entry))[:4], encode)
        return known

    @cached_property
    def _compiled(self) -> dict[str, tuple[bytes, Encode]]:
        return {}

    def encode_constructor(self, args: Sequence[Any]) -> bytes:
        """ABI-encoded constructor arguments, to append to the creation bytecode."""
        constructor = next((e for e in self.abi if e["type"] == "constructor"), {"inputs": []})
        return abi_encode([abi_type(p) for p in constructor["inputs"]], list(args))

    def decode_result(self, name: str, data: bytes) -> list[Any]:
        """The return values of function `name` from `eth_call` output."""
        outputs = self._functions[name]["outputs"]
        values = abi_decode([abi_type(p) for p in outputs], data)
        return [_normalise(v, p) for v, p in zip(values, outputs, strict=True)]

    def decode_error(self, data: bytes) -> tuple[str, dict[str, Any]] | None:
        """Name and arguments of revert payload `data`; None when it is not recognised."""
        selector, body = data[:4], data[4:]
        if selector == _ERROR_STRING:
            return "Error", {"message": abi_decode(["string"], body)[0]}
        if selector == _PANIC:
            return "Panic", {"code": abi_decode(["uint256"], body)[0]}
        entry = self._errors.get(selector)
        if entry is None:
            return None
        values = abi_decode([abi_type(p) for p in entry["inputs"]], body)
        return entry["name"], {p["name"]: _normalise(v, p) for v, p in zip(values, entry["inputs"], strict=True)}
