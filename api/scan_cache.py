"""Rendered scan answers, kept per worker and checked against the change marks on every use.

A scan's answer (the shopper's page in one language, the JSON, the linkset) changes only when
something it was made from changes: a batch of the sale's lineage, a participant it names, the
product's names, the sale's rating. Whoever changes one writes a change mark in the same
transaction (:mod:`ledger.store.change_marks`), so every worker of the API, on any host, sees
the change with the commit: a recall or a quarantine reaches the next scan as soon as the
indexer's poll that read it commits. An answer expires by time only when it shows notices:
at the moment one of them expires or a later one begins.

Each worker keeps a least-recently-used set of answers, bounded by the bytes of their bodies,
and the workers of a host share what they made through a file (:mod:`api.shared_answers`): a
worker lacking an answer takes another's before it makes one, checked like its own.
An answer is used only while none of its keys has a mark newer than the generation read before
its rows were; otherwise it is made again. Each use reads the newest generation handed out
(one primary-key read, on a connection of its own): when no mark has been written since the
answer was last found current, it still is; else one indexed statement reads its keys' marks.
Every mark raises the generation in its own transaction, so an unchanged generation means no
mark committed in between: a hot answer costs the cheap read alone until the next change
anywhere, then one look at its keys.
The JSON's ``as_of_block`` (and the page's "current to block") is therefore the block the
answer was made at: nothing it shows has changed since, up to the newest checkpoint.

An answer's key is everything its bytes depend on: the sale, the form (JSON, linkset, page),
the page's language and whether the request carried the sale's valid receipt proof. The proof
is a function of the sale id (:mod:`api.receipts`), so a page with the rating form is the same
for everyone who holds that receipt and is served only to a request that carries it.

The strong ``ETag`` is a hash of the body; ``Last-Modified`` is the time of the newest mark
among the answer's keys (the checkpoint's block time when there is none).
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import formatdate
from typing import Protocol

from sqlalchemy import Engine

from ledger.store.change_marks import EVERYTHING, MarkReader, current_generation

#: Bytes of answers a worker keeps by default: about 2,500 pages of 26 KB.
DEFAULT_BUDGET = 64 * 1024 * 1024


@dataclass(frozen=True)
class ScanAnswer:
    """One rendered answer and what it was made from."""

    body: bytes
    media_type: str
    etag: str
    last_modified: str
    #: The change-mark keys the answer depends on (always with ``*``).
    keys: tuple[str, ...]
    #: The newest generation of any mark when its rows were read.
    generation: int
    #: Unix time at which the answer goes stale with no new mark (a notice on the page
    #: expires or begins), or None.
    fresh_until: int | None = None


def entity_tag(body: bytes) -> str:
    """A strong entity tag: 128 bits of BLAKE2b of the body, quoted."""
    digest = hashlib.blake2b(body, digest_size=16).digest()
    return '"' + base64.urlsafe_b64encode(digest).decode().rstrip("=") + '"'


def http_date(seconds: int) -> str:
    return formatdate(seconds, usegmt=True)


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names `etag` (weak comparison, as RFC 9110 asks)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))


class SharedStore(Protocol):
    """Answers shared by the host's workers (:class:`api.shared_answers.SharedAnswers`)."""

    def get(self, key: tuple) -> ScanAnswer | None: ...

    def put(self, key: tuple, answer: ScanAnswer) -> None: ...

    def close(self) -> None: ...


class _Kept:
    """An answer in the cache, and the newest generation at which it was last found current."""

    __slots__ = ("answer", "checked")

    def __init__(self, answer: ScanAnswer) -> None:
        self.answer = answer
        self.checked = answer.generation


class ScanCache:
    """The worker's answers, at most `budget` bytes of bodies, least recently used out first;
    with `shared`, the answers of the host's other workers too."""

    def __init__(self, engine: Engine, budget: int = DEFAULT_BUDGET, shared: SharedStore | None = None) -> None:
        self.engine = engine
        self.budget = budget
        self.shared = shared
        self.size = 0
        self._answers: OrderedDict[tuple, _Kept] = OrderedDict()
        self._lock = threading.Lock()
        self._marks = MarkReader(engine)

    def __len__(self) -> int:
        return len(self._answers)

    def get(self, key: tuple) -> ScanAnswer | None:
        """The answer kept under `key` (by this worker or, failing that, by the host's others)
        if none of its keys changed since it was made."""
        with self._lock:
            kept = self._answers.get(key)
            if kept is not None:
                self._answers.move_to_end(key)
        if kept is None:
            answer = self.shared.get(key) if self.shared is not None else None
            now = None if answer is None else self._current_at(answer, checked=None)
            if now is None:
                return None
            self._keep(key, answer).checked = now
            return answer
        now = self._current_at(kept.answer, kept.checked)
        if now is None:
            self._drop(key, kept.answer)
            return None
        kept.checked = now
        return kept.answer

    def _current_at(self, answer: ScanAnswer, checked: int | None) -> int | None:
        """The newest generation if `answer` (last found current at generation `checked`) still
        is current, else None."""
        if answer.fresh_until is not None and time.time() >= answer.fresh_until:
            return None
        # Read before the keys' marks: a mark committed after this read raises it past `now`,
        # so `now` never vouches for one the marks' read below did not see.
        now = self._marks.generation()
        if now == checked:
            return now
        if answer.generation > now:
            return None  # made from a later state of this database: it was restored from a copy
        newest, _ = self._marks.newest(answer.keys)
        return now if newest <= answer.generation else None

    def generation(self) -> int:
        """The generation to make a new answer under: read it before the answer's rows."""
        return current_generation(self.engine)

    def make(
        self,
        body: bytes,
        media_type: str,
        keys: Iterable[str],
        generation: int,
        fallback_time: int,
        fresh_until: int | None = None,
    ) -> ScanAnswer:
        """An answer for `body` made from the rows of `keys` read after `generation`, right
        until a mark of them is newer or `fresh_until` (unix time) passes."""
        wanted = tuple(sorted({key.lower() for key in keys} | {EVERYTHING}))
        _, changed_at = self._marks.newest(wanted)
        return ScanAnswer(
            body,
            media_type,
            entity_tag(body),
            http_date(changed_at or fallback_time),
            wanted,
            generation,
            fresh_until,
        )

    def put(self, key: tuple, answer: ScanAnswer) -> None:
        """Keep `answer`, just made, under `key`, for this worker and the host's others."""
        self._keep(key, answer)
        if self.shared is not None:
            self.shared.put(key, answer)

    def _keep(self, key: tuple, answer: ScanAnswer) -> _Kept:
        kept = _Kept(answer)
        if len(answer.body) > self.budget:
            return kept
        with self._lock:
            old = self._answers.pop(key, None)
            if old is not None:
                self.size -= len(old.answer.body)
            self._answers[key] = kept
            self.size += len(answer.body)
            while self.size > self.budget:
                _, evicted = self._answers.popitem(last=False)
                self.size -= len(evicted.answer.body)
        return kept

    def close(self) -> None:
        self._marks.close()
        if self.shared is not None:
            self.shared.close()

    def _drop(self, key: tuple, answer: ScanAnswer) -> None:
        with self._lock:
            kept = self._answers.get(key)
            if kept is not None and kept.answer is answer:
                del self._answers[key]
                self.size -= len(answer.body)
