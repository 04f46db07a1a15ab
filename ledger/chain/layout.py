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
_ADDRESS_PAD = bytes(12)

Reader = Callable[[bytes], Any]


class Irregular(ValueError):
    """The data is not the plain encoding the reader expects: decode it the general way."""


def _reader_globals() -> dict[str, Any]:
    """The names a generated reader's code uses besides its own variables."""
    return {
        "Irregular": Irregular,
        "from_bytes": int.from_bytes,
        "ZERO_WORD": _ZERO_WORD,
        "TRUE_WORD": _ZERO_WORD[:-1] + b"\x01",
        "ADDRESS_PAD": _ADDRESS_PAD,
        **{f"ZEROS{pad}": bytes(pad) for pad in range(1, WORD)},
    }


def _static(kind: str) -> Callable[[bytes, int], Any] | None:
    """The reader of one static word of ABI type `kind` at a byte position (an array's
    element), or None."""
    env = _reader_globals()
    lines = _static_source(kind, "at", "value")
    return None if lines is None else generated_function("read", ["data", "at"], [*lines, "return value"], env)


def compile_layout(kinds: Sequence[str]) -> Callable[[bytes], tuple[Any, ...]] | None:
    """A reader of the ABI tuple ``(kinds...)`` from a log's data, or None when a type is
    outside the shapes read here (that event keeps eth-abi's decoder).

    The reader is generated as one function of straight-line code (as :mod:`dataclasses`
    makes ``__init__``): a call and a closure per field cost more than the slicing itself,
    and a backfill reads a hundred thousand logs (a split's data: 1.1 µs in closures, about
    half as code).
    """
    head = WORD * len(kinds)
    env = _reader_globals()
    body = ["size = len(data)", f"if size < {head}:", "    raise Irregular('shorter than the head')"]
    for index, kind in enumerate(kinds):
        value, at = f"v{index}", index * WORD
        lines = _static_source(kind, at, value)
        if lines is None and kind in ("string", "bytes"):
            lines = _dynamic_bytes_source(at, head, value, text=kind == "string")
        if lines is None and kind.endswith("[]") and (element := _static(kind[:-2])) is not None:
            env[f"array{index}"] = _static_array(element, at, head)
            lines = [f"{value} = array{index}(data)"]
        if lines is None:
            return None
        body += lines
    body.append(f"return ({''.join(f'v{index}, ' for index in range(len(kinds)))})")
    return generated_function("read", ["data"], body, env)


def generated_function(name: str, parameters: Sequence[str], body: Sequence[str], env: dict[str, Any]) -> Any:
    """The function `name` compiled from `body` (lines of its block) with globals `env`."""
    source = f"def {name}({', '.join(parameters)}):\n" + "".join(f"    {line}\n" for line in body)
    # The source is made of the contract ABI's own types, sizes and parameter names (the
    # names as Python literals) and of names bound in `env`: nothing read from a log or a
    # request.
    exec(compile(source, f"<generated {name}>", "exec"), env)
    return env[name]


def _static_source(kind: str, at: int | str, value: str) -> list[str] | None:
    """Lines reading one static word of ABI type `kind` at byte `at` (a number, or the name
    of a variable holding it) into `value`, or None."""

    def offset(plus: int) -> str:
        return str(at + plus) if isinstance(at, int) else f"{at} + {plus}" if plus else at

    end = offset(WORD)
    if kind == "address":
        return [
            f"if data[{offset(0)}:{offset(12)}] != ADDRESS_PAD:",
            "    raise Irregular('non-zero padding')",
            f"{value} = '0x' + data[{offset(12)}:{end}].hex()",
        ]
    if kind == "bool":
        return [
            f"word = data[{offset(0)}:{end}]",
            f"{value} = True if word == TRUE_WORD else False if word == ZERO_WORD else None",
            f"if {value} is None:",
            "    raise Irregular('not a bool')",
        ]
    if kind.startswith("uint") and (kind[4:].isdigit() or kind == "uint"):
        bits = int(kind[4:] or 256)
        if bits % 8 or not 0 < bits <= 256:
            return None
        pad = WORD - bits // 8
        check = [f"if data[{offset(0)}:{offset(pad)}] != ZEROS{pad}:", "    raise Irregular('non-zero padding')"]
        return [*(check if pad else []), f"{value} = from_bytes(data[{offset(pad)}:{end}], 'big')"]
    if kind.startswith("bytes") and kind[5:].isdigit():
        size = int(kind[5:])
        if not 0 < size <= WORD:
            return None
        pad = WORD - size
        check = [f"if data[{offset(size)}:{end}] != ZEROS{pad}:", "    raise Irregular('non-zero padding')"]
        return [*(check if pad else []), f"{value} = data[{offset(0)}:{offset(size)}]"]
    return None


def _dynamic_bytes_source(at: int, head: int, value: str, *, text: bool) -> list[str]:
    """Lines reading a ``string`` or ``bytes`` behind the pointer at byte `at` (see _pointer)."""
    lines = [
        f"start = from_bytes(data[{at}:{at + WORD}], 'big')",
        f"if start < {head} or start >= size:",
        "    raise Irregular('pointer out of the tail')",
        f"start += {WORD}",
        f"end = start + from_bytes(data[start - {WORD}:start], 'big')",
        "if end > size:",
        "    raise Irregular('value past the end')",
    ]
    if not text:
        return [*lines, f"{value} = data[start:end]"]
    # eth-abi checks every pointer before it decodes any text: it may fail otherwise.
    return [
        *lines,
        "try:",
        f"    {value} = data[start:end].decode('utf-8')",
        "except UnicodeDecodeError:",
        "    raise Irregular('not UTF-8') from None",
    ]


def _pointer(data: bytes, at: int, head: int) -> int:
    """Where the tail of a dynamic value starts; eth-abi refuses pointers into the head and
    past the end of the data."""
    offset = int.from_bytes(data[at : at + WORD], "big")
    if offset < head or offset >= len(data):
        raise Irregular("pointer out of the tail")
    return offset


def _static_array(element: Callable[[bytes, int], Any], at: int, head: int) -> Reader:
    def read(data: bytes) -> tuple[Any, ...]:
        start = _pointer(data, at, head) + WORD
        count = int.from_bytes(data[start - WORD : start], "big")
        if start + count * WORD > len(data):
            raise Irregular("array past the end")
        return tuple([element(data, start + i * WORD) for i in range(count)])

    return read
