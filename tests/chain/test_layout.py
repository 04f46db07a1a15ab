"""The per-layout readers against eth-abi's general decoder: on every event type of the ABI,
in both forms, for well-formed and for damaged data, the same values (or the same error)."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import encode
from eth_abi.decoding import ContextFramesBytesIO
from eth_abi.registry import registry
from eth_abi.tools import get_abi_strategy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.chain.abi import ContractAbi, abi_type
from ledger.chain.events import EventCodec
from ledger.chain.layout import Irregular, compile_layout

ABI = ContractAbi.load()
EVENTS = sorted(ABI.events_by_topic.items(), key=lambda item: item[1]["name"])
FAST = {form: EventCodec(ABI, form) for form in ("abi", "stored")}
GENERAL = {form: EventCodec(ABI, form, layouts=False) for form in ("abi", "stored")}
# A CIDv1 (raw, sha2-256) as the contract stores document CIDs: the stored form turns it to text.
CID = bytes.fromhex("01551220") + bytes(range(32))


def _plain_kinds(entry: dict[str, Any]) -> list[str]:
    return [abi_type(p) for p in entry["inputs"] if not p["indexed"]]


def _topic(kind: str, value: Any) -> str:
    if kind == "address":
        return "0x" + "0" * 24 + value[2:].lower()
    if kind.startswith("bytes"):
        return "0x" + value.ljust(32, b"\0").hex()
    return "0x" + int(value).to_bytes(32, "big").hex()


def _log(topics: list[str], data: bytes) -> dict[str, Any]:
    return {
        "topics": topics,
        "data": "0x" + data.hex(),
        "blockNumber": "0x7",
        "blockHash": "0x" + "11" * 32,
        "blockTimestamp": "0x64",
        "transactionHash": "0x" + "22" * 32,
        "transactionIndex": "0x0",
        "logIndex": "0x3",
    }


def _outcome(codec: EventCodec, log: dict[str, Any]) -> Any:
    """The decoded events, or the error's type and text."""
    try:
        return codec.decode_logs([log])
    except Exception as exc:  # the error itself is what is compared
        return (type(exc), str(exc))


@st.composite
def event_logs(draw: st.DrawFn, entry: dict[str, Any]) -> dict[str, Any]:
    topics = ["0x" + ABI.event_topic(entry["name"]).hex()]
    plain_kinds, plain_values = [], []
    for param in entry["inputs"]:
        kind = abi_type(param)
        if param["name"] in ("documentCid", "reportCid"):
            value = draw(st.sampled_from([b"", CID]))
        elif param["name"] == "cid":  # a notice's text, a floor plan: always a document
            value = CID
        elif param["name"] in ("unit", "currency", "originCountry", "hsCode"):
            value = draw(st.text("ABCDEFGHKMNXYZ0123456789", max_size=int(kind[5:])).map(str.encode))
        else:
            value = draw(get_abi_strategy(kind))
        if param["indexed"]:
            topics.append(_topic(kind, value) if not kind.endswith("]") and kind != "string" else "0x" + "ab" * 32)
        else:
            plain_kinds.append(kind)
            plain_values.append(value)
    return _log(topics, encode(plain_kinds, plain_values))


@pytest.mark.parametrize("entry", [entry for _, entry in EVENTS], ids=[entry["name"] for _, entry in EVENTS])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_event_decodes_to_the_same_values_as_the_general_decoder(entry: dict[str, Any], data: Any) -> None:
    log = data.draw(event_logs(entry))
    for form in ("abi", "stored"):
        fast = _outcome(FAST[form], log)
        assert fast == _outcome(GENERAL[form], log)
        assert isinstance(fast, list) and fast[0].name == entry["name"]


@pytest.mark.parametrize("entry", [entry for _, entry in EVENTS], ids=[entry["name"] for _, entry in EVENTS])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_damaged_data_gives_what_the_general_decoder_gives(entry: dict[str, Any], data: Any) -> None:
    log = data.draw(event_logs(entry))
    raw = bytearray(bytes.fromhex(log["data"][2:]))
    if not raw:
        return
    for _ in range(data.draw(st.integers(1, 3))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(raw)))
    damaged = {**log, "data": "0x" + bytes(raw[:cut] if data.draw(st.booleans()) else raw).hex()}
    for form in ("abi", "stored"):
        assert _outcome(FAST[form], damaged) == _outcome(GENERAL[form], damaged)


def test_every_plain_layout_of_the_contract_has_a_reader_but_tuple_arrays() -> None:
    for _, entry in EVENTS:
        kinds = _plain_kinds(entry)
        if kinds:
            has_tuple = any(kind.startswith("(") for kind in kinds)
            assert (compile_layout(kinds) is None) == has_tuple, entry["name"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(["uint8", "uint32", "uint64", "uint128", "uint256", "bool", "address", "bytes2", "bytes3",
                         "bytes10", "bytes32", "string", "bytes", "bytes32[]", "uint64[]", "address[]"]),
        min_size=1,
        max_size=6,
    ).flatmap(lambda kinds: st.tuples(st.just(kinds), st.tuples(*(get_abi_strategy(k) for k in kinds))))
)  # fmt: skip
def test_a_reader_returns_what_eth_abi_returns(case: tuple[list[str], tuple[Any, ...]]) -> None:
    kinds, values = case
    data = encode(kinds, values)
    read = compile_layout(kinds)
    assert read is not None
    assert read(data) == registry.get_tuple_decoder(*kinds, strict=False)(ContextFramesBytesIO(data))


def test_a_pointer_into_the_head_is_irregular() -> None:
    read = compile_layout(["string"])
    assert read is not None
    with pytest.raises(Irregular):
        read(bytes(31) + b"\x00" + bytes(32))
