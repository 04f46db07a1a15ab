"""The embedded document store: a content-addressed folder under the data directory.

Each document is its raw file bytes at ``<root>/<shard>/<cid>`` (read-only), with its record
at ``<cid>.json`` beside it (see :mod:`ledger.documents.sidecar`). Keeping the file itself,
not its blocks, lets anyone re-hash it with any IPFS tool; the CID is recomputed from those
bytes on every read. Writes go through a temporary file and a rename, so a crash leaves the
old document or the new one, never a half-written one.

Example::

    store = LocalDocumentStore(data_dir() / "documents")
    cid = store.put(b"%PDF-1.7 ...", "application/pdf")
    store.get(cid)              # the bytes, verified
    store.verify(cid)           # DocumentInfo(cid=..., media_type="application/pdf", size=...)
"""

from __future__ import annotations

from pathlib import Path

from multiformats import CID

from ledger.documents.atomic import write_atomic
from ledger.documents.cid import CidLike, cid_of, cid_of_file, parse_cid, same_cid
from ledger.documents.sidecar import Sidecars, shard_of
from ledger.documents.store import DEFAULT_MEDIA_TYPE, DocumentInfo, check_media_type
from ledger.errors import DocumentIntegrityError, DocumentNotFound

#: Stored documents are never edited in place: a new version is a new CID.
CONTENT_MODE = 0o444


class LocalDocumentStore:
    """A :class:`~ledger.documents.store.DocumentStore` in the folder `root` (no daemon needed)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._sidecars = Sidecars(root)

    def path(self, cid: CidLike) -> Path:
        """Where the bytes of `cid` are (or would be) kept."""
        parsed = parse_cid(cid)
        return self.root / shard_of(parsed) / str(parsed)

    def put(self, data: bytes, media_type: str) -> CID:
        """Store `data` under its CID (replacing a damaged copy) and record its media type;
        :class:`~ledger.errors.MediaTypeFixed` (nothing written) when it is recorded with another."""
        info = DocumentInfo(cid=cid_of(data), media_type=check_media_type(media_type), size=len(data))
        self._sidecars.check_first(info)
        write_atomic(self.path(info.cid), [data], mode=CONTENT_MODE)
        self._sidecars.keep_first(info)
        return info.cid

    def get(self, cid: CidLike) -> bytes:
        """The bytes of `cid`, after checking that they hash to it."""
        expected = parse_cid(cid)
        try:
            data = self.path(expected).read_bytes()
        except FileNotFoundError:
            raise DocumentNotFound(expected, f"not in {self.root}") from None
        _check(expected, cid_of(data))
        return data

    def info(self, cid: CidLike) -> DocumentInfo:
        """The recorded media type and size (the file's size, octet-stream without a record)."""
        expected = parse_cid(cid)
        try:
            size = self.path(expected).stat().st_size
        except FileNotFoundError:
            raise DocumentNotFound(expected, f"not in {self.root}") from None
        recorded = self._sidecars.read(expected)
        media_type = recorded.media_type if recorded is not None else DEFAULT_MEDIA_TYPE
        return DocumentInfo(cid=expected, media_type=media_type, size=size)

    def has(self, cid: CidLike) -> bool:
        """Whether the folder holds a file for `cid` (whatever its state: see :meth:`verify`)."""
        return self.path(cid).is_file()

    def verify(self, cid: CidLike) -> DocumentInfo:
        """Re-hash the stored file, streaming, and compare with `cid`."""
        info = self.info(cid)
        try:
            actual = cid_of_file(self.path(info.cid))
        except FileNotFoundError:
            raise DocumentNotFound(info.cid, f"not in {self.root}") from None
        _check(info.cid, actual)
        return info

    def pin(self, cid: CidLike) -> None:
        """Nothing to do: the folder keeps every document; a missing one is an error."""
        if not self.has(cid):
            raise DocumentNotFound(parse_cid(cid), f"not in {self.root}")


def _check(expected: CID, actual: CID) -> None:
    if not same_cid(expected, actual):
        raise DocumentIntegrityError(expected, actual)
