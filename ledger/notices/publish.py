"""Publishing: store the document, then record its CID on-chain in one contract call. The
API's ``POST /notices`` and ``PUT /market/layout``, the CLI and the demo all come here."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount

from ledger.chain.client import TxResult
from ledger.chain.freshledger import FreshLedgerContract
from ledger.documents import DocumentStore
from ledger.errors import LedgerError
from ledger.notices import layout, text
from ledger.notices.layout import FloorPlan
from ledger.notices.text import NoticeText


@dataclass(frozen=True)
class Published:
    """The stored document's CID (text form) and the mined transaction."""

    cid: str
    result: TxResult


def publish_notice(
    ledger: FreshLedgerContract,
    documents: DocumentStore,
    author: LocalAccount,
    notice: NoticeText,
    valid_from: int,
    valid_until: int,
    *,
    batch_id: bytes | None = None,
    stall: str | None = None,
) -> Published:
    """Store `notice` and publish it for ``[valid_from, valid_until)``."""
    cid = documents.put(notice.document(), text.MEDIA_TYPE)
    result = ledger.publish_notice(author, bytes(cid), valid_from, valid_until, batch_id=batch_id, stall=stall)
    return Published(cid.encode("base32"), result)


def publish_layout(
    ledger: FreshLedgerContract, documents: DocumentStore, authority: LocalAccount, plan: FloorPlan
) -> Published:
    """Store `plan` (checked already) and make it the market's floor plan."""
    cid = documents.put(plan.document(), layout.MEDIA_TYPE)
    return Published(cid.encode("base32"), ledger.publish_layout(authority, bytes(cid)))


class DocumentCache:
    """Notice texts and plans by CID: a CID's document never changes, so screens refreshing
    every few seconds read each from the store once. A document that is missing or does not
    parse is None (the screen leaves it out rather than failing)."""

    def __init__(self, documents: DocumentStore, size: int = 256) -> None:
        self._documents = documents
        self._size = size
        self._found: OrderedDict[tuple[str, str], object] = OrderedDict()
        self._lock = threading.Lock()

    def notice(self, cid: str) -> NoticeText | None:
        found = self._get("notice", cid, NoticeText.parse)
        return found if isinstance(found, NoticeText) else None

    def plan(self, cid: str) -> FloorPlan | None:
        found = self._get("plan", cid, FloorPlan.parse)
        return found if isinstance(found, FloorPlan) else None

    def _get(self, kind: str, cid: str, parse: Callable[[bytes], object]) -> object:
        key = (kind, cid)
        with self._lock:
            if key in self._found:
                self._found.move_to_end(key)
                return self._found[key]
        try:
            value = parse(self._documents.get(cid))
        except LedgerError:
            return None  # not cached: the document may arrive later (an IPFS node catching up)
        with self._lock:
            self._found[key] = value
            while len(self._found) > self._size:
                self._found.popitem(last=False)
        return value
