"""The stall gateway's SQL: weighings taken once per (stall, scale, sequence number), the
sale intent each became, and the answer each scale was given."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, and_, bindparam, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from ledger.store.scale_models import ScaleWeighing

_W = ScaleWeighing.__table__
Key = tuple[str, str, int]  # (stall, scale id, sequence number)


@dataclass(frozen=True)
class WeighingRecord:
    stall: str
    scale_id: str
    seq: int
    weighing: dict[str, Any]
    intent_id: int | None
    answer: dict[str, Any] | None

    @property
    def key(self) -> Key:
        return (self.stall, self.scale_id, self.seq)


def _record(row: Any) -> WeighingRecord:
    return WeighingRecord(row.stall, row.scale_id, row.seq, row.weighing, row.intent_id, row.answer)


def _where(keys: Sequence[Key]) -> Any:
    # One row-value IN (SQLite 3.15+, PostgreSQL): a tree of 200 ANDs under an OR took the
    # gateway longer to build and compile than the database took to answer.
    return tuple_(_W.c.stall, _W.c.scale_id, _W.c.seq).in_(list(keys))


def known_weighings(engine: Engine, keys: Sequence[Key]) -> dict[Key, WeighingRecord]:
    """The weighings of `keys` taken before."""
    found: dict[Key, WeighingRecord] = {}
    with engine.connect() as conn:
        for start in range(0, len(keys), 200):
            for row in conn.execute(select(_W).where(_where(keys[start : start + 200]))):
                record = _record(row)
                found[record.key] = record
    return found


@dataclass(frozen=True)
class NewWeighing:
    key: Key
    weighing: dict[str, Any]
    intent_id: int | None
    answer: dict[str, Any] | None


def take_weighings(engine: Engine, new: Sequence[NewWeighing]) -> None:
    """Store new weighings in one transaction; when one was taken meanwhile by another process,
    each alone (that one's record wins)."""
    now = time.time()
    rows = [
        {
            "stall": n.key[0],
            "scale_id": n.key[1],
            "seq": n.key[2],
            "received_at": now,
            "weighing": n.weighing,
            "intent_id": n.intent_id,
            "answer": n.answer,
            "answered_at": None,
            # A refusal is final at once; a sale settles when its intent does.
            "settled_at": None if n.intent_id is not None else now,
        }
        for n in new
    ]
    if not rows:
        return
    try:
        with engine.begin() as conn:
            conn.execute(insert(_W), rows)
    except IntegrityError:
        for n in new:
            take_weighing(engine, n.key, n.weighing, intent_id=n.intent_id, answer=n.answer)


def take_weighing(
    engine: Engine, key: Key, weighing: dict[str, Any], *, intent_id: int | None, answer: dict[str, Any] | None
) -> WeighingRecord:
    """Store a new weighing with its sale intent (or its answer, a refusal). Taken before by
    another process meanwhile: that one's record wins."""
    stall, scale_id, seq = key
    now = time.time()
    row = {
        "stall": stall,
        "scale_id": scale_id,
        "seq": seq,
        "received_at": now,
        "weighing": weighing,
        "intent_id": intent_id,
        "answer": answer,
        "answered_at": None,
        "settled_at": None if intent_id is not None else now,
    }
    try:
        with engine.begin() as conn:
            conn.execute(insert(_W), [row])
    except IntegrityError:
        return known_weighings(engine, [key])[key]
    return WeighingRecord(stall, scale_id, seq, weighing, intent_id, answer)


def unanswered(engine: Engine, limit: int = 1000, *, older_than: float | None = None) -> list[WeighingRecord]:
    """Weighings whose answer has not been sent yet (received before `older_than`, when
    given), oldest first."""
    query = select(_W).where(_W.c.answered_at.is_(None))
    if older_than is not None:
        query = query.where(_W.c.received_at < older_than)
    query = query.order_by(_W.c.received_at).limit(limit)
    with engine.connect() as conn:
        return [_record(row) for row in conn.execute(query)]


def mark_answered(engine: Engine, answers: Sequence[tuple[Key, dict[str, Any]]]) -> None:
    """Record that each weighing was answered with its answer (sent to the broker)."""
    if not answers:
        return
    now = time.time()
    statement = (
        update(_W)
        .where(
            and_(
                _W.c.stall == bindparam("k_stall"),
                _W.c.scale_id == bindparam("k_scale"),
                _W.c.seq == bindparam("k_seq"),
            )
        )
        .values(answer=bindparam("answer"), answered_at=now)
    )
    rows = [
        {"k_stall": stall, "k_scale": scale_id, "k_seq": seq, "answer": answer}
        for (stall, scale_id, seq), answer in answers
    ]
    with engine.begin() as conn:
        conn.execute(statement, rows)  # one executemany


def unsettled(engine: Engine, limit: int = 1000, *, older_than: float | None = None) -> list[WeighingRecord]:
    """Weighings whose sale intent was not seen final yet (received before `older_than`,
    when given), oldest first."""
    query = select(_W).where(_W.c.settled_at.is_(None), _W.c.intent_id.is_not(None))
    if older_than is not None:
        query = query.where(_W.c.received_at < older_than)
    query = query.order_by(_W.c.received_at).limit(limit)
    with engine.connect() as conn:
        return [_record(row) for row in conn.execute(query)]


def mark_settled(engine: Engine, settled: Sequence[tuple[Key, dict[str, Any] | None]]) -> None:
    """Record that each weighing's sale is final; with an answer (a void, or a receipt for a
    weighing answered only now), that answer was sent and replaces the stored one."""
    if not settled:
        return
    now = time.time()
    where = and_(
        _W.c.stall == bindparam("k_stall"),
        _W.c.scale_id == bindparam("k_scale"),
        _W.c.seq == bindparam("k_seq"),
    )
    plain = [{"k_stall": k[0], "k_scale": k[1], "k_seq": k[2]} for k, answer in settled if answer is None]
    answered = [
        {"k_stall": k[0], "k_scale": k[1], "k_seq": k[2], "answer": answer}
        for k, answer in settled
        if answer is not None
    ]
    with engine.begin() as conn:
        if plain:
            conn.execute(update(_W).where(where).values(settled_at=now), plain)
        if answered:
            conn.execute(
                update(_W).where(where).values(answer=bindparam("answer"), answered_at=now, settled_at=now), answered
            )


def weighing_count(engine: Engine) -> int:
    from sqlalchemy import func

    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(_W)).scalar_one()
