"""The two protobuf messages of a UnixFS file node, encoded by hand (they are tiny).

A file larger than one chunk is a dag-pb node (``PBNode``) whose ``Data`` is a UnixFS
``Data`` message::

    PBNode { repeated PBLink Links = 2; optional bytes Data = 1; }
    PBLink { optional bytes Hash = 1; optional string Name = 2; optional uint64 Tsize = 3; }
    Data   { required DataType Type = 1; optional bytes Data = 2; optional uint64 filesize = 3;
             repeated uint64 blocksizes = 4; ... }

Encoded the way the reference importers write it: dag-pb's canonical order puts ``Links``
before ``Data`` although ``Data`` has the lower field number; each link carries an empty
``Name`` (present, zero length) and its ``Tsize``; ``blocksizes`` are not packed (proto2); the
file node has no ``Data`` bytes of its own (raw leaves hold them) and no mode or mtime.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: UnixFS ``DataType.File``.
UNIXFS_FILE = 2

_VARINT = 0
_LENGTH_DELIMITED = 2


@dataclass(frozen=True)
class Link:
    """One child of a file node: its binary CID, DAG size (``Tsize``) and file bytes."""

    cid: bytes
    tsize: int
    filesize: int


def varint(value: int) -> bytes:
    """Unsigned LEB128, as protobuf writes integers.

    >>> varint(300).hex()
    'ac02'
    """
    if value < 0:
        raise ValueError(f"varint of a negative number: {value}")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(field: int, wire_type: int) -> bytes:
    return varint(field << 3 | wire_type)


def _bytes_field(field: int, payload: bytes) -> bytes:
    return _key(field, _LENGTH_DELIMITED) + varint(len(payload)) + payload


def _uint_field(field: int, value: int) -> bytes:
    return _key(field, _VARINT) + varint(value)


def unixfs_file_data(blocksizes: Sequence[int]) -> bytes:
    """UnixFS ``Data`` of a file node whose children hold `blocksizes` bytes of the file each."""
    parts = [_uint_field(1, UNIXFS_FILE), _uint_field(3, sum(blocksizes))]
    parts += [_uint_field(4, size) for size in blocksizes]
    return b"".join(parts)


def encode_link(link: Link) -> bytes:
    """A ``PBLink``: Hash, an empty Name, Tsize."""
    return _bytes_field(1, link.cid) + _bytes_field(2, b"") + _uint_field(3, link.tsize)


def encode_file_node(links: Sequence[Link]) -> bytes:
    """The dag-pb block of a UnixFS file node over `links` (Links first, then Data)."""
    if not links:
        raise ValueError("a file node needs at least one link")
    body = b"".join(_bytes_field(2, encode_link(link)) for link in links)
    return body + _bytes_field(1, unixfs_file_data([link.filesize for link in links]))
