"""Whether a sale's Digital Link names a sale that is on its way: its serial was reserved
when the write queue accepted the sale (a receipt may already be printed with it), and the
sale is not indexed yet.

The shopper who scans such a receipt at once is told the sale is being recorded (and the
page looks again), rather than that no sale has this code. A serial reserved for a sale the
chain refused names no sale, ever: that is a plain "not found".
"""

from __future__ import annotations

from sqlalchemy import Engine, select

from ledger.store.intent_models import Intent
from ledger.store.sale_serials import batch_key, last_reserved

_INTENTS = Intent.__table__
#: Sale intents that are not recorded: waiting or on their way, or refused. Few at any time
#: (refusals are rare), and the status index finds them without reading the recorded ones.
_NOT_RECORDED = ("queued", "sent", "refused")


def sale_pending(engine: Engine, batch_id: str, serial: int) -> bool:
    """Whether serial `serial` of batch `batch_id` (0x-hex) was reserved for a sale that the
    chain has not refused: queued, sent, or recorded and about to be indexed. The caller
    asks only about a sale it did not find in the index."""
    with engine.connect() as conn:
        last = last_reserved(conn, batch_id)
        if last is None or serial > last:
            return False
        # The serial is matched by the database (JSON path, both dialects): a scan does not
        # read every sale on its way at a busy hour, only those of this serial.
        rows = conn.execute(
            select(_INTENTS.c.status, _INTENTS.c.payload).where(
                _INTENTS.c.status.in_(_NOT_RECORDED),
                _INTENTS.c.kind == "sale",
                _INTENTS.c.payload["serial"].as_integer() == serial,
            )
        ).all()
    key = batch_key(batch_id)
    for status, payload in rows:
        if payload.get("serial") == serial and batch_key(payload.get("batch_id", "")) == key:
            return status != "refused"
    return True  # recorded (no longer among these): the indexer is about to show it
