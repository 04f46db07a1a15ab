"""The write queue's SQL: intents and the signed transactions that carry them.

Every state change of the queue is one database transaction: intents are marked sent
together with the row holding their signed bytes, and marked recorded (or requeued) together
with their transaction's outcome, so a crash between two steps leaves a state the submitter
can resume from (see :mod:`ledger.intents.reconcile`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import JSON, Connection, Engine, bindparam, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from ledger.store import sale_serials
from ledger.store.db import json_text
from ledger.store.intent_models import Intent, IntentTransaction
from ledger.store.sale_serials import SaleCounts

_INTENTS = Intent.__table__
_TXS = IntentTransaction.__table__
FINAL = ("recorded", "refused")
UNFINISHED = ("queued", "sent")


@dataclass(frozen=True)
class IntentRecord:
    id: int
    sender: str
    kind: str
    payload: dict[str, Any]
    idempotency_key: str | None
    request_hash: str
    status: str
    attempts: int
    created_at: float
    updated_at: float
    tx_hash: str | None
    position: int | None
    block_number: int | None
    result: dict[str, Any] | None
    error: dict[str, Any] | None

    @property
    def final(self) -> bool:
        return self.status in FINAL


@dataclass(frozen=True)
class TxRecord:
    tx_hash: str
    sender: str
    nonce: int
    kind: str
    raw: str
    intent_count: int
    status: str
    created_at: float
    block_number: int | None


@dataclass(frozen=True)
class NewIntent:
    """An intent to add: its payload, the client's key (or None) and the request's hash."""

    payload: dict[str, Any]
    idempotency_key: str | None
    request_hash: str


class KeyReused(Exception):
    """An Idempotency-Key came back with another request than the one it was first used for."""

    def __init__(self, key: str, first: IntentRecord) -> None:
        self.key = key
        self.first = first
        super().__init__(f"Idempotency-Key {key!r} was used for another request (intent {first.id})")


#: The table's column names, in its order.
_NAMES = [c.name for c in _INTENTS.columns]
#: Whether a row of the table lists its columns in the record's field order: then a record is
#: made from the row as it is (a submitter reads a transaction's 200 rows several times; by
#: name, the record cost more than the row).
_IN_ORDER = [f.name for f in dataclasses.fields(IntentRecord)] == _NAMES


def _intent(row: Any) -> IntentRecord:
    if _IN_ORDER and len(row) == len(_INTENTS.columns):
        return IntentRecord(*row)
    return IntentRecord(**{name: getattr(row, name) for name in _NAMES})


def _tx(row: Any) -> TxRecord:
    return TxRecord(**{c.name: getattr(row, c.name) for c in _TXS.columns})


# ------------------------------------------------------------------ accepting


def add_intents(
    engine: Engine,
    sender: str,
    kind: str,
    items: Sequence[NewIntent],
    *,
    sale_counts: SaleCounts | None = None,
) -> list[tuple[IntentRecord, bool]]:
    """Store `items` as queued intents of `sender`; for an item whose Idempotency-Key the
    sender used before, return the first intent instead (created False), or raise
    :class:`KeyReused` when that one was another request. All new ones in one transaction.
    A new sale intent gets its batch's next serial in its payload (``serial``; see
    :mod:`ledger.store.sale_serials`, whose ``sale_counts`` reads the chain's)."""
    (outcome,) = add_intent_groups(engine, [IntentGroup(sender, kind, items)], sale_counts=sale_counts)
    if isinstance(outcome, KeyReused):
        raise outcome
    return outcome


@dataclass(frozen=True)
class IntentGroup:
    """Intents of one sender and kind to add (see :func:`add_intent_groups`)."""

    sender: str
    kind: str
    items: Sequence[NewIntent]


