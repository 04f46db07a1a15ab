"""collection_paused: the cyclic collector off for a block, counted across threads."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest

from ledger.collection import collect_young, collection_paused


@pytest.fixture(autouse=True)
def _collector_back_on():
    yield
    gc.enable()


def test_collection_resumes_when_the_block_ends() -> None:
    with collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_collection_resumes_after_an_error_in_the_block() -> None:
    with pytest.raises(ValueError), collection_paused():
        raise ValueError("boom")
    assert gc.isenabled()


def test_collection_off_before_stays_off() -> None:
    gc.disable()
    with collection_paused():
        pass
    assert not gc.isenabled()


def test_overlapping_pauses_in_threads_resume_when_the_last_ends() -> None:
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with collection_paused():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with collection_paused():
            second_in.set()
            first_out.wait(5)
            seen.append(gc.isenabled())  # the first pause ended: still off for this one
        seen.append(gc.isenabled())

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == [False, True]


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def test_collect_young_frees_a_cycle_made_during_a_pause() -> None:
    with collection_paused():
        first, second = _Node(), _Node()
        first.other, second.other = second, first  # a cycle: reference counting never frees it
        gone = weakref.ref(first)
        del first, second
        assert gone() is not None
        collect_young()
        assert gone() is None
        assert not gc.isenabled()  # still paused: collect_young is a step of the pause
