"""Declaration files and harvest sheets through the write queue: a checked file becomes
intents, stored in ONE database transaction once every call it will make passed an
``eth_call``, and what the chain did is read back from them.

- A declaration of N lines becomes ceil(N / ``LINES_PER_CALL``) ``declaration_part``
  intents (:mod:`ledger.intake.payloads`): each one ``registerImports`` call under the declaration's number, continuing
  where the one before stops (``firstLine``), with the same header (the whole declaration's
  line count included). The submitter sends a sender's intents in order and each once, so
  the parts are mined in line order; a crash or an outage anywhere is the queue's to
  recover from (reconciled by hash and nonce), never the file's.
- A part the chain refuses although its ``eth_call`` passed (the state changed meanwhile) is
  refused, and so is every later part (``DeclarationOutOfOrder``): the declaration is then
  partly recorded, the contract knows how far (``declarationLines``), and the same file
  (corrected) sent again queues the rest (:func:`queue_declaration` starts where the chain
  stands).
- A harvest sheet's lots become ``harvest`` intents, which the submitter packs into
  ``registerHarvests`` calls of up to 200 (with the supplier's other harvests); a lot the
  chain refuses is refused alone.
- Before anything is stored: every call is run as an ``eth_call`` (:mod:`ledger.intake.preflight`:
  a refusal names the file's row, :class:`LineRefused`, or is the contract's own, e.g.
  ``DeclarationExists``); the same
  declaration (or a lot) still in the queue is refused (:class:`FilePending`); with an
  Idempotency-Key, item n of a file is keyed ``{key}#{n}`` and bound to the file's bytes, so
  a retry gets the first request's intents (:func:`first_attempt`).

Example::

    queued = queue_declaration(engine, ledger, customs.address, checked.value)
    ...  # a submitter of customs.address sends them; wait until they are final
    recorded = recorded_file(queued, get_intents(engine, queued.ids), ledger.abi)  # ledger.intake.recorded
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from ledger.chain.freshledger import FreshLedgerContract
from ledger.errors import FilePending, NodeError
from ledger.intake import cells
from ledger.intake.declaration import DeclarationFile
from ledger.intake.harvests import HarvestSheet
from ledger.intake.payloads import (
    DECLARATION_PART,
    HARVEST,
    LINES_PER_CALL,
    batch_id_hex,
    declaration_payloads,
    harvest_payloads,
)
from ledger.intake.preflight import preflight_declaration, preflight_harvests
from ledger.intake.read import read_table
from ledger.intents.accept import request_hash
from ledger.intents.kinds import Payload
from ledger.store import intents as store
from ledger.store.intents import IntentRecord, KeyReused, NewIntent


@dataclass(frozen=True)
class QueuedFile:
    """A file's intents in the queue, in line (or sheet) order.

    `batch_ids` are the batches of every line or lot in order (a declaration's lines recorded
    before these intents included); `resumed_at` is how many lines of the declaration were
    recorded before them (0 for a fresh one, and for a sheet); `created` is False when an
    earlier request with the same Idempotency-Key queued them.
    """

    kind: str
    intents: list[IntentRecord]
    batch_ids: list[str]
    resumed_at: int = 0
    created: bool = True

    @property
    def ids(self) -> list[int]:
        return [intent.id for intent in self.intents]


def file_request_hash(kind: str, data: bytes, item: int) -> str:
    """What item `item` of a file's Idempotency-Key is bound to: the kind, the file's bytes
    and the item's place (the same key with another file is refused)."""
    return hashlib.sha256(f"{kind}:{hashlib.sha256(data).hexdigest()}:{item}".encode()).hexdigest()


def _new_intents(kind: str, payloads: Sequence[Payload], key: str | None, data: bytes | None) -> list[NewIntent]:
    if key is not None and data is None:
        raise ValueError("an Idempotency-Key is bound to the file's bytes: pass them as `data`")
    return [
        NewIntent(
            payload,
            f"{key}#{n}" if key else None,
            file_request_hash(kind, data, n) if key and data is not None else request_hash(kind, payload),
        )
        for n, payload in enumerate(payloads)
    ]