def add_intent_groups(
    engine: Engine,
    groups: Sequence[IntentGroup],
    *,
    sale_counts: SaleCounts | None = None,
    counted: set[str] | None = None,
) -> list[list[tuple[IntentRecord, bool]] | KeyReused]:
    """:func:`add_intents` for several groups at once, with every new intent of all of them
    inserted in ONE database transaction (group commit: one lock and one sync for a burst of
    requests, however many). A group with a reused key gets its :class:`KeyReused` and adds
    nothing; the others are stored.

    `counted`: the batches known to have a sale serial counter (see
    :func:`ledger.store.sale_serials.chain_seeds`), kept by the caller from one call to the
    next; the batches sold here are added to it."""
    sale_batches = [i.payload["batch_id"] for g in groups if g.kind == "sale" for i in g.items]
    seeded = sale_serials.chain_seeds(engine, sale_batches, sale_counts, counted or frozenset())
    for _ in range(3):  # a concurrent retry with the same key may win the insert: look again
        outcomes: list[Any] = []
        rows: list[dict[str, Any]] = []
        now = time.time()
        for group in groups:
            keys = [i.idempotency_key for i in group.items if i.idempotency_key]
            existing = _by_keys(engine, group.sender, keys)
            reused = next(
                (
                    KeyReused(item.idempotency_key or "", first)
                    for item in group.items
                    if (first := existing.get(item.idempotency_key or "")) is not None
                    and (first.request_hash != item.request_hash or first.kind != group.kind)
                ),
                None,
            )
            if reused is not None:
                outcomes.append(reused)
                continue
            fresh = []
            for item in group.items:
                if (item.idempotency_key or "") not in existing:
                    fresh.append(len(rows))
                    rows.append(_new_row(group.sender, group.kind, item, now))
            outcomes.append((existing, fresh))
        try:
            ids = _insert(engine, rows, seeded)
        except IntegrityError:
            continue
        if counted is not None:
            counted.update(sale_serials.batch_key(b) for b in sale_batches)
        answers: list[list[tuple[IntentRecord, bool]] | KeyReused] = []
        for group, outcome in zip(groups, outcomes, strict=True):
            if isinstance(outcome, KeyReused):
                answers.append(outcome)
                continue
            existing, fresh = outcome
            made = iter(fresh)
            answers.append(
                [
                    (existing[item.idempotency_key or ""], False)
                    if (item.idempotency_key or "") in existing
                    else (_queued(ids[(n := next(made))], rows[n]), True)
                    for item in group.items
                ]
            )
        return answers
    raise RuntimeError("could not store the intents: the idempotency keys keep colliding")


def _insert(engine: Engine, rows: list[dict[str, Any]], seeded: dict[str, int]) -> list[int]:
    """Insert `rows` in one transaction, one multi-row statement, each sale with the serial
    reserved for it in that transaction (before the insert: see
    :mod:`ledger.store.sale_serials`); their ids in order."""
    if not rows:
        return []
    statement = insert(_INTENTS).returning(_INTENTS.c.id, sort_by_parameter_order=True)
    with engine.begin() as conn:
        sale_serials.assign(conn, rows, seeded)
        if conn.dialect.name == "sqlite":
            return _insert_in_order(conn, rows)
        return list(conn.execute(statement, rows).scalars())


#: Rows a statement of :func:`_insert_in_order` (SQLite takes 32,766 parameters a statement).
_ROWS_PER_INSERT = 500


