"""What FreshLedger knows about a document beyond its bytes (media type, size), kept as one
small JSON file per CID: ``<root>/<shard>/<cid>.json``.

The shard is the two characters before the CID's last one (go-ipfs flatfs's
``next-to-last/2``), so a folder holds a bounded share of the documents.
"""

from __future__ import annotations

import json
from pathlib import Path

from multiformats import CID

from ledger.documents.atomic import write_atomic
from ledger.documents.store import DocumentInfo


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
        record = {"cid": str(info.cid), "media_type": info.media_type, "size": info.size}
        write_atomic(self.path(info.cid), [json.dumps(record, indent=1).encode() + b"\n"])
