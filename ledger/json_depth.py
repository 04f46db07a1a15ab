"""A bound on how deep JSON text nests, checked before it is parsed.

Python's JSON parser recurses once per array or object level, and ``py_ecc`` raises the
process's recursion limit to 100,000: text such as 100,000 ``[`` then overflows the C stack
and kills the process instead of raising RecursionError. So text from outside is measured
first, without recursion: strings are skipped (a bracket inside one is text), every other
``[`` and ``{`` opens a level.

Example::

    check_json_depth(b'{"a": [1, 2]}', 64)      # fine: depth 2
    check_json_depth(b"[" * 100_000, 64)         # JsonTooDeep
"""

from __future__ import annotations

import re
from itertools import accumulate

#: A JSON string, escapes included. A string left open matches nothing, so what follows its
#: quote counts as structure: a scan can only find more depth than the parser would, never less.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
#: Every byte but the four brackets, to delete; and each bracket's step in depth.
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1


class JsonTooDeep(ValueError):
    """JSON text nests deeper than allowed."""


def json_depth(data: bytes | str) -> int:
    """The deepest nesting of arrays and objects in `data` (brackets inside strings are text).

    Linear and without recursion; the loops run in C (a 1 MB body takes some 50 ms)."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def check_json_depth(data: bytes | str, limit: int) -> None:
    """Raise :class:`JsonTooDeep` when `data` nests arrays and objects deeper than `limit`."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return  # it cannot nest deeper than it opens: no scan needed
    if json_depth(raw) > limit:
        raise JsonTooDeep(f"JSON nested deeper than {limit} levels")
