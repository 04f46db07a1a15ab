"""The scan cache on its own, over a real database of each kind: an answer lives exactly until
a mark of one of its keys (or ``*``) is newer than the generation it was made under, and the
cache never holds more bytes than its budget."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from api.scan_cache import ScanCache, matches
from ledger.store.change_marks import (
    EVERYTHING,
    MAX_KEYS,
    MarkReader,
    current_generation,
    mark_changed,
    mark_everything,
)
from tests.support.databases import Databases

BATCH = "0x" + "ab" * 32
OTHER = "0x" + "cd" * 32
STALL = "0x" + "12" * 20


@pytest.fixture
def engine(databases: Databases) -> Engine:
    return databases.engine()


@pytest.fixture
def cache(engine: Engine) -> Iterator[ScanCache]:
    made = ScanCache(engine, budget=1_000)
    yield made
    made.close()


def mark(engine: Engine, *keys: str) -> None:
    with engine.begin() as conn:
        mark_changed(conn, keys, changed_at=1_764_000_000)


def keep(cache: ScanCache, key: str, body: bytes, keys: tuple[str, ...] = (BATCH, STALL)) -> None:
    cache.put(key, cache.make(body, "text/html", keys, cache.generation(), fallback_time=1_700_000_000))


def test_an_answer_lives_until_one_of_its_keys_is_marked(engine: Engine, cache: ScanCache) -> None:
    keep(cache, "page", b"<p>fresh</p>")
    answer = cache.get("page")
    assert answer is not None and answer.body == b"<p>fresh</p>" and EVERYTHING in answer.keys
    assert answer.last_modified == "Tue, 14 Nov 2023 22:13:20 GMT"  # no mark yet: the fallback
    mark(engine, OTHER)  # another lineage
    assert cache.get("page") is answer
    mark(engine, STALL.upper().replace("0X", "0x"))  # keys are compared in lower case
    assert cache.get("page") is None and len(cache) == 0

    keep(cache, "page", b"<p>again</p>")
    assert cache.get("page").last_modified == "Mon, 24 Nov 2025 16:00:00 GMT"  # the newest mark
    with engine.begin() as conn:
        mark_everything(conn, changed_at=1_764_000_001)  # a reorg
    assert cache.get("page") is None


def test_an_answer_made_from_rows_read_before_a_change_dies_with_it(engine: Engine, cache: ScanCache) -> None:
    generation = cache.generation()  # then the rows are read, and a change commits meanwhile
    mark(engine, BATCH)
    cache.put("page", cache.make(b"<p>old rows</p>", "text/html", [BATCH], generation, fallback_time=0))
    assert cache.get("page") is None


def test_a_backfill_range_marks_everything(engine: Engine, cache: ScanCache) -> None:
    keep(cache, "page", b"<p>x</p>")
    mark(engine, *(f"0x{i:064x}" for i in range(MAX_KEYS + 1)))
    assert cache.get("page") is None


def test_the_cache_keeps_to_its_budget_dropping_the_least_recently_used(cache: ScanCache) -> None:
    for name in ("a", "b", "c"):
        keep(cache, name, name.encode() * 300)
    assert cache.get("a") is not None  # a is now the most recently used
    keep(cache, "d", b"d" * 300)
    assert cache.size <= cache.budget
    assert cache.get("b") is None and all(cache.get(name) is not None for name in ("a", "c", "d"))
    keep(cache, "huge", b"h" * 1_001)  # more than the whole budget: not kept, nothing evicted for it
    assert cache.get("huge") is None and len(cache) == 3


def test_if_none_match_compares_weakly() -> None:
    assert matches('"abc"', '"abc"') and matches('W/"abc"', '"abc"') and matches('"x", "abc"', '"abc"')
    assert matches("*", '"abc"')
    assert not matches('"abcd"', '"abc"') and not matches("", '"abc"') and not matches(None, '"abc"')


def test_the_mark_reader_sees_each_new_generation_at_once(engine: Engine) -> None:
    reader = MarkReader(engine)
    try:
        assert reader.generation() == current_generation(engine) == 0
        mark(engine, OTHER)
        mark(engine, BATCH, STALL)  # one transaction, one generation
        assert reader.generation() == current_generation(engine) == 2
        assert reader.newest((BATCH,))[0] == reader.newest((STALL,))[0] == 2
    finally:
        reader.close()


def test_an_answer_found_current_after_a_mark_elsewhere_still_drops_on_its_own(
    engine: Engine, cache: ScanCache
) -> None:
    keep(cache, "page", b"<p>fresh</p>")
    answer = cache.get("page")
    for _ in range(3):
        mark(engine, OTHER)  # the generation moves on: its keys are read, it stays
        assert cache.get("page") is answer
        assert cache.get("page") is answer  # no mark since: the generation alone vouches
    mark(engine, BATCH)
    assert cache.get("page") is None
