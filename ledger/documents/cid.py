"""Content identifiers exactly as ``ipfs add --cid-version=1 --raw-leaves --chunker=size-262144``
makes them.

The file is cut into 256 KiB chunks; each chunk is a raw block (CID codec ``raw``, sha2-256).
A file of one chunk (empty files included) is that raw block: its CID is the raw CID of the
whole file. A longer file becomes a balanced DAG of UnixFS file nodes (codec ``dag-pb``),
built level by level like the reference importer's balanced layout: the leaves in groups of
174 under one node each, those nodes in groups of 174, and so on up to one root. A plain
hash of the whole file is therefore only the CID up to 256 KiB.

Everything is computed streaming: only the pending CIDs of each level are held, never the
blocks (a 45 MiB file keeps 180 leaf CIDs, not 45 MiB of blocks).

Example::

    >>> str(cid_of(b""))
    'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku'
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from multiformats import CID, multihash

from ledger.documents.dagpb import Link, encode_file_node
from ledger.errors import InvalidCid

#: Chunk size of ``--chunker=size-262144``: the default of kubo and the JS importer.
CHUNK_SIZE = 262_144
#: Links per node of the balanced layout: the most that keep a node of CIDv1 links
#: under the 256 KiB block limit with room to spare; both reference importers use it.
MAX_LINKS = 174
HASH = "sha2-256"
RAW = "raw"
DAG_PB = "dag-pb"
#: Multibase of CIDv1 strings: lower-case base32, as ``ipfs add`` prints them.
BASE = "base32"
#: How much of a stream is read at a time.
READ_SIZE = 1 << 20

CidLike = CID | str | bytes


def parse_cid(value: CidLike) -> CID:
    """A CID FreshLedger can verify (CIDv1, sha2-256, raw or dag-pb), in base32.

    Accepts a CID, its text form or its binary form (as the contract events carry it).
    Raises :class:`InvalidCid` for anything else.
    """
    try:
        cid = value if isinstance(value, CID) else CID.decode(value.strip() if isinstance(value, str) else value)
    except (ValueError, KeyError, TypeError, IndexError) as exc:  # multiformats raises all four
        raise InvalidCid(f"not a CID: {value!r} ({exc})") from None
    if cid.version != 1:
        raise InvalidCid(f"{cid} is a CIDv0: FreshLedger documents are CIDv1 with raw leaves")
    if cid.hashfun.name != HASH:
        raise InvalidCid(f"{cid} uses {cid.hashfun.name}: FreshLedger documents use {HASH}")
    if cid.codec.name not in (RAW, DAG_PB):
        raise InvalidCid(f"{cid} has codec {cid.codec.name}: a document is {RAW} or {DAG_PB}")
    return cid.set(base=BASE)


def _cid(codec: str, block: bytes | memoryview) -> CID:
    return CID(BASE, 1, codec, multihash.wrap(hashlib.sha256(block).digest(), HASH))


class CidBuilder:
    """Feeds the bytes of one file in any pieces and gives its CID at the end.

    >>> builder = CidBuilder()
    >>> builder.update(b"hello ")
    >>> builder.update(b"world")
    >>> str(builder.finish())
    'bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e'
    """

    def __init__(self) -> None:
        self._partial = bytearray()
        self._leaves = 0
        self._first_leaf: CID | None = None
        # _levels[0] holds leaves waiting for a parent, _levels[1] their parents, ...
        self._levels: list[list[Link]] = [[]]
        self._finished = False

    def update(self, data: bytes | bytearray | memoryview) -> None:
        """Append `data` to the file."""
        if self._finished:
            raise RuntimeError("CidBuilder.update after finish")
        view = memoryview(data).cast("B")
        if self._partial:
            missing = CHUNK_SIZE - len(self._partial)
            self._partial += view[:missing]
            view = view[missing:]
            if len(self._partial) < CHUNK_SIZE:
                return
            self._add_leaf(self._partial)
            self._partial = bytearray()
        while len(view) >= CHUNK_SIZE:
            self._add_leaf(view[:CHUNK_SIZE])
            view = view[CHUNK_SIZE:]
        self._partial += view

    def finish(self) -> CID:
        """The file's CID. A file of zero bytes is one empty raw block."""
        if self._finished:
            raise RuntimeError("CidBuilder.finish called twice")
        self._finished = True
        if self._partial or self._leaves == 0:
            self._add_leaf(self._partial)
        if self._leaves == 1 and self._first_leaf is not None:
            return self._first_leaf
        return self._reduce_remaining()

    def _add_leaf(self, chunk: bytes | bytearray | memoryview) -> None:
        cid = _cid(RAW, chunk)
        self._leaves += 1
        if self._leaves == 1:
            self._first_leaf = cid
        self._push(0, Link(bytes(cid), tsize=len(chunk), filesize=len(chunk)))

    def _push(self, level: int, link: Link) -> None:
        """Add a node to `level`; a full group of MAX_LINKS becomes a parent one level up at once
        (the reference groups every level in consecutive runs of MAX_LINKS, so it is the same)."""
        if level == len(self._levels):
            self._levels.append([])
        pending = self._levels[level]
        pending.append(link)
        if len(pending) == MAX_LINKS:
            self._levels[level] = []
            self._push(level + 1, _parent(pending)[1])

    def _reduce_remaining(self) -> CID:
        """Close the partial groups from the bottom up until one node is left: the root."""
        level = 0
        while True:
            pending = self._levels[level]
            is_top = level == len(self._levels) - 1
            if is_top and len(pending) == 1:
                return CID.decode(pending[0].cid).set(base=BASE)
            self._levels[level] = []
            if pending:
                cid, link = _parent(pending)
                if is_top:
                    return cid
                self._push(level + 1, link)
            level += 1


def _parent(children: list[Link]) -> tuple[CID, Link]:
    block = encode_file_node(children)
    cid = _cid(DAG_PB, block)
    tsize = len(block) + sum(child.tsize for child in children)
    return cid, Link(bytes(cid), tsize=tsize, filesize=sum(child.filesize for child in children))


def cid_of(data: bytes | bytearray | memoryview) -> CID:
    """The CID of `data`."""
    builder = CidBuilder()
    builder.update(data)
    return builder.finish()


def cid_of_chunks(chunks: Iterable[bytes]) -> CID:
    """The CID of the concatenation of `chunks`."""
    builder = CidBuilder()
    for chunk in chunks:
        builder.update(chunk)
    return builder.finish()


def cid_of_stream(stream: BinaryIO) -> CID:
    """The CID of everything left to read in `stream`."""
    return cid_of_chunks(iter(lambda: stream.read(READ_SIZE), b""))


def cid_of_file(path: Path) -> CID:
    """The CID of the file at `path`, read in 1 MiB pieces."""
    with path.open("rb") as stream:
        return cid_of_stream(stream)


def same_cid(a: CID, b: CID) -> bool:
    """Whether `a` and `b` name the same content (version, codec and multihash; base aside)."""
    return bytes(a) == bytes(b)
