"""Encoding and decoding from the ABI with eth-abi: errors, events, tuples."""

from __future__ import annotations

from eth_abi import encode
from eth_utils import keccak

from ledger.chain.abi import ContractAbi, abi_type
from ledger.chain.events import event_codec
from ledger.chain.reverts import decode_revert


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


def _log(topics: list[bytes], data: bytes) -> dict:
    """An ``eth_getLogs`` entry around `topics` and `data`."""
    return {
        "topics": ["0x" + t.hex() for t in topics],
        "data": "0x" + data.hex(),
        "blockNumber": "0x7",
        "blockHash": "0x" + "11" * 32,
        "blockTimestamp": "0x64",
        "transactionHash": "0x" + "22" * 32,
        "transactionIndex": "0x0",
        "logIndex": "0x3",
    }


def test_decode_log_with_indexed_and_plain_arguments() -> None:
    abi = ContractAbi.load()
    topic = abi.event_topic("QuarantineReleased")
    batch_id = keccak(text="b")
    regulator = "0x" + "ab" * 20
    topics = [topic, batch_id, bytes(12) + bytes.fromhex("ab" * 20)]
    (event,) = event_codec(abi, "abi").decode_logs([_log(topics, encode(["string"], ["re-test passed"]))], {})
    assert event.name == "QuarantineReleased"
    assert event.args == {
        "batchId": batch_id,
        "regulator": "0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB",
        "reason": "re-test passed",
    }
    assert event.args["regulator"].lower() == regulator
    assert (event.block_number, event.block_time, event.tx_hash, event.log_index) == (7, 100, "0x" + "22" * 32, 3)
    assert event_codec(abi, "abi").decode_logs([_log([keccak(text="Unknown()")], b"")], {}) == []


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


def test_decode_log_in_stored_form() -> None:
    abi = ContractAbi.load()
    topics = [abi.event_topic("QuarantineReleased"), keccak(text="b"), bytes(12) + bytes.fromhex("ab" * 20)]
    (event,) = event_codec(abi, "stored").decode_logs([_log(topics, encode(["string"], ["re-test passed"]))], {})
    assert event.args == {
        "batchId": "0x" + keccak(text="b").hex(),
        "regulator": "0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB",
        "reason": "re-test passed",
    }
