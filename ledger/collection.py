"""Automatic garbage collection paused while a query builds thousands of objects at once.

A recall's trace makes some 30,000 container objects (rows, views and their dicts) that
cannot form reference cycles. While they accumulate, the cyclic collector runs every 700 new
containers: each young-generation pass promotes them, and the older generations' passes walk
them again, finding nothing (5 of a trace's ~35 ms of CPU). Paused, they are walked once, by
the first collection after the pause. What is freed by reference counting (all of it here)
is freed at once either way; only cycles made during the pause wait for that collection.

The pause is process-wide (the collector is): concurrent pauses in threads are counted, and
collection resumes when the last ends, unless it was off before the first began.
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