def _insert_in_order(conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """SQLite: `rows` in multi-row INSERTs written out here; their ids in row order.

    SQLite gives the rows of one INSERT their ids in the order of the rows (one writer at a
    time; each new id one above the largest), so the ids RETURNING gives (in no set order),
    sorted, are the rows' in order. SQLAlchemy cannot know that and inserted one row a
    statement, its processing of each row costing more than SQLite's insert of it."""
    names = list(rows[0])
    json_names = {_NAMES[n] for n in _JSON_COLUMNS}
    ids: list[int] = []
    for start in range(0, len(rows), _ROWS_PER_INSERT):
        chunk = rows[start : start + _ROWS_PER_INSERT]
        values = ", ".join(["(" + ", ".join("?" * len(names)) + ")"] * len(chunk))
        sql = f"INSERT INTO {_INTENTS.name} ({', '.join(names)}) VALUES {values} RETURNING id"
        params = tuple(
            json_text(row[name]) if name in json_names and row[name] is not None else row[name]
            for row in chunk
            for name in names
        )
        ids += sorted(found for (found,) in conn.exec_driver_sql(sql, params))
    return ids


def _queued(intent_id: int, row: dict[str, Any]) -> IntentRecord:
    """The record of a row just inserted (what reading it back would give)."""
    return IntentRecord(
        id=intent_id,
        **row,
        tx_hash=None,
        position=None,
        block_number=None,
        result=None,
        error=None,
    )


def _new_row(sender: str, kind: str, item: NewIntent, now: float) -> dict[str, Any]:
    return {
        "sender": sender,
        "kind": kind,
        "payload": item.payload,
        "idempotency_key": item.idempotency_key,
        "request_hash": item.request_hash,
        "status": "queued",
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }


def _by_keys(engine: Engine, sender: str, keys: list[str]) -> dict[str, IntentRecord]:
    if not keys:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(
            select(_INTENTS).where(_INTENTS.c.sender == sender, _INTENTS.c.idempotency_key.in_(keys))
        ).all()
    return {row.idempotency_key: _intent(row) for row in rows}


#: Reading intents straight through the driver (:func:`_read_intents`): their columns in the
#: table's order, and which of them hold JSON.
_COLUMNS = ", ".join(_NAMES)
_JSON_COLUMNS = [n for n, c in enumerate(_INTENTS.columns) if isinstance(c.type, JSON)]
#: At most this many ids in one IN list (SQLite takes 32,766 parameters a statement).
_IDS_PER_QUERY = 1000


def _read_intents(conn: Connection, where: str, params: tuple[Any, ...]) -> list[IntentRecord]:
    """The intents of ``SELECT ... FROM intents WHERE {where}`` (``?`` placeholders), read
    through the driver: SQLAlchemy's processing of the rows (15 columns, three of them JSON)
    cost more than the query. JSON comes as text (SQLite) or decoded by the driver with the
    engine's decoder (psycopg)."""
    sql = _in_style(conn, f"SELECT {_COLUMNS} FROM {_INTENTS.name} WHERE {where}")
    records = []
    for row in conn.exec_driver_sql(sql, params):
        values = list(row)
        for n in _JSON_COLUMNS:
            if isinstance(values[n], str | bytes):
                values[n] = orjson.loads(values[n])
        records.append(IntentRecord(*values) if _IN_ORDER else IntentRecord(**dict(zip(_NAMES, values, strict=True))))
    return records


def _by_ids(engine: Engine, ids: Sequence[int]) -> dict[int, IntentRecord]:
    wanted = set(ids)
    if not wanted:
        return {}
    low, high = min(wanted), max(wanted)
    found: list[IntentRecord] = []
    with engine.connect() as conn:
        if high - low < _RANGE_SPREAD * len(wanted):  # close together (a request's): their range
            found = _read_intents(conn, "id BETWEEN ? AND ?", (low, high))
        else:
            listed = sorted(wanted)
            for start in range(0, len(listed), _IDS_PER_QUERY):
                chunk = tuple(listed[start : start + _IDS_PER_QUERY])
                found += _read_intents(conn, f"id IN ({', '.join('?' * len(chunk))})", chunk)
    return {record.id: record for record in found if record.id in wanted}


# ------------------------------------------------------------------ reading


def get_intent(engine: Engine, intent_id: int) -> IntentRecord | None:
    return _by_ids(engine, [intent_id]).get(intent_id)


def intent_by_key(engine: Engine, sender: str, key: str) -> IntentRecord | None:
    return _by_keys(engine, sender, [key]).get(key)


def intents_by_keys(engine: Engine, sender: str, keys: Sequence[str]) -> dict[str, IntentRecord]:
    """`sender`'s intents of those Idempotency-Keys that were used, by key."""
    return _by_keys(engine, sender, list(keys))


def get_intents(engine: Engine, ids: Sequence[int]) -> dict[int, IntentRecord]:
    return _by_ids(engine, ids)


#: The final intents of one sender among consecutive ids: what the watcher asks ten times a
#: second for hundreds of waiting requests, whose ids are close together (accepted about the
#: same time). With the sender, the status index (status, sender, id) is sought to the range,
#: so the rows read are the ones found. Without it, the id range cannot narrow that index
#: (the sender is its second column) and SQLite read every final row of every sender, every
#: intent ever recorded, on every look (19 ms at 300,000 intents).
_FINAL_OF_SENDER_BETWEEN = (
    f"SELECT id FROM {_INTENTS.name} WHERE status IN ('recorded', 'refused') AND sender = ? AND id BETWEEN ? AND ?"
)
#: The unfinished intents among consecutive ids, whatever their sender: what is in flight,
#: however long the table.
_UNFINISHED_BETWEEN = select(_INTENTS.c.id).where(
    _INTENTS.c.status.in_(UNFINISHED), _INTENTS.c.id.between(bindparam("low"), bindparam("high"))
)
#: Above this many ids per id asked for, the range would read more rows than a list of ids costs.
_RANGE_SPREAD = 8


def final_among(
    engine: Engine, ids: Sequence[int], sender: str | None = None, *, since: float | None = None
) -> list[int]:
    """Which of `ids` (stored intents, all of `sender` when given) are recorded or refused, in
    the order given, each once.

    Without the sender, ids close together are read as the complement of the range's
    unfinished ones (queued or sent): an intent is never deleted, and goes back from recorded
    or refused only when a reorganisation drops its transaction (:func:`reopen`), which makes
    it unfinished again, so what is not unfinished is final.

    `since` (a ``time.time()``; with the sender): only those that became final at or after it
    may be named. Those before may be named too: it bounds the rows read, not the answer."""
    if not ids:
        return []
    wanted = list(dict.fromkeys(ids))
    low, high = min(wanted), max(wanted)
    with engine.connect() as conn:
        if high - low >= _RANGE_SPREAD * len(wanted):
            final = select(_INTENTS.c.id).where(_INTENTS.c.id.in_(wanted), _INTENTS.c.status.in_(FINAL))
            found = set(conn.execute(final).scalars())
        elif sender is not None:
            # One statement whatever the ids (an IN list of hundreds was rendered, compiled
            # and bound anew on every look), through the driver: the range holds thousands of
            # final intents while bulk requests wait, read ten times a second.
            if since is None:
                rows = conn.exec_driver_sql(_in_style(conn, _FINAL_OF_SENDER_BETWEEN), (sender, low, high))
            else:
                statement = _in_style(conn, _FINAL_OF_SENDER_BETWEEN + " AND updated_at >= ?")
                rows = conn.exec_driver_sql(statement, (sender, low, high, since))
            found = {found for (found,) in rows}
        else:
            unfinished = set(conn.execute(_UNFINISHED_BETWEEN, {"low": low, "high": high}).scalars())
            return [i for i in wanted if i not in unfinished]
    return [i for i in wanted if i in found]


#: Built once: every API worker's pool asks it five times a second, and building the
#: statement cost more than running it.
_SENDERS_WITH_WORK = select(_INTENTS.c.sender).where(_INTENTS.c.status.in_(UNFINISHED)).distinct()


def senders_with_work(engine: Engine) -> list[str]:
    """Senders with queued or sent intents (the submitters these need)."""
    with engine.connect() as conn:
        rows = conn.execute(_SENDERS_WITH_WORK).all()
    return [row.sender for row in rows]


def queued_run(engine: Engine, sender: str, limit: int) -> list[IntentRecord]:
    """The oldest queued intents of `sender`, in the order they were accepted."""
    with engine.connect() as conn:
        return _read_intents(conn, "status = 'queued' AND sender = ? ORDER BY id LIMIT ?", (sender, limit))


def queue_depth(engine: Engine) -> dict[str, Any]:
    """Intents waiting (queued), on their way (sent), and the age of the oldest unfinished."""
    with engine.connect() as conn:
        counts = dict(
            conn.execute(
                select(_INTENTS.c.status, func.count())
                .where(_INTENTS.c.status.in_(UNFINISHED))
                .group_by(_INTENTS.c.status)
            ).all()
        )
        oldest = conn.execute(
            select(func.min(_INTENTS.c.created_at)).where(_INTENTS.c.status.in_(UNFINISHED))
        ).scalar_one()
    return {
        "queued": int(counts.get("queued", 0)),
        "sent": int(counts.get("sent", 0)),
        "oldest_s": round(time.time() - oldest, 1) if oldest is not None else None,
    }


def transaction_intents(engine: Engine, tx_hash: str) -> list[IntentRecord]:
    with engine.connect() as conn:
        rows = conn.execute(select(_INTENTS).where(_INTENTS.c.tx_hash == tx_hash).order_by(_INTENTS.c.position)).all()
    return [_intent(row) for row in rows]


def unfinished_transactions(engine: Engine, sender: str) -> list[TxRecord]:
    """Transactions of `sender` stored as sent whose outcome is not yet recorded, by nonce."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(_TXS).where(_TXS.c.sender == sender, _TXS.c.status == "sent").order_by(_TXS.c.nonce)
        ).all()
    return [_tx(row) for row in rows]


def transactions_of(engine: Engine, sender: str | None = None) -> list[TxRecord]:
    query = select(_TXS).order_by(_TXS.c.sender, _TXS.c.nonce)
    if sender is not None:
        query = query.where(_TXS.c.sender == sender)
    with engine.connect() as conn:
        return [_tx(row) for row in conn.execute(query).all()]


def intents_of(engine: Engine, sender: str | None = None) -> list[IntentRecord]:
    query = select(_INTENTS).order_by(_INTENTS.c.id)
    if sender is not None:
        query = query.where(_INTENTS.c.sender == sender)
    with engine.connect() as conn:
        return [_intent(row) for row in conn.execute(query).all()]


# ------------------------------------------------------------------ the submitter's steps


def _each_row(conn: Connection, sql: str, rows: list[tuple[Any, ...]]) -> int:
    """Run `sql` (``?`` placeholders) once for each of `rows` on `conn`, straight through the
    database driver's executemany; how many rows it changed. A transaction's hundreds of
    intents otherwise went through SQLAlchemy's parameter processing one by one, which cost
    more than the database's own work on them."""
    return int(conn.exec_driver_sql(_in_style(conn, sql), rows).rowcount)


def _in_style(conn: Connection, sql: str) -> str:
    """`sql`, written with ``?`` placeholders, in the placeholders of `conn`'s driver
    (sqlite3: ``?``; psycopg: ``%s``). The statements run straight through the driver have no
    literal ``?`` nor ``%``."""
    return sql if conn.dialect.paramstyle == "qmark" else sql.replace("?", "%s")


_MARK_SENT = (
    f"UPDATE {_INTENTS.name} SET status = 'sent', tx_hash = ?, position = ?, updated_at = ?"
    " WHERE id = ? AND status = 'queued'"
)
_RECORD_MINED = (
    f"UPDATE {_INTENTS.name} SET status = 'recorded', block_number = ?, result = ?, updated_at = ? WHERE id = ?"
)


def mark_sent(engine: Engine, intent_ids: Sequence[int], tx: TxRecord) -> int:
    """Store the signed transaction and point its intents at it, in one transaction: done
    before the bytes go to the node, so a crash right after sending loses nothing. Returns
    how many of the intents it moved (those still queued)."""
    now = time.time()
    with engine.begin() as conn:
        conn.execute(insert(_TXS).values(**{**tx.__dict__, "created_at": now}))
        return _each_row(conn, _MARK_SENT, [(tx.tx_hash, n, now, i) for n, i in enumerate(intent_ids)])


def record_mined(engine: Engine, tx_hash: str, block_number: int, results: dict[int, dict[str, Any]]) -> None:
    """A transaction was mined: it and each of its intents, with its own result, in one transaction."""
    now = time.time()
    with engine.begin() as conn:
        conn.execute(update(_TXS).where(_TXS.c.tx_hash == tx_hash).values(status="mined", block_number=block_number))
        _each_row(conn, _RECORD_MINED, [(block_number, json_text(r), now, i) for i, r in results.items()])


def refuse(
    engine: Engine,
    intent_ids: Sequence[int],
    error: dict[str, Any],
    *,
    tx_hash: str | None = None,
    block: int | None = None,
) -> None:
    """The contract refuses these intents (at the estimate, or its transaction reverted)."""
    now = time.time()
    with engine.begin() as conn:
        if tx_hash is not None:
            conn.execute(update(_TXS).where(_TXS.c.tx_hash == tx_hash).values(status="reverted", block_number=block))
        conn.execute(
            update(_INTENTS)
            .where(_INTENTS.c.id.in_(list(intent_ids)))
            .values(status="refused", error=error, block_number=block, updated_at=now)
        )


def mined_since(engine: Engine, sender: str, block: int) -> list[TxRecord]:
    """Transactions of `sender` settled as mined or reverted in block `block` or later, by
    nonce: the ones a reorganisation may still take back."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(_TXS)
            .where(_TXS.c.sender == sender, _TXS.c.status.in_(("mined", "reverted")), _TXS.c.block_number >= block)
            .order_by(_TXS.c.nonce)
        ).all()
    return [_tx(row) for row in rows]


def reopen(engine: Engine, tx_hash: str) -> list[int]:
    """A mined transaction is no longer in the chain (a reorganisation dropped its block): it
    is sent again, unsettled, and its intents with it (their outcome forgotten until it is
    mined anew). Returns the intents' ids."""
    now = time.time()
    with engine.begin() as conn:
        conn.execute(update(_TXS).where(_TXS.c.tx_hash == tx_hash).values(status="sent", block_number=None))
        ids = [r.id for r in conn.execute(select(_INTENTS.c.id).where(_INTENTS.c.tx_hash == tx_hash)).all()]
        conn.execute(
            update(_INTENTS)
            .where(_INTENTS.c.tx_hash == tx_hash)
            .values(status="sent", block_number=None, result=None, error=None, updated_at=now)
        )
    return ids


def last_intent_id(engine: Engine) -> int:
    """The newest intent's id (0 before the first)."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.max(_INTENTS.c.id))).scalar() or 0)


def withdraw_since(engine: Engine, intent_id: int, created_at: float) -> int:
    """Forget the intents after `intent_id` and the transactions stored since `created_at`:
    writes whose chain was rolled back on purpose, with them (the demo's Ctrl-C reverts the
    recording it interrupted, so that the next run records the market whole). Never for a chain
    that merely reorganised: :mod:`ledger.intents.reorgs` sends those writes again. Returns how
    many intents were forgotten."""
    with engine.begin() as conn:
        forgotten = conn.execute(delete(_INTENTS).where(_INTENTS.c.id > intent_id)).rowcount
        conn.execute(delete(_TXS).where(_TXS.c.created_at >= created_at))
    return int(forgotten or 0)


def requeue(engine: Engine, tx_hash: str, *, tx_status: str, block: int | None = None) -> list[int]:
    """The transaction will never carry its intents (it reverted as a group, or its nonce went
    to another transaction): they go back to the queue, counting the attempt."""
    now = time.time()
    with engine.begin() as conn:
        conn.execute(update(_TXS).where(_TXS.c.tx_hash == tx_hash).values(status=tx_status, block_number=block))
        ids = [r.id for r in conn.execute(select(_INTENTS.c.id).where(_INTENTS.c.tx_hash == tx_hash)).all()]
        conn.execute(
            update(_INTENTS)
            .where(_INTENTS.c.tx_hash == tx_hash, _INTENTS.c.status == "sent")
            .values(status="queued", tx_hash=None, position=None, attempts=_INTENTS.c.attempts + 1, updated_at=now)
        )
    return ids


# ------------------------------------------------------------------ replaced transactions


def replace_transaction(engine: Engine, old_hash: str, new: TxRecord) -> None:
    """`new` (the same nonce, higher fees) replaces the stuck `old_hash`: stored, and the
    intents moved to it, in one transaction; the old row stays, ``bumped``, because the node
    may still mine the old one instead (see :func:`adopt`)."""
    now = time.time()
    with engine.begin() as conn:
        conn.execute(insert(_TXS).values(**{**new.__dict__, "created_at": now}))
        conn.execute(update(_TXS).where(_TXS.c.tx_hash == old_hash).values(status="bumped"))
        conn.execute(
            update(_INTENTS)
            .where(_INTENTS.c.tx_hash == old_hash, _INTENTS.c.status == "sent")
            .values(tx_hash=new.tx_hash, updated_at=now)
        )


def bumped_siblings(engine: Engine, sender: str, nonce: int) -> list[TxRecord]:
    """The transactions of `sender` with `nonce` that a replacement superseded, oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(_TXS)
            .where(_TXS.c.sender == sender, _TXS.c.nonce == nonce, _TXS.c.status == "bumped")
            .order_by(_TXS.c.created_at)
        ).all()
    return [_tx(row) for row in rows]


