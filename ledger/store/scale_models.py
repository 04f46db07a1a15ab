"""The weighings the stall gateway took from the market's scales.

One row per (stall, scale, sequence number): the primary key is the gateway's deduplication,
so a weighing a scale sends again (after a broker restart, a gateway crash, a lost reply) is
recorded once and answered with the first answer. ``intent_id`` is the sale intent it became,
``answer`` what the scale was told (a receipt or a refusal), kept to answer a resend alike.
A sale's receipt is answered as soon as the weighing is stored (its serial is reserved);
``settled_at`` is when its intent became final (recorded, or refused and the receipt voided).
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Float, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ledger.store.models import ADDRESS, Base


class ScaleWeighing(Base):
    __tablename__ = "scale_weighings"
    stall: Mapped[str] = mapped_column(ADDRESS, primary_key=True)
    scale_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    received_at: Mapped[float] = mapped_column(Float)
    weighing: Mapped[dict] = mapped_column(JSON)
    intent_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    answer: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    answered_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    settled_at: Mapped[float | None] = mapped_column(Float, nullable=True)


Index("ix_scale_weighings_answered_at", ScaleWeighing.answered_at)
Index("ix_scale_weighings_settled_at", ScaleWeighing.settled_at)
