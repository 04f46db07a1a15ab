"""Tables of the workbench's people: the accounts the market authority opens for the people of
a participant, their sessions, the sign-in throttle, and which person made each write.

A person belongs to one participant and acts with its roles and its key (on-chain the
participant signs, as for an API key); the person is kept beside the intent
(``intent_people``), so that ``GET /workbench/activity`` can say who did what without a
column in the write queue's own table.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ledger.store.models import ADDRESS, Base


class Person(Base):
    """A sign-in of one participant's person (a lab has several technicians)."""

    __tablename__ = "people"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    participant: Mapped[str] = mapped_column(ADDRESS, index=True)
    display_name: Mapped[str] = mapped_column(String(200))
    #: argon2id, in the PHC string format (parameters and salt inside).
    password_hash: Mapped[str] = mapped_column(String(200))
    #: Base32 secret of the optional second factor (RFC 6238 TOTP); None: password only.
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    language: Mapped[str] = mapped_column(String(8), default="en")
    created_at: Mapped[float] = mapped_column(Float)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)


class PersonSession(Base):
    """A signed-in browser: the cookie carries a random token, the table only its SHA-256."""

    __tablename__ = "person_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer, index=True)
    participant: Mapped[str] = mapped_column(ADDRESS, index=True)
    #: The CSRF token of the session's forms (synchronizer token pattern).
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float)
    last_seen: Mapped[float] = mapped_column(Float)
    ended_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class SignInThrottle(Base):
    """Failed sign-ins of one account or one client (``account:NAME``, ``client:ADDRESS``)."""

    __tablename__ = "sign_in_throttle"
    subject: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    first_failure: Mapped[float] = mapped_column(Float)
    blocked_until: Mapped[float] = mapped_column(Float)


class IntentPerson(Base):
    """Which person sent an intent, and from which form of the workbench."""

    __tablename__ = "intent_people"
    intent_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer)
    participant: Mapped[str] = mapped_column(ADDRESS)
    form: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[float] = mapped_column(Float)
    __table_args__ = (Index("ix_intent_people_participant_intent", "participant", "intent_id"),)