def adopt(engine: Engine, mined_hash: str, latest_hash: str) -> TxRecord:
    """The node mined the superseded `mined_hash`, not its replacement `latest_hash`: the
    intents move back to it (it is ``sent`` again, to be settled) and the replacement is
    ``replaced``; returns the mined one's row."""
    now = time.time()
    with engine.begin() as conn:
        conn.execute(update(_TXS).where(_TXS.c.tx_hash == mined_hash).values(status="sent"))
        conn.execute(update(_TXS).where(_TXS.c.tx_hash == latest_hash).values(status="replaced"))
        conn.execute(
            update(_INTENTS)
            .where(_INTENTS.c.tx_hash == latest_hash, _INTENTS.c.status == "sent")
            .values(tx_hash=mined_hash, updated_at=now)
        )
        row = conn.execute(select(_TXS).where(_TXS.c.tx_hash == mined_hash)).one()
    return _tx(row)


def has_unfinished(engine: Engine, sender: str, kind: str) -> bool:
    """Whether `sender` has queued or sent intents of `kind`."""
    with engine.connect() as conn:
        found = conn.execute(
            select(_INTENTS.c.id)
            .where(_INTENTS.c.sender == sender, _INTENTS.c.kind == kind, _INTENTS.c.status.in_(UNFINISHED))
            .limit(1)
        ).first()
    return found is not None