def _store(
    engine: Engine,
    sender: str,
    kind: str,
    items: list[NewIntent],
    lock_name: str,
    pending: Callable[[Connection, set[int]], None],
) -> list[IntentRecord] | None:
    """Store `items` in one database transaction unless `pending(conn, own_ids)` raises
    (:class:`FilePending`: the same file's intents still in the queue; nothing stored). The
    look happens after the insert, under `lock_name` (PostgreSQL) or SQLite's one write lock,
    so two requests of the same file at once cannot both pass it. None when an
    Idempotency-Key of the file was taken meanwhile (a concurrent retry won)."""
    try:
        with engine.begin() as conn:
            store.exclusive(conn, lock_name)
            ids = store.insert_intents(conn, sender, [(kind, item) for item in items])
            pending(conn, set(ids))
    except IntegrityError:
        if all(item.idempotency_key is None for item in items):
            raise
        return None
    found = store.get_intents(engine, ids)
    return [found[i] for i in ids]


def _retried(
    engine: Engine, sender: str, kind: str, items: list[NewIntent], data: bytes | None, file_format: str
) -> QueuedFile:
    """The first request's intents, after a concurrent retry with the same key won the insert;
    :class:`KeyReused` when a key of the file went to another request of the sender."""
    key = (items[0].idempotency_key or "").rsplit("#", 1)[0]
    first = first_attempt(engine, sender, kind, key, data or b"", file_format)
    if first is not None:
        return first
    used = store.intents_by_keys(engine, sender, [i.idempotency_key for i in items if i.idempotency_key])
    raise KeyReused(key, next(iter(used.values())))


def queue_declaration(
    engine: Engine,
    ledger: FreshLedgerContract,
    sender: str,
    declaration: DeclarationFile,
    *,
    key: str | None = None,
    data: bytes | None = None,
    file_format: str = "csv",
    lines_per_call: int = LINES_PER_CALL,
) -> QueuedFile:
    """Queue `declaration` (checked) for `sender`, or the rest of it when it is partly
    recorded; see the module docstring. `key` and `data` (the file's bytes, as `file_format`)
    bind an Idempotency-Key.

    Raises :class:`LineRefused` or :class:`ContractRevert` (nothing queued) when the contract
    would refuse it, :class:`FilePending` when the declaration is in the queue already.
    While the node does not answer, the parts are queued unchecked (from line 0): the
    submitter's estimates check them when it is back.
    """
    number, total = declaration.number, len(declaration.lines)
    with engine.connect() as conn:  # looked at first: a pending declaration is not preflighted
        _declaration_pending(number)(conn, set())
    try:
        done, count = ledger.declaration_lines(number)
    except NodeError:
        done, count = 0, 0
        checked = False
    else:
        checked = True
    # A declaration another file began (another count) or one complete: part 0 is refused by
    # the preflight with the contract's reason (DeclarationExists, DeclarationMismatch).
    start = done if 0 < done < count == total else 0
    parts = declaration_payloads(declaration, start, lines_per_call)
    if checked:
        with contextlib.suppress(NodeError):  # the node went away meanwhile: queued unchecked
            preflight_declaration(ledger, sender, parts)
    batch_ids = [batch_id_hex(line.gtin, line.lot) for line in declaration.lines]
    pending = _declaration_pending(number)

    items = _new_intents(DECLARATION_PART, parts, key, data)
    intents = _store(engine, sender, DECLARATION_PART, items, f"declaration:{number}", pending)
    if intents is None:
        return _retried(engine, sender, DECLARATION_PART, items, data, file_format)
    return QueuedFile(DECLARATION_PART, intents, batch_ids, start)


def _declaration_pending(number: str) -> Callable[[Connection, set[int]], None]:
    def pending(conn: Connection, own: set[int]) -> None:
        queued = [
            i
            for i in store.unfinished_in(conn, DECLARATION_PART)
            if i.id not in own and i.payload["declaration_number"] == number
        ]
        if queued:
            raise FilePending([i.id for i in queued], number=number)

    return pending


