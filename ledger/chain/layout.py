"""Readers of an event's ABI data compiled per layout: the indexer's fast path.

eth-abi decodes a log's data by walking the type tree with a stream and a decoder object per
node (about 9 µs for a split's ``(string,uint64)``). The contract's events use a handful of
shapes: static words (``uintN``, ``bool``, ``address``, ``bytesN``), ``string`` / ``bytes``
behind an offset, and dynamic arrays of static words. For those, :func:`compile_layout`
builds once per event type a reader that slices the words straight out of the data.

A reader returns exactly what eth-abi's non-strict tuple decoder returns for well-formed
data (ints, bools, lower-case 0x addresses, bytes, str, tuples for arrays), so the same
converters turn both into the same values. Anything eth-abi would look at twice (non-zero
padding, a pointer into the head or past the end, short data) raises :class:`Irregular`,
and the caller decodes that log with eth-abi instead, errors included.

Example::

    read = compile_layout(["string", "uint64"])
    read(data)          # ("B0000001-07", 1)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

WORD = 32
_ZERO_WORD = bytes(WORD)

Reader = Callable[[bytes], Any]


class Irregular(ValueError):
    """The data is not the plain encoding the reader expects: decode it the general way."""


def _uint(bits: int) -> Callable[[bytes, int], int]:
    pad = WORD - bits // 8
    zeros = bytes(pad)

    def read(data: bytes, at: int) -> int:
        if data[at : at + pad] != zeros:
            raise Irregular("non-zero padding")
        return int.from_bytes(data[at + pad : at + WORD], "big")

    return read


def _bool(data: bytes, at: int) -> bool:
    word = data[at : at + WORD]
    if word == _ZERO_WORD:
        return False
    if word[:-1] == _ZERO_WORD[:-1] and word[-1] == 1:
        return True
    raise Irregular("not a bool")


_ADDRESS_PAD = bytes(12)


def _address(data: bytes, at: int) -> str:
    if data[at : at + 12] != _ADDRESS_PAD:
        raise Irregular("non-zero padding")
    return "0x" + data[at + 12 : at + WORD].hex()


def _fixed_bytes(size: int) -> Callable[[bytes, int], bytes]:
    zeros = bytes(WORD - size)

    def read(data: bytes, at: int) -> bytes:
        if data[at + size : at + WORD] != zeros:
            raise Irregular("non-zero padding")
        return data[at : at + size]

    return read


def _static(kind: str) -> Callable[[bytes, int], Any] | None:
    """The reader of one static word of ABI type `kind` at a byte position, or None."""
    if kind == "address":
        return _address
    if kind == "bool":
        return _bool
    if kind.startswith("uint") and (kind[4:].isdigit() or kind == "uint"):
        bits = int(kind[4:] or 256)
        return _uint(bits) if bits % 8 == 0 and 0 < bits <= 256 else None
    if kind.startswith("bytes") and kind[5:].isdigit():
        size = int(kind[5:])
        return _fixed_bytes(size) if 0 < size <= WORD else None
    return None


def compile_layout(kinds: Sequence[str]) -> Callable[[bytes], tuple[Any, ...]] | None:
    """A reader of the ABI tuple ``(kinds...)`` from a log's data, or None when a type is
    outside the shapes read here (that event keeps eth-abi's decoder)."""
    head = WORD * len(kinds)
    steps: list[Callable[[bytes], Any]] = []
    for index, kind in enumerate(kinds):
        at = index * WORD
        static = _static(kind)
        if static is not None:
            steps.append(_at(static, at))
        elif kind in ("string", "bytes"):
            steps.append(_dynamic_bytes(at, head, text=kind == "string"))
        elif kind.endswith("[]") and (element := _static(kind[:-2])) is not None:
            steps.append(_static_array(element, at, head))
        else:
            return None

    def read(data: bytes) -> tuple[Any, ...]:
        if len(data) < head:
            raise Irregular("shorter than the head")
        return tuple([step(data) for step in steps])

    return read


def _at(static: Callable[[bytes, int], Any], at: int) -> Reader:
    return lambda data: static(data, at)


def _pointer(data: bytes, at: int, head: int) -> int:
    """Where the tail of a dynamic value starts; eth-abi refuses pointers into the head and
    past the end of the data."""
    offset = int.from_bytes(data[at : at + WORD], "big")
    if offset < head or offset >= len(data):
        raise Irregular("pointer out of the tail")
    return offset


def _dynamic_bytes(at: int, head: int, *, text: bool) -> Reader:
    def read(data: bytes) -> Any:
        start = _pointer(data, at, head) + WORD
        length = int.from_bytes(data[start - WORD : start], "big")
        if start + length > len(data):
            raise Irregular("value past the end")
        raw = data[start : start + length]
        if not text:
            return raw
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            # eth-abi checks every pointer before it decodes any text: it may fail otherwise.
            raise Irregular("not UTF-8") from None

    return read


def _static_array(element: Callable[[bytes, int], Any], at: int, head: int) -> Reader:
    def read(data: bytes) -> tuple[Any, ...]:
        start = _pointer(data, at, head) + WORD
        count = int.from_bytes(data[start - WORD : start], "big")
        if start + count * WORD > len(data):
            raise Irregular("array past the end")
        return tuple([element(data, start + i * WORD) for i in range(count)])

    return read
