"""Raw ``eth_getLogs`` entries to typed chain events, decoded with eth-abi from the ABI.

The decoder is built once per event type (topic 0): the split of indexed and plain
parameters and the eth-abi type strings are computed up front, so decoding one log is one
``eth_abi.decode`` of its data plus the topics. Values are made storable here: bytes as 0x
hex, short codes (unit, currency, country) as text, binary CIDs as CID strings, GTINs as 14
digits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from eth_abi.decoding import ContextFramesBytesIO
from eth_abi.registry import registry
from eth_utils import to_checksum_address
from multiformats import CID

from ledger.chain.abi import ContractAbi, abi_type


@dataclass(frozen=True, slots=True)
class ChainEvent:
    """One contract event at its place in the chain, with storable argument values."""

    block_number: int
    block_hash: str
    block_time: int
    tx_hash: str
    tx_index: int
    log_index: int
    name: str
    args: dict[str, Any]


def cid_text(raw: bytes) -> str | None:
    """A binary CID as text: base32 for CIDv1 (``bafk...``), base58 for CIDv0 (``Qm...``)."""
    if not raw:
        return None
    cid = CID.decode(raw)
    return cid.encode("base32") if cid.version == 1 else cid.encode()


def _text_code(raw: bytes) -> str:
    return raw.rstrip(b"\0").decode("ascii", "replace")


def _hex(raw: bytes) -> str:
    return "0x" + raw.hex()


@lru_cache(maxsize=65_536)
def _checksum(address: str) -> str:
    """EIP-55 checksum (a keccak per call, so cached: a market has few participants)."""
    return to_checksum_address(address)


def _topic_converter(kind: str, convert: Callable[[Any], Any]) -> Callable[[str], Any]:
    """Decode a static indexed value straight from its 32-byte topic (0x hex).

    Topics are one ABI word each, so the static types decode without a general decoder:
    the hot path of the indexer sees three topics per event.
    """
    if kind == "address":
        return lambda topic: _checksum("0x" + topic[26:])
    if kind == "bytes32":
        return lambda topic: topic.lower()
    if kind.startswith("uint"):
        return lambda topic: convert(int(topic, 16))
    if kind == "bool":
        return lambda topic: int(topic, 16) != 0
    if kind.startswith("int"):
        bits = int(kind[3:] or 256)
        return lambda topic: convert(_signed(int(topic, 16), bits))
    if kind.startswith("bytes"):
        size = int(kind[5:])
        return lambda topic: convert(bytes.fromhex(topic[2 : 2 + 2 * size]))
    raise ValueError(f"no topic decoder for {kind}")


def _signed(value: int, bits: int) -> int:
    value &= (1 << 256) - 1
    return value - (1 << 256) if value >> 255 else value


# Arguments (name, ABI type) whose storable form is not the generic one for their type.
_SPECIAL: dict[tuple[str, str], Callable[[Any], Any]] = {
    ("documentCid", "bytes"): cid_text,
    ("reportCid", "bytes"): cid_text,
    ("unit", "bytes3"): _text_code,
    ("currency", "bytes3"): _text_code,
    ("originCountry", "bytes2"): _text_code,
    ("hsCode", "bytes10"): lambda raw: _text_code(raw) or None,
    ("gtin", "uint64"): lambda value: f"{value:014d}",
}


def _converter(param: dict[str, Any]) -> Callable[[Any], Any]:
    """How to turn one decoded value of `param` into its storable form."""
    name, kind = param["name"], param["type"]
    if (name, kind) in _SPECIAL:
        return _SPECIAL[name, kind]
    if kind.endswith("[]"):
        element = _converter({**param, "type": kind[:-2], "name": ""})
        return lambda values: [element(v) for v in values]
    if kind == "tuple":
        fields = [(c["name"], _converter(c)) for c in param["components"]]
        return lambda value: {n: convert(v) for (n, convert), v in zip(fields, value, strict=True)}
    if kind == "address":
        return _checksum
    if kind.startswith("bytes"):
        return _hex
    return lambda value: value


@dataclass(frozen=True)
class _EventDecoder:
    name: str
    indexed: list[tuple[str, Callable[[str], Any]]]  # name, topic -> value
    plain_names: list[str]
    plain_decoder: Callable[[ContextFramesBytesIO], tuple[Any, ...]] | None
    plain_converters: list[Callable[[Any], Any]]

    def decode(self, topics: list[str], data: str) -> dict[str, Any]:
        args: dict[str, Any] = {}
        for (name, convert), topic in zip(self.indexed, topics[1:], strict=True):
            args[name] = convert(topic)
        if self.plain_decoder is not None:
            values = self.plain_decoder(ContextFramesBytesIO(bytes.fromhex(data[2:])))
            for name, convert, value in zip(self.plain_names, self.plain_converters, values, strict=True):
                args[name] = convert(value)
        return args


class EventDecoder:
    """Decodes the logs of one contract ABI; logs of unknown events are skipped."""

    def __init__(self, abi: ContractAbi) -> None:
        self._by_topic: dict[str, _EventDecoder] = {}
        for topic, entry in abi.events_by_topic.items():
            indexed = []
            plain = []
            for param in entry["inputs"]:
                kind = abi_type(param)
                hashed = kind in ("string", "bytes") or kind.startswith("(") or kind.endswith("]")
                (indexed if param["indexed"] else plain).append((param, kind, hashed))
            self._by_topic["0x" + topic.hex()] = _EventDecoder(
                name=entry["name"],
                indexed=[
                    (p["name"], (lambda t: t.lower()) if hashed else _topic_converter(k, _converter(p)))
                    for p, k, hashed in indexed
                ],
                plain_names=[p["name"] for p, _, _ in plain],
                # eth-abi's decoder for the data's tuple type, built once; non-strict as
                # Solidity's own decoder is (no padding checks).
                plain_decoder=registry.get_tuple_decoder(*(k for _, k, _ in plain), strict=False) if plain else None,
                plain_converters=[_converter(p) for p, _, _ in plain],
            )

    def decode(self, logs: Iterable[dict[str, Any]], block_times: dict[int, int]) -> list[ChainEvent]:
        """Decode raw logs (as ``eth_getLogs`` returns them) in chain order.

        `block_times` maps block number to timestamp for nodes whose logs lack
        ``blockTimestamp``.
        """
        events = []
        for log in logs:
            topics = log["topics"]
            decoder = self._by_topic.get(topics[0]) if topics else None
            if decoder is None:
                continue
            number = int(log["blockNumber"], 16)
            stamp = log.get("blockTimestamp")
            events.append(
                ChainEvent(
                    block_number=number,
                    block_hash=log["blockHash"],
                    block_time=int(stamp, 16) if stamp else block_times[number],
                    tx_hash=log["transactionHash"],
                    tx_index=int(log["transactionIndex"], 16),
                    log_index=int(log["logIndex"], 16),
                    name=decoder.name,
                    args=decoder.decode(topics, log["data"]),
                )
            )
        return events