def pending_parts(engine: Engine, sender: str, declaration: DeclarationFile, ids: Sequence[int]) -> QueuedFile | None:
    """The queued intents `ids` (of a :class:`FilePending`) as `sender`'s recording of this
    very `declaration` (the same header and lines), or None when they are another's or
    another file's: a command killed while it waited leaves them queued, and running it
    again waits for them instead of refusing."""
    found = store.get_intents(engine, ids)
    intents = [found[i] for i in sorted(found)]
    mine = declaration_payloads(declaration, 0, 1)  # one line a part: any part's lines compare
    header = {k: v for k, v in mine[0].items() if k not in ("first_line", "lines", "rows")} if mine else {}
    for intent in intents:
        part = intent.payload
        first = part["first_line"]
        same = (
            intent.sender == sender
            and intent.kind == DECLARATION_PART
            and {k: part.get(k) for k in header} == header
            and [line for p in mine[first : first + len(part["lines"])] for line in p["lines"]] == part["lines"]
        )
        if not same:
            return None
    if not intents:
        return None
    batch_ids = [batch_id_hex(line.gtin, line.lot) for line in declaration.lines]
    return QueuedFile(DECLARATION_PART, intents, batch_ids, intents[0].payload["first_line"])


def queue_harvest_sheet(
    engine: Engine,
    ledger: FreshLedgerContract,
    sender: str,
    sheet: HarvestSheet,
    *,
    key: str | None = None,
    data: bytes | None = None,
    file_format: str = "csv",
    lots_per_call: int = LINES_PER_CALL,
) -> QueuedFile:
    """Queue every lot of `sheet` (checked) as a ``harvest`` intent of `sender`; `key` and
    `data` (the file's bytes, as `file_format`) bind an Idempotency-Key.

    Raises :class:`LineRefused` (nothing queued) when the contract would refuse a lot,
    :class:`FilePending` when one of its lots is in the queue already (a sheet sent again).
    While the node does not answer, the lots are queued unchecked.
    """
    payloads = harvest_payloads(sheet)
    with contextlib.suppress(NodeError):  # checked by the submitter's estimates when it is back
        preflight_harvests(ledger, sender, payloads, lots_per_call)
    lots = {(lot.gtin, lot.lot) for lot in sheet.lots}

    def pending(conn: Connection, own: set[int]) -> None:
        queued = [
            i
            for i in store.unfinished_in(conn, HARVEST, sender)
            if i.id not in own and (f"{int(i.payload['gtin']):014d}", i.payload["lot"]) in lots
        ]
        if queued:
            raise FilePending([i.id for i in queued], lots=[i.payload["lot"] for i in queued])

    items = _new_intents(HARVEST, payloads, key, data)
    intents = _store(engine, sender, HARVEST, items, f"harvests:{sender.lower()}", pending)
    if intents is None:
        return _retried(engine, sender, HARVEST, items, data, file_format)
    return QueuedFile(HARVEST, intents, [batch_id_hex(lot.gtin, lot.lot) for lot in sheet.lots])


def first_attempt(engine: Engine, sender: str, kind: str, key: str, data: bytes, file_format: str) -> QueuedFile | None:
    """The intents an earlier request with Idempotency-Key `key` queued for the same file
    (`data`, as `file_format`), or None when the key is new; raises :class:`KeyReused` when it
    came with another file."""
    head = store.intent_by_key(engine, sender, f"{key}#0")
    if head is None:
        return None
    intents: list[IntentRecord] = []
    found: IntentRecord | None = head
    while found is not None:
        if found.kind != kind or found.request_hash != file_request_hash(kind, data, len(intents)):
            raise KeyReused(key, found)
        intents.append(found)
        found = store.intent_by_key(engine, sender, f"{key}#{len(intents)}")
    if kind == DECLARATION_PART:
        start = intents[0].payload["first_line"]
        return QueuedFile(kind, intents, _declaration_batch_ids(data, file_format), start, created=False)
    return QueuedFile(
        kind, intents, [batch_id_hex(i.payload["gtin"], i.payload["lot"]) for i in intents], created=False
    )


def _declaration_batch_ids(data: bytes, file_format: str) -> list[str]:
    """Every line's batch in line order, from the declaration file a key is bound to (it passed
    the checks when it was first sent, so its cells parse): the lines recorded before the
    request being retried included, which no intent of it holds."""
    lines = sorted(
        (
            cells.line(row.cells["line"].strip()),
            cells.gtin(row.cells["gtin"].strip()),
            cells.lot(row.cells["lot"].strip()),
        )
        for row in read_table(data, file_format).rows
    )
    return [batch_id_hex(gtin, lot) for _, gtin, lot in lines]
