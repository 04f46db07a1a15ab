"""The stall gateway's weighings in the database, on SQLite and PostgreSQL: each (stall, scale,
sequence number) taken once and found again by its key, answers stored with the weighing they
answer, and the sweep's view of the unanswered ones by age."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from ledger.store.scales import (
    NewWeighing,
    known_weighings,
    mark_answered,
    take_weighing,
    take_weighings,
    unanswered,
)
from tests.support.databases import Databases

STALL, OTHER = "0x" + "a1" * 20, "0x" + "b2" * 20


@pytest.fixture
def engine(databases: Databases) -> Engine:
    return databases.engine()


def _weighing(seq: int) -> dict[str, object]:
    return {"scale_id": "front", "seq": seq, "plu": 1, "net": 2, "unit": "KGM"}


def test_known_weighings_finds_exactly_the_keys_taken(engine: Engine) -> None:
    take_weighings(engine, [NewWeighing((STALL, "front", n), _weighing(n), 100 + n, None) for n in range(1, 251)])
    take_weighings(engine, [NewWeighing((OTHER, "front", 1), _weighing(1), 999, None)])
    asked = [(STALL, "front", 7), (STALL, "front", 250), (STALL, "back", 7), (OTHER, "front", 1), (OTHER, "front", 2)]
    found = known_weighings(engine, asked * 100)  # several chunks, repeated keys
    assert sorted(found) == [(STALL, "front", 7), (STALL, "front", 250), (OTHER, "front", 1)]
    assert found[(STALL, "front", 7)].intent_id == 107
    assert found[(OTHER, "front", 1)].intent_id == 999


def test_take_weighing_taken_before_returns_the_first_record(engine: Engine) -> None:
    first = take_weighing(engine, (STALL, "front", 1), _weighing(1), intent_id=5, answer=None)
    again = take_weighing(engine, (STALL, "front", 1), _weighing(1), intent_id=6, answer=None)
    assert again.intent_id == first.intent_id == 5


def test_mark_answered_stores_each_answer_with_its_weighing_only(engine: Engine) -> None:
    take_weighings(engine, [NewWeighing((STALL, "front", n), _weighing(n), n, None) for n in (1, 2, 3)])
    mark_answered(
        engine,
        [((STALL, "front", 1), {"type": "receipt", "seq": 1}), ((STALL, "front", 3), {"type": "refusal", "seq": 3})],
    )
    records = known_weighings(engine, [(STALL, "front", n) for n in (1, 2, 3)])
    assert records[(STALL, "front", 1)].answer == {"type": "receipt", "seq": 1}
    assert records[(STALL, "front", 2)].answer is None
    assert records[(STALL, "front", 3)].answer == {"type": "refusal", "seq": 3}
    assert [r.seq for r in unanswered(engine)] == [2]


def test_unanswered_older_than_leaves_out_the_young(engine: Engine) -> None:
    take_weighings(engine, [NewWeighing((STALL, "front", 1), _weighing(1), 1, None)])
    (record,) = unanswered(engine)
    assert unanswered(engine, older_than=0.0) == []
    assert unanswered(engine, older_than=2e9) == [record]
