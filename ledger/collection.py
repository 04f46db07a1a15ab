"""Automatic garbage collection paused while a query builds thousands of objects at once.

A recall's trace makes some 30,000 container objects (rows, views and their dicts) that
cannot form reference cycles. While they accumulate, the cyclic collector runs every 700 new
containers: each young-generation pass promotes them, and the older generations' passes walk
them again, finding nothing (5 of a trace's ~35 ms of CPU). Paused, they are walked once, by
the first collection after the pause. What is freed by reference counting (all of it here)
is freed at once either way; only cycles made during the pause wait for that collection.

The pause is process-wide (the collector is): concurrent pauses in threads are counted, and
collection resumes when the last ends, unless it was off before the first began.

A long pause (an indexer's bulk load: minutes to hours) calls :func:`collect_young` at each
step, so cycles made during a step are found at its end without walking the whole heap.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pauses = 0
_resume = False


@contextmanager
def collection_paused() -> Iterator[None]:
    """Automatic garbage collection off for the block (see the module's description)."""
    global _pauses, _resume
    with _lock:
        if _pauses == 0:
            _resume = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _resume:
                gc.enable()


def collect_young() -> None:
    """Collect the cycles among the objects made since the last collection (the two young
    generations): what a long pause leaves to collect after each step of it, at the cost of
    walking those objects once, not the whole heap. Survivors move to the old generation,
    which the next automatic full collection walks."""
    gc.collect(1)