def unfinished_of_kind(engine: Engine, sender: str, kind: str) -> list[IntentRecord]:
    """`sender`'s queued or sent intents of `kind`, oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(_INTENTS)
            .where(_INTENTS.c.sender == sender, _INTENTS.c.kind == kind, _INTENTS.c.status.in_(UNFINISHED))
            .order_by(_INTENTS.c.id)
        ).all()
    return [_intent(row) for row in rows]


def insert_intents(conn: Any, sender: str, items: Sequence[tuple[str, NewIntent]]) -> list[int]:
    """Store `items` (kind, intent) as queued intents of `sender` on `conn`, inside the
    caller's transaction (a capture job stores its intents with itself); their ids, in order."""
    now = time.time()
    rows = [_new_row(sender, kind, item, now) for kind, item in items]
    sale_serials.assign(conn, rows)  # a sale's serial, reserved before its row is inserted
    ids = []
    for values in rows:
        ids.append(conn.execute(insert(_INTENTS).values(**values).returning(_INTENTS.c.id)).scalar_one())
    return ids


# ------------------------------------------------------------------ files (ledger.intake.queued)


def unfinished_in(conn: Any, kind: str, sender: str | None = None) -> list[IntentRecord]:
    """Queued or sent intents of `kind` (of `sender` only, when given), oldest first, read on
    `conn` inside the caller's transaction."""
    query = select(_INTENTS).where(_INTENTS.c.kind == kind, _INTENTS.c.status.in_(UNFINISHED))
    if sender is not None:
        query = query.where(_INTENTS.c.sender == sender)
    return [_intent(row) for row in conn.execute(query.order_by(_INTENTS.c.id)).all()]


def exclusive(conn: Any, name: str) -> None:
    """Make the caller's transaction on `conn` the only one holding `name` until it ends.

    PostgreSQL: a transaction advisory lock (``pg_advisory_xact_lock``, keyed by the schema
    and `name`), waited for. SQLite needs none: a database has one writer at a time, and a
    transaction that writes before it reads sees every commit before it.
    """
    if conn.dialect.name != "postgresql":
        return
    schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    digest = hashlib.sha256(f"freshledger-intents:{schema}:{name}".encode()).digest()
    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": int.from_bytes(digest[:8], "big", signed=True)})
