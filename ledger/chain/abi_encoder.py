"""ABI encoding of call arguments, compiled once per function from its ABI entry.

eth-abi validates every value through layers of generic checks before encoding it: a
``recordSales`` of 200 sales cost about 10 ms of CPU, paid for each packed transaction at its
gas estimate and again at signing, and for each bulk request's early check. The encoders here
are built once from a function's parameters and encode the same bytes (``tests/chain``
compares them with eth-abi on every function of the contract) at a fraction of the cost.

They take only what they are sure of: a value of another shape than expected (a string for
an integer, bytes too long, a number out of range, a type not handled here) raises
:class:`Unsupported`, and the caller encodes with eth-abi instead, which encodes it or refuses
it with its own error, exactly as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

#: One value's encoding: its bytes, and whether the type is dynamic (encoded in the tail).
Encode = Callable[[Any], bytes]
_ARRAY = re.compile(r"^(.*)\[(\d*)\]$")
_ZERO = bytes(32)


class Unsupported(Exception):
    """A value or type this encoder does not take: encode it with eth-abi."""


def compile_params(params: Sequence[Mapping[str, Any]]) -> Encode:
    """An encoder of a list of values for `params` (a function's ``inputs``): the bytes after
    the selector."""
    encode, _dynamic = _tuple([_compile(p) for p in params])
    return encode


def _compile(param: Mapping[str, Any]) -> tuple[Encode, bool]:
    kind = param["type"]
    array = _ARRAY.match(kind)
    if array is not None:
        element = _compile({**param, "type": array.group(1)})
        return _array(element, int(array.group(2)) if array.group(2) else None)
    if kind == "tuple":
        return _tuple([_compile(c) for c in param["components"]])
    if kind.startswith("uint"):
        return _uint(int(kind[4:] or 256)), False
    if kind.startswith("int"):
        return _int(int(kind[3:] or 256)), False
    if kind == "address":
        return _address, False
    if kind == "bool":
        return _bool, False
    if kind == "bytes":
        return _bytes, True
    if kind == "string":
        return _string, True
    if kind.startswith("bytes"):
        return _fixed_bytes(int(kind[5:])), False
    raise Unsupported(kind)


def _uint(bits: int) -> Encode:
    top = 1 << bits

    def encode(value: Any) -> bytes:
        if type(value) is not int or not 0 <= value < top:
            raise Unsupported(value)
        return value.to_bytes(32, "big")

    return encode


def _int(bits: int) -> Encode:
    top = 1 << (bits - 1)

    def encode(value: Any) -> bytes:
        if type(value) is not int or not -top <= value < top:
            raise Unsupported(value)
        return value.to_bytes(32, "big", signed=True)

    return encode


def _bool(value: Any) -> bytes:
    if type(value) is not bool:
        raise Unsupported(value)
    return (1 if value else 0).to_bytes(32, "big")


_HEX_ADDRESS = re.compile(r"^0x[0-9a-f]{40}$")


def _address(value: Any) -> bytes:
    # Lowercase hex and 20 bytes only: a mixed-case address must pass eth-abi's checksum test.
    if type(value) is bytes and len(value) == 20:
        return bytes(12) + value
    if type(value) is str and _HEX_ADDRESS.match(value):
        return bytes(12) + bytes.fromhex(value[2:])
    raise Unsupported(value)


def _fixed_bytes(size: int) -> Encode:
    def encode(value: Any) -> bytes:
        if type(value) is not bytes or len(value) > size:
            raise Unsupported(value)
        return value + _ZERO[len(value) :]

    return encode


def _bytes(value: Any) -> bytes:
    if type(value) is not bytes:
        raise Unsupported(value)
    padding = -len(value) % 32
    return len(value).to_bytes(32, "big") + value + bytes(padding)


def _string(value: Any) -> bytes:
    if type(value) is not str:
        raise Unsupported(value)
    return _bytes(value.encode("utf-8"))


def _tuple(parts: list[tuple[Encode, bool]]) -> tuple[Encode, bool]:
    """Head and tail: a static part in place, a dynamic one as the offset of its bytes."""
    dynamic = any(d for _, d in parts)
    count = len(parts)

    def encode(value: Any) -> bytes:
        if type(value) not in (list, tuple) or len(value) != count:
            raise Unsupported(value)
        if not dynamic:
            return b"".join(part(item) for (part, _), item in zip(parts, value, strict=True))
        heads, tails = [], []
        offset = 32 * count
        for (part, is_dynamic), item in zip(parts, value, strict=True):
            encoded = part(item)
            if is_dynamic:
                heads.append(offset.to_bytes(32, "big"))
                tails.append(encoded)
                offset += len(encoded)
            else:
                heads.append(encoded)
        return b"".join(heads) + b"".join(tails)

    return encode, dynamic


def _array(element: tuple[Encode, bool], size: int | None) -> tuple[Encode, bool]:
    part, element_dynamic = element

    def items(value: Any) -> bytes:
        if type(value) not in (list, tuple):
            raise Unsupported(value)
        if not element_dynamic:
            return b"".join(part(item) for item in value)
        encoded = [part(item) for item in value]
        heads, offset = [], 32 * len(value)
        for each in encoded:
            heads.append(offset.to_bytes(32, "big"))
            offset += len(each)
        return b"".join(heads) + b"".join(encoded)

    if size is None:

        def dynamic_array(value: Any) -> bytes:
            body = items(value)
            return len(value).to_bytes(32, "big") + body

        return dynamic_array, True

    def fixed_array(value: Any) -> bytes:
        if type(value) not in (list, tuple) or len(value) != size:
            raise Unsupported(value)
        return items(value)

    return fixed_array, element_dynamic
