"""Tables of the write queue: intents (writes accepted, not yet or already on the chain) and
the signed transactions that carry them.

An intent belongs to one sender and moves queued -> sent -> recorded, or ends refused. A
transaction row holds the signed bytes, stored before they are sent, so that a process that
dies at any moment leaves enough to finish the job: the same bytes can be sent again, and the
node can be asked by hash and nonce what became of them.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ledger.store.models import ADDRESS, HEX32, Base


class Intent(Base):
    """One write the API or CLI accepted: who, what (kind and payload) and where it stands."""

    __tablename__ = "intents"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    sender: Mapped[str] = mapped_column(ADDRESS)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict] = mapped_column(JSON)
    #: The client's Idempotency-Key; unique per sender (NULLs are distinct in both databases).
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: sha256 of kind and payload: the same key with another body is refused.
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10))  # queued, sent, recorded, refused
    #: Transactions that carried the intent and reverted as a group (a single revert refuses it).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)
    tx_hash: Mapped[str | None] = mapped_column(HEX32, nullable=True, index=True)
    position: Mapped[int | None] = mapped_column(Integer, nullable=True)  # index among the transaction's intents
    block_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    result: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # events and ids, once recorded
    error: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # name, args, message, once refused
    __table_args__ = (
        UniqueConstraint("sender", "idempotency_key"),
        Index("ix_intents_status_sender_id", "status", "sender", "id"),
    )


class IntentTransaction(Base):
    """A signed transaction carrying one or more intents of one sender and kind."""

    __tablename__ = "intent_transactions"
    tx_hash: Mapped[str] = mapped_column(HEX32, primary_key=True)
    sender: Mapped[str] = mapped_column(ADDRESS)
    nonce: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    raw: Mapped[str] = mapped_column(Text)  # 0x-hex of the signed bytes
    intent_count: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10))  # sent, mined, reverted, replaced
    created_at: Mapped[float] = mapped_column(Float)
    block_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    __table_args__ = (Index("ix_intent_transactions_sender_status_nonce", "sender", "status", "nonce"),)


class SaleSerial(Base):
    """The last serial the write queue reserved for a sale of a batch.

    A sale intent takes the batch's next serial when it is stored, in the same database
    transaction, so its receipt (the Digital Link names the serial) can be printed before the
    sale is mined; ``recordSales`` pins that serial on the chain. The row is seeded from the
    chain's sale count of the batch and the index's highest serial the first time.
    """

    __tablename__ = "sale_serials"
    batch_id: Mapped[str] = mapped_column(HEX32, primary_key=True)
    last_serial: Mapped[int] = mapped_column(BigInteger)
