"""The GTIN and lot of batches whose sales the API answers, for the sales' QR links.

A batch's GTIN and lot are fixed when it is created, so they are read from the index once per
batch and kept: an answer to a sale that waited for mining read the batch's row (and its
parties) for every sale, more than the rest of the answer cost. A batch the indexer has not
reached yet is not kept, so its next sale looks again.
"""

from __future__ import annotations

import threading

from sqlalchemy import Engine

from ledger.errors import NotFound
from ledger.queries.batches import get_batch

#: Batches kept at most; past it the cache starts over (a market sells from far fewer lots a
#: day, and a lot read again costs one query).
MOST_LOTS = 100_000


class LotCache:
    """(GTIN, lot) by batch id (0x hex), read from the index once per batch."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._known: dict[str, tuple[str, str]] = {}
        self._guard = threading.Lock()

    def get(self, batch_id: str) -> tuple[str, str] | None:
        """The batch's GTIN and lot, or None while the index does not hold the batch."""
        with self._guard:
            known = self._known.get(batch_id)
        if known is not None:
            return known
        try:
            batch, _ = get_batch(self.engine, batch_id)
        except NotFound:
            return None
        with self._guard:
            if len(self._known) >= MOST_LOTS:
                self._known.clear()
            self._known[batch_id] = (batch.gtin, batch.lot)
        return batch.gtin, batch.lot
