"""The workbench's people in SQL: accounts, sessions, the sign-in throttle, and the person
behind each intent.

Sessions: the browser holds a random token; the table holds only its SHA-256 (a copy of the
database signs nobody in). A session ends when it is idle too long, when it is too old, when
its person signs out (here or everywhere), or when its participant is suspended.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from ledger.people.passwords import check_password, hash_password, needs_rehash
from ledger.store.intent_models import Intent
from ledger.store.people_models import IntentPerson, Person, PersonSession, SignInThrottle

_PEOPLE = Person.__table__
_SESSIONS = PersonSession.__table__
_THROTTLE = SignInThrottle.__table__
_LINKS = IntentPerson.__table__
_INTENTS = Intent.__table__
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


class UsernameTaken(ValueError):
    """Another account has this username."""


@dataclass(frozen=True)
class PersonRecord:
    id: int
    username: str
    participant: str
    display_name: str
    password_hash: str
    totp_secret: str | None
    language: str
    created_at: float
    disabled: bool

    @property
    def has_second_factor(self) -> bool:
        return self.totp_secret is not None


@dataclass(frozen=True)
class SessionRecord:
    person: PersonRecord
    csrf: str
    created_at: float
    last_seen: float


def _person(row: Any) -> PersonRecord:
    return PersonRecord(**{c.name: getattr(row, c.name) for c in _PEOPLE.columns})


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# ------------------------------------------------------------------ accounts


def create_person(
    engine: Engine,
    username: str,
    participant: str,
    password: str,
    display_name: str,
    *,
    totp_secret: str | None = None,
    language: str = "en",
) -> PersonRecord:
    """Open an account for a person of `participant`; UsernameTaken, or ValueError for a
    malformed name or a password outside the allowed length."""
    if not USERNAME.match(username):
        raise ValueError("a username has 3-64 characters: lower-case letters, digits, '.', '_' or '-'")
    values = {
        "username": username,
        "participant": participant,
        "display_name": display_name,
        "password_hash": hash_password(password),
        "totp_secret": totp_secret,
        "language": language,
        "created_at": time.time(),
        "disabled": False,
    }
    try:
        with engine.begin() as conn:
            new_id = conn.execute(insert(_PEOPLE).values(**values).returning(_PEOPLE.c.id)).scalar_one()
    except IntegrityError:
        raise UsernameTaken(f"the username {username!r} is taken") from None
    return PersonRecord(id=new_id, **values)


def person_named(engine: Engine, username: str) -> PersonRecord | None:
    with engine.connect() as conn:
        row = conn.execute(select(_PEOPLE).where(_PEOPLE.c.username == username)).first()
    return _person(row) if row else None


def people_of(engine: Engine, participant: str | None = None) -> list[PersonRecord]:
    query = select(_PEOPLE).order_by(_PEOPLE.c.participant, _PEOPLE.c.username)
    if participant is not None:
        query = query.where(_PEOPLE.c.participant == participant)
    with engine.connect() as conn:
        return [_person(row) for row in conn.execute(query).all()]


def authenticate(engine: Engine, username: str, password: str) -> PersonRecord | None:
    """The person whose name and password these are (None otherwise, after the same work)."""
    person = person_named(engine, username)
    if not check_password(person.password_hash if person else None, password) or person is None:
        return None
    if person.disabled:
        return None
    if needs_rehash(person.password_hash):
        with engine.begin() as conn:
            conn.execute(update(_PEOPLE).where(_PEOPLE.c.id == person.id).values(password_hash=hash_password(password)))
    return person


# ------------------------------------------------------------------ sessions


def open_session(engine: Engine, person: PersonRecord) -> str:
    """A new session of `person`; returns the token for the cookie (stored only hashed)."""
    token = secrets.token_urlsafe(32)
    now = time.time()
    with engine.begin() as conn:
        conn.execute(
            insert(_SESSIONS).values(
                token_hash=token_hash(token),
                person_id=person.id,
                participant=person.participant,
                csrf=secrets.token_urlsafe(32),
                created_at=now,
                last_seen=now,
                ended_at=None,
            )
        )
    return token


def session_for(engine: Engine, token: str, *, idle_s: float, absolute_s: float) -> SessionRecord | None:
    """The live session of `token` (its last use moves to now), or None: unknown, ended,
    idle longer than `idle_s` or older than `absolute_s` (then it is ended)."""
    now = time.time()
    hashed = token_hash(token)
    with engine.begin() as conn:
        row = conn.execute(
            select(_SESSIONS, _PEOPLE)
            .join(_PEOPLE, _PEOPLE.c.id == _SESSIONS.c.person_id)
            .where(_SESSIONS.c.token_hash == hashed)
        ).first()
        if row is None or row.ended_at is not None:
            return None
        if now - row.last_seen > idle_s or now - row.created_at > absolute_s or row.disabled:
            conn.execute(update(_SESSIONS).where(_SESSIONS.c.token_hash == hashed).values(ended_at=now))
            return None
        conn.execute(update(_SESSIONS).where(_SESSIONS.c.token_hash == hashed).values(last_seen=now))
    person = PersonRecord(**{c.name: getattr(row, c.name) for c in _PEOPLE.columns})
    return SessionRecord(person, row.csrf, row.created_at, now)


def csrf_matches(session: SessionRecord, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(session.csrf.encode(), given.encode())


def end_session(engine: Engine, token: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(_SESSIONS)
            .where(_SESSIONS.c.token_hash == token_hash(token), _SESSIONS.c.ended_at.is_(None))
            .values(ended_at=time.time())
        )


def end_sessions_of_person(engine: Engine, person_id: int) -> int:
    """Sign a person out everywhere; returns how many sessions ended."""
    with engine.begin() as conn:
        return conn.execute(
            update(_SESSIONS)
            .where(_SESSIONS.c.person_id == person_id, _SESSIONS.c.ended_at.is_(None))
            .values(ended_at=time.time())
        ).rowcount


def end_sessions_of_participant(engine: Engine, participant: str) -> int:
    """End every session of a participant's people (it was suspended)."""
    with engine.begin() as conn:
        return conn.execute(
            update(_SESSIONS)
            .where(_SESSIONS.c.participant == participant, _SESSIONS.c.ended_at.is_(None))
            .values(ended_at=time.time())
        ).rowcount


