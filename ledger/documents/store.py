"""The interface every document backend implements, and what it reports about a document.

Documents are addressed by content: ``put`` returns the CID, ``get`` hands back the bytes
only after they hash to that CID again. FreshLedger keeps each document's media type beside
it (the CID covers the bytes alone).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from multiformats import CID

from ledger.documents.cid import CidLike

#: What a document is served as when nobody said what it is.
DEFAULT_MEDIA_TYPE = "application/octet-stream"

# RFC 6838 type/subtype names, with optional parameters (`text/plain; charset=utf-8`).
_TOKEN = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
_MEDIA_TYPE = re.compile(rf"^{_TOKEN}/{_TOKEN}(\s*;\s*{_TOKEN}=[^;\s]+)*$")


@dataclass(frozen=True)
class DocumentInfo:
    """What a store knows about a document: its CID, media type and size in bytes."""

    cid: CID
    media_type: str
    size: int


def check_media_type(media_type: str) -> str:
    """`media_type` normalised (type and subtype lower-case); ValueError when malformed."""
    media_type = media_type.strip()
    if not _MEDIA_TYPE.match(media_type):
        raise ValueError(f"not a media type: {media_type!r} (expected e.g. application/pdf)")
    essence, _, parameters = media_type.partition(";")
    return essence.lower() + (";" + parameters if parameters else "")


class DocumentStore(Protocol):
    """A content-addressed document store.

    Every method taking a CID accepts a :class:`multiformats.CID`, its text or its binary
    form, and raises :class:`~ledger.errors.InvalidCid` for a CID FreshLedger cannot verify.
    """

    def put(self, data: bytes, media_type: str) -> CID:
        """Store `data` and return its CID (computed by FreshLedger, checked against the backend's).

        A document keeps the media type of its first upload: raises
        :class:`~ledger.errors.MediaTypeFixed` when the CID is recorded with another type
        (see :mod:`ledger.documents.media` for the one exception).
        """
        ...

    def get(self, cid: CidLike) -> bytes:
        """The document's bytes, verified against `cid`.

        Raises :class:`~ledger.errors.DocumentNotFound` or
        :class:`~ledger.errors.DocumentIntegrityError`.
        """
        ...

    def info(self, cid: CidLike) -> DocumentInfo:
        """Media type and size of a stored document (not verified; see :meth:`verify`)."""
        ...

    def has(self, cid: CidLike) -> bool:
        """Whether the store keeps this document."""
        ...

    def verify(self, cid: CidLike) -> DocumentInfo:
        """Re-hash the stored bytes and compare with `cid`; raise as :meth:`get` does."""
        ...

    def pin(self, cid: CidLike) -> None:
        """Keep the document for good (no garbage collection may drop it)."""
        ...
