"""The scan answers a host's workers share through a SQLite file, over a real database of each
kind: another worker's answer is taken only while the marks say it is current, only from the
same database, within the file's budget; a locked or damaged file never fails a scan."""

from __future__ import annotations

import logging
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from api.scan_cache import ScanCache
from api.shared_answers import SHARED_ANSWERS_FILE, SharedAnswers
from ledger.store.change_marks import database_instance, mark_changed
from tests.support.databases import Databases

BATCH = "0x" + "ab" * 32
OTHER = "0x" + "cd" * 32
PAGE = ("0x" + "ee" * 32, "page", "en", False)


@pytest.fixture
def engine(databases: Databases) -> Engine:
    return databases.engine()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / SHARED_ANSWERS_FILE


@pytest.fixture
def workers(engine: Engine, path: Path) -> Iterator[tuple[ScanCache, ScanCache]]:
    """Two workers' caches over one database and one shared file."""
    made = tuple(ScanCache(engine, 10_000, SharedAnswers(path, 10_000, database_instance(engine))) for _ in range(2))
    yield made
    for cache in made:
        cache.close()


def mark(engine: Engine, *keys: str) -> None:
    with engine.begin() as conn:
        mark_changed(conn, keys, changed_at=1_764_000_000)


def make(cache: ScanCache, body: bytes, keys: tuple[str, ...] = (BATCH,), fresh_until: int | None = None):
    return cache.make(body, "text/html", keys, cache.generation(), fallback_time=1_700_000_000, fresh_until=fresh_until)


def test_an_answer_made_by_one_worker_is_taken_by_another(workers: tuple[ScanCache, ScanCache]) -> None:
    first, second = workers
    made = make(first, b"<p>made once</p>")
    first.put(PAGE, made)
    taken = second.get(PAGE)
    assert taken == made  # body, ETag, Last-Modified, keys, generation: the same answer
    assert len(second) == 1  # kept by the second worker too: its next use reads no file
    assert second.get(("0x" + "ee" * 32, "json", None, False)) is None  # another form is another answer


def test_another_workers_answer_is_checked_against_the_marks(
    engine: Engine, workers: tuple[ScanCache, ScanCache]
) -> None:
    first, second = workers
    first.put(PAGE, make(first, b"<p>before the recall</p>"))
    mark(engine, OTHER)  # another lineage: still current
    assert second.get(PAGE).body == b"<p>before the recall</p>"
    second_again = ScanCache(engine, 10_000, first.shared)  # a third worker, after a recall of its batch
    mark(engine, BATCH)
    assert second_again.get(PAGE) is None
    second_again.close()

    generation = first.generation()  # rows read, then a change commits before the answer is kept
    mark(engine, BATCH)
    first.put(PAGE, first.make(b"<p>old rows</p>", "text/html", [BATCH], generation, fallback_time=0))
    fresh = ScanCache(engine, 10_000, SharedAnswers(first.shared.path, 10_000, database_instance(engine)))
    assert fresh.get(PAGE) is None
    fresh.close()


def test_an_answer_past_its_time_is_not_taken(engine: Engine, workers: tuple[ScanCache, ScanCache]) -> None:
    first, second = workers
    first.put(PAGE, make(first, b"<p>a notice that ended</p>", fresh_until=1_000))
    assert second.get(PAGE) is None


def test_answers_of_another_database_are_never_taken(engine: Engine, path: Path) -> None:
    instance = database_instance(engine)
    assert len(instance) == 32 and int(instance, 16) >= 0  # drawn by the migration
    ours = ScanCache(engine, 10_000, SharedAnswers(path, 10_000, instance))
    # A database made anew (or another one) starts its generations again at 0.
    theirs = ScanCache(engine, 10_000, SharedAnswers(path, 10_000, "f" * 32))
    ours.put(PAGE, make(ours, b"<p>this database</p>"))
    assert theirs.get(PAGE) is None
    theirs.put(PAGE, make(theirs, b"<p>that database</p>"))
    assert ScanCache(engine, 10_000, SharedAnswers(path, 10_000, instance)).get(PAGE).body == b"<p>this database</p>"
    # This database restored from a copy: the answer was made from a later state of it.
    later = make(ours, b"<p>a later state</p>")
    ours.put(PAGE, type(later)(**{**later.__dict__, "generation": later.generation + 1_000}))
    assert ScanCache(engine, 10_000, SharedAnswers(path, 10_000, instance)).get(PAGE) is None
    ours.close()
    theirs.close()


def test_the_file_keeps_to_its_budget_dropping_the_oldest_written(engine: Engine, path: Path) -> None:
    shared = SharedAnswers(path, 1_000, database_instance(engine))
    writer = ScanCache(engine, 1_000, shared)
    for name in "abcd":
        writer.put((name,), make(writer, name.encode() * 300))
    stored = sqlite3.connect(path)
    (total,) = stored.execute("SELECT bytes FROM totals").fetchone()
    assert total == stored.execute("SELECT sum(size) FROM answers").fetchone()[0] == 900
    reader = SharedAnswers(path, 1_000, database_instance(engine))
    assert reader.get(("a",)) is None and [reader.get((name,)).body[:1] for name in "bcd"] == [b"b", b"c", b"d"]
    writer.put(("b",), make(writer, b"B" * 200))  # written again: now the newest, and smaller
    writer.put(("e",), make(writer, b"e" * 300))
    assert stored.execute("SELECT bytes FROM totals").fetchone()[0] == 800
    assert reader.get(("c",)) is None and reader.get(("b",)).body == b"B" * 200
    writer.put(("huge",), make(writer, b"h" * 1_001))  # more than the whole budget: not kept
    assert reader.get(("huge",)) is None and reader.get(("e",)) is not None
    stored.close()
    writer.close()
    reader.close()


def test_the_file_is_the_services_alone(engine: Engine, path: Path, workers: tuple[ScanCache, ScanCache]) -> None:
    first, _ = workers
    first.put(PAGE, make(first, b"<p>a page with the receipt's rating form</p>"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_write_that_finds_the_file_locked_gives_up_and_the_next_one_goes_in(
    engine: Engine, path: Path, workers: tuple[ScanCache, ScanCache]
) -> None:
    first, second = workers
    first.put(("warm",), make(first, b"<p>the file exists</p>"))
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another worker in the middle of its write
    first.put(PAGE, make(first, b"<p>kept by its own worker</p>"))
    assert first.get(PAGE).body == b"<p>kept by its own worker</p>"
    assert second.get(PAGE) is None
    other.execute("ROLLBACK")
    other.close()
    first.put(PAGE, make(first, b"<p>shared now</p>"))
    assert second.get(PAGE).body == b"<p>shared now</p>"


def test_a_damaged_file_never_fails_a_scan(engine: Engine, path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a database, " * 1_000)
    cache = ScanCache(engine, 10_000, SharedAnswers(path, 10_000, database_instance(engine)))
    with caplog.at_level(logging.WARNING, logger="api.shared_answers"):
        assert cache.get(PAGE) is None
        cache.put(PAGE, make(cache, b"<p>served all the same</p>"))
        assert cache.get(PAGE).body == b"<p>served all the same</p>"  # the worker's own copy
        cache.put(("other",), make(cache, b"<p>no second try</p>"))
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1 and str(path) in warnings[0].getMessage()
    assert path.read_bytes() == b"not a database, " * 1_000  # left for the operator to look at
    cache.close()