# ------------------------------------------------------------------ the sign-in throttle


@dataclass(frozen=True)
class ThrottlePolicy:
    """After `free` failures within `window_s`, each further failure blocks the subject for
    `base_s`, doubling up to `max_s` (a person mistyping is barely slowed; a guesser is)."""

    free: int = 5
    window_s: float = 900.0
    base_s: float = 30.0
    max_s: float = 900.0


def blocked_for(engine: Engine, subjects: list[str]) -> float:
    """Seconds until every one of `subjects` may try again (0: now)."""
    now = time.time()
    with engine.connect() as conn:
        rows = conn.execute(select(_THROTTLE.c.blocked_until).where(_THROTTLE.c.subject.in_(subjects))).all()
    return max([row.blocked_until - now for row in rows] + [0.0])


def record_failure(engine: Engine, subjects: list[str], policy: ThrottlePolicy) -> None:
    now = time.time()
    with engine.begin() as conn:
        for subject in subjects:
            row = conn.execute(select(_THROTTLE).where(_THROTTLE.c.subject == subject)).first()
            if row is None or now - row.first_failure > policy.window_s:
                conn.execute(delete(_THROTTLE).where(_THROTTLE.c.subject == subject))
                failures, first = 1, now
            else:
                failures, first = row.failures + 1, row.first_failure
                conn.execute(delete(_THROTTLE).where(_THROTTLE.c.subject == subject))
            over = failures - policy.free
            blocked = now + min(policy.base_s * 2 ** (over - 1), policy.max_s) if over > 0 else 0.0
            conn.execute(
                insert(_THROTTLE).values(subject=subject, failures=failures, first_failure=first, blocked_until=blocked)
            )


def clear_failures(engine: Engine, subjects: list[str]) -> None:
    with engine.begin() as conn:
        conn.execute(delete(_THROTTLE).where(_THROTTLE.c.subject.in_(subjects)))


# ------------------------------------------------------------------ who did what


def link_intent(engine: Engine, intent_id: int, person: PersonRecord, form: str) -> None:
    """Keep the person behind an intent (a second submit of the same form links nothing new)."""
    link_intents(engine, [intent_id], person, form)


def link_intents(engine: Engine, intent_ids: Sequence[int], person: PersonRecord, form: str) -> None:
    """Keep the person behind each of `intent_ids` (the parts of one file, the lots of one
    sheet), in one database transaction; intents linked already stay as they are."""
    with engine.begin() as conn:
        known = set(conn.execute(select(_LINKS.c.intent_id).where(_LINKS.c.intent_id.in_(list(intent_ids)))).scalars())
        now = time.time()
        rows = [
            {"intent_id": i, "person_id": person.id, "participant": person.participant, "form": form, "created_at": now}
            for i in dict.fromkeys(intent_ids)
            if i not in known
        ]
        if rows:
            conn.execute(insert(_LINKS), rows)


def person_of_intent(engine: Engine, intent_id: int) -> PersonRecord | None:
    """The person who sent intent `intent_id` from the workbench (None: an API key or the CLI)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(_PEOPLE).join(_LINKS, _LINKS.c.person_id == _PEOPLE.c.id).where(_LINKS.c.intent_id == intent_id)
        ).first()
    return _person(row) if row else None


@dataclass(frozen=True)
class ActivityRow:
    intent_id: int
    username: str
    display_name: str
    form: str
    kind: str
    status: str
    created_at: float
    block_number: int | None
    tx_hash: str | None


def activity(engine: Engine, participant: str, limit: int = 100) -> list[ActivityRow]:
    """A participant's writes from the workbench, newest first, each with its person."""
    query = (
        select(
            _LINKS.c.intent_id,
            _PEOPLE.c.username,
            _PEOPLE.c.display_name,
            _LINKS.c.form,
            _INTENTS.c.kind,
            _INTENTS.c.status,
            _INTENTS.c.created_at,
            _INTENTS.c.block_number,
            _INTENTS.c.tx_hash,
        )
        .join(_PEOPLE, _PEOPLE.c.id == _LINKS.c.person_id)
        .join(_INTENTS, _INTENTS.c.id == _LINKS.c.intent_id)
        .where(_LINKS.c.participant == participant)
        .order_by(_LINKS.c.intent_id.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        return [ActivityRow(*row) for row in conn.execute(query).all()]
