"""What FreshLedger knows about a document beyond its bytes (media type, size), kept as one
small JSON file per CID: ``<root>/<shard>/<cid>.json``.

The shard is the two characters before the CID's last one (go-ipfs flatfs's
``next-to-last/2``), so a folder holds a bounded share of the documents.
"""

from __future__ import annotations

import json
from pathlib import Path

from multiformats import CID

from ledger.documents.atomic import create_atomic, write_atomic
from ledger.documents.media import is_allowed
from ledger.documents.store import DocumentInfo
from ledger.errors import MediaTypeFixed


def shard_of(cid: CID) -> str:
    """The shard folder of `cid`: the two characters before its last one."""
    text = str(cid)
    return text[-3:-1]


class Sidecars:
    """The JSON records of the documents under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, cid: CID) -> Path:
        """Where the record of `cid` lives."""
        return self.root / shard_of(cid) / f"{cid}.json"

    def read(self, cid: CID) -> DocumentInfo | None:
        """The record of `cid`, or None when there is none (or it is unreadable)."""
        try:
            record = json.loads(self.path(cid).read_text())
            return DocumentInfo(cid=cid, media_type=str(record["media_type"]), size=int(record["size"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def write(self, info: DocumentInfo) -> None:
        """Record `info`, replacing any earlier record of the same CID."""
        write_atomic(self.path(info.cid), [_encode(info)])

    def check_first(self, info: DocumentInfo) -> None:
        """Raise :class:`MediaTypeFixed` when the document is recorded with another media type
        that :meth:`keep_first` would keep (a check before storing anything)."""
        recorded = self.read(info.cid)
        if recorded is not None and recorded.media_type != info.media_type and is_allowed(recorded.media_type):
            raise MediaTypeFixed(info.cid, recorded.media_type, info.media_type)

    def keep_first(self, info: DocumentInfo) -> DocumentInfo:
        """Record `info` unless the CID has a record already; the record kept.

        A document keeps the media type of its first upload: another type raises
        :class:`MediaTypeFixed`. The one exception is a record whose type documents may no
        longer have (recorded before the allow-list): an allowed type replaces it.
        """
        if create_atomic(self.path(info.cid), [_encode(info)]):
            return info
        self.check_first(info)
        recorded = self.read(info.cid)
        if recorded is None or recorded.media_type != info.media_type:
            self.write(info)  # unreadable, or a type no longer allowed: the new one replaces it
            return info
        return recorded


def _encode(info: DocumentInfo) -> bytes:
    record = {"cid": str(info.cid), "media_type": info.media_type, "size": info.size}
    return json.dumps(record, indent=1).encode() + b"\n"
