"""Ids and hashes as text: the one place bytes become ``0x`` hex and back.

Batch ids, sale ids, role ids and transaction hashes travel as lower-case ``0x`` hex in
the index, the API and the CLI, and as bytes in contract calls. Every crossing goes through
these functions, so the spelling (prefix, case) cannot drift.

Example::

    >>> to_hex(b"\\x12\\xab")
    '0x12ab'
    >>> from_hex("0x12AB", size=2)
    b'\\x12\\xab'
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

#: The digits' count is checked apart: a repeated pair group made the match three times slower,
#: and every sale's batch id is read twice on its way to the chain.
_HEX = re.compile(r"0x[0-9a-fA-F]*")


def to_hex(raw: bytes) -> str:
    """`raw` as lower-case hex with the ``0x`` prefix."""
    return "0x" + bytes(raw).hex()


def from_hex(text: str, *, size: int | None = None) -> bytes:
    """The bytes of ``0x`` hex `text`; ValueError names what is wrong.

    `size`, when given, is the exact byte length expected (32 for a batch id or a hash).
    """
    if not isinstance(text, str) or len(text) % 2 or _HEX.fullmatch(text) is None:
        raise ValueError("expected 0x followed by an even number of hex digits")
    raw = bytes.fromhex(text[2:])
    if size is not None and len(raw) != size:
        raise ValueError(f"expected {size} bytes (0x and {2 * size} hex digits), got {len(raw)}")
    return raw


_AS_IS = frozenset({int, str, bool, float, type(None)})


def plain(value: Any) -> Any:
    """Dataclasses, lists and dicts to JSON-ready values, recursively: bytes become 0x hex."""
    # The exact common types first: a packed transaction's settle makes hundreds of events'
    # arguments plain, and the dataclass test on every number was most of that.
    kind = type(value)
    if kind in _AS_IS:
        return value
    if kind is bytes:
        return to_hex(value)
    if kind is dict:
        return {k: plain(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, bytes):
        return to_hex(value)
    return value
