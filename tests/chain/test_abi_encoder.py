"""The compiled call encoders give eth-abi's bytes for every function of the contract, and
leave to eth-abi what they do not take (its encoding, or its error)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from eth_abi import encode
from eth_abi.exceptions import EncodingError
from eth_utils import keccak

from ledger.chain.abi import ContractAbi, abi_type
from ledger.chain.abi_encoder import Unsupported, compile_params


def _value(param: dict[str, Any], rng: random.Random) -> Any:
    """A random valid value of `param`'s type (arrays of 0-3 items, edge values included)."""
    kind = param["type"]
    if kind.endswith("]"):
        element = {**param, "type": kind[: kind.rindex("[")]}
        size = kind[kind.rindex("[") + 1 : -1]
        return [_value(element, rng) for _ in range(int(size) if size else rng.randint(0, 3))]
    if kind == "tuple":
        return tuple(_value(c, rng) for c in param["components"])
    if kind.startswith("uint"):
        bits = int(kind[4:] or 256)
        return rng.choice([0, 1, 2**bits - 1, rng.randrange(2**bits)])
    if kind.startswith("int"):
        bits = int(kind[3:] or 256)
        return rng.choice([0, -1, -(2 ** (bits - 1)), 2 ** (bits - 1) - 1])
    if kind == "address":
        return "0x" + rng.randbytes(20).hex()
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "bytes":
        return rng.randbytes(rng.choice([0, 1, 32, 33, 70]))
    if kind == "string":
        return rng.choice(["", "Stall A12", "çà 食品" * rng.randint(1, 9)])
    size = int(kind[5:])
    return rng.randbytes(rng.randint(0, size))


def test_every_function_encodes_as_eth_abi_does() -> None:
    abi = ContractAbi.load()
    rng = random.Random(14)
    functions = [e for e in abi.abi if e["type"] == "function" and e["inputs"]]
    assert any(f["name"] == "recordSales" for f in functions)
    for entry in functions:
        types = [abi_type(p) for p in entry["inputs"]]
        for _ in range(20):
            args = [_value(p, rng) for p in entry["inputs"]]
            expected = encode(types, args)
            assert compile_params(entry["inputs"])(args) == expected, entry["name"]
            assert abi.encode_call(entry["name"], args)[4:] == expected, entry["name"]
            assert abi.encode_call(entry["name"], args)[:4] == keccak(text=f"{entry['name']}({','.join(types)})")[:4]


def test_a_packed_sales_call_of_200_sales() -> None:
    abi = ContractAbi.load()
    rng = random.Random(5)
    groups = [
        (rng.randbytes(32), b"CNY", first, [(rng.randrange(2**64), rng.randrange(2**128)) for _ in range(n)])
        for n, first in ((150, 0), (50, 2**32 - 1))
    ]
    (entry,) = [e for e in abi.abi if e.get("name") == "recordSales"]
    assert abi.encode_call("recordSales", [groups])[4:] == encode([abi_type(p) for p in entry["inputs"]], [groups])


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("uint64", 2**64),  # out of range
        ("uint64", -1),
        ("uint64", True),  # a bool is no integer for eth-abi
        ("uint64", "7"),
        ("bytes3", b"ABCD"),  # too long
        ("bytes3", "CNY"),
        ("address", "0xAbC0000000000000000000000000000000000001"),  # mixed case: eth-abi checks the checksum
        ("bool", 1),
        ("string", b"raw"),
    ],
)
def test_what_it_does_not_take_goes_to_eth_abi(kind: str, value: Any) -> None:
    with pytest.raises(Unsupported):
        compile_params([{"type": kind}])([value])


def test_eth_abi_still_refuses_a_bad_value_through_encode_call() -> None:
    abi = ContractAbi.load()
    groups = [(bytes(32), b"CNYX", 0, [(1, 1)])]  # a currency of four bytes
    with pytest.raises(EncodingError):
        abi.encode_call("recordSales", [groups])
    # and a value of another shape eth-abi takes is encoded as before
    assert abi.encode_call("recordSales", [[(bytearray(32), b"CNY", 7, [(1, 1)])]]) == abi.encode_call(
        "recordSales", [[(bytes(32), b"CNY", 7, [(1, 1)])]]
    )
