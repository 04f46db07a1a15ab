"""Encoding and decoding from the ABI with eth-abi: errors, events, tuples."""

from __future__ import annotations

from eth_abi import encode
from eth_utils import keccak

from ledger.chain.abi import ContractAbi, abi_type
from ledger.chain.client import decode_revert


def test_abi_type_spells_out_tuples() -> None:
    param = {"type": "tuple[]", "components": [{"type": "string"}, {"type": "uint64"}]}
    assert abi_type(param) == "(string,uint64)[]"


def test_decode_custom_error_with_arguments() -> None:
    abi = ContractAbi.load()
    batch_id = keccak(text="batch")
    data = keccak(text="InsufficientQuantity(bytes32,uint64,uint64)")[:4] + encode(
        ["bytes32", "uint64", "uint64"], [batch_id, 5, 6]
    )
    assert abi.decode_error(data) == ("InsufficientQuantity", {"batchId": batch_id, "remaining": 5, "requested": 6})


def test_decode_builtin_error_and_unknown_selector() -> None:
    abi = ContractAbi.load()
    assert abi.decode_error(bytes.fromhex("08c379a0") + encode(["string"], ["nope"])) == ("Error", {"message": "nope"})
    assert abi.decode_error(bytes.fromhex("deadbeef")) is None


def test_every_custom_error_of_the_interfaces_is_known() -> None:
    abi = ContractAbi.load()
    for name in ("NotCustodian", "BatchQuarantined", "BatchRecalled", "BatchInTransit", "InvalidGtin"):
        assert name in abi.error_names


def test_decode_log_with_indexed_and_plain_arguments() -> None:
    abi = ContractAbi.load()
    topic = abi.event_topic("QuarantineReleased")
    batch_id = keccak(text="b")
    regulator = "0x" + "ab" * 20
    topics = [topic, batch_id, bytes(12) + bytes.fromhex("ab" * 20)]
    event = abi.decode_log(topics, encode(["string"], ["re-test passed"]))
    assert event is not None
    assert event.name == "QuarantineReleased"
    assert event.args == {
        "batchId": batch_id,
        "regulator": "0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB",
        "reason": "re-test passed",
    }
    assert event.args["regulator"].lower() == regulator
    assert abi.decode_log([keccak(text="Unknown()")], b"") is None


def test_decode_revert_unwraps_the_refused_item_of_a_batch_call() -> None:
    abi = ContractAbi.load()
    reason = keccak(text="InvalidGtin(uint64)")[:4] + encode(["uint64"], [6901234000017])
    data = keccak(text="ImportLineInvalid(uint256,bytes)")[:4] + encode(["uint256", "bytes"], [7, reason])
    revert = decode_revert(abi, data)
    assert revert is not None
    assert (revert.name, revert.index, revert.args_by_name["reason"]) == ("ImportLineInvalid", 7, reason)
    assert revert.inner is not None
    assert (revert.inner.name, revert.inner.args_by_name) == ("InvalidGtin", {"gtin": 6901234000017})
    assert str(revert) == "ImportLineInvalid(index=7): InvalidGtin(gtin=6901234000017)"
    plain = decode_revert(abi, keccak(text="ZeroQuantity()")[:4])
    assert plain is not None
    assert (plain.name, plain.inner, plain.index) == ("ZeroQuantity", None, None)
