"""Declaration files and harvest sheets through the write queue: a checked file becomes
intents, stored in ONE database transaction once every call it will make passed an
``eth_call``, and what the chain did is read back from them.

- A declaration of N lines becomes ceil(N / ``LINES_PER_CALL``) ``declaration_part``
  intents: each one ``registerImports`` call under the declaration's number, continuing
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
- Before anything is stored: every call is run as an ``eth_call`` (a refusal names the file's
  row, :class:`LineRefused`, or is the contract's own, e.g. ``DeclarationExists``); the same
  declaration (or a lot) still in the queue is refused (:class:`FilePending`); with an
  Idempotency-Key, item n of a file is keyed ``{key}#{n}`` and bound to the file's bytes, so
  a retry gets the first request's intents (:func:`first_attempt`).

Example::

    queued = queue_declaration(engine, ledger, customs.address, checked.value)
    ...  # a submitter of customs.address sends them; wait until they are final
    recorded = recorded_file(queued, get_intents(engine, queued.ids), ledger.abi)
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from ledger.chain.abi import ContractAbi
from ledger.chain.freshledger import FreshLedgerContract, HarvestLot, batch_id_of, harvests_args
from ledger.chain.reverts import WRAPPING_ERRORS
from ledger.documents import parse_cid
from ledger.errors import ContractRevert, FilePending, LedgerError, LineRefused, NodeError, RecordingInterrupted
from ledger.hexes import from_hex, to_hex
from ledger.intake import cells
from ledger.intake.declaration import DeclarationFile
from ledger.intake.harvests import HarvestSheet
from ledger.intake.read import read_table
from ledger.intents.accept import request_hash
from ledger.intents.kinds import Payload, kind_of
from ledger.store import intents as store
from ledger.store.intents import IntentRecord, KeyReused, NewIntent

#: Lines (or lots) one call carries. A line costs about 34.5k gas (``bench/gas.py``), so 200
#: take about 7M: well under half of a 30M block, so that a call never waits for an empty
#: block nor crowds out the market's other writes, and an ``eth_call`` of it stays cheap.
LINES_PER_CALL = 200
DECLARATION_PART = "declaration_part"
HARVEST = "harvest"


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


@dataclass(frozen=True)
class FileRecorded:
    """A file every intent of which is recorded: the batches of its lines in order, the
    transactions that carried them (in order, each once), their first and last block."""

    batch_ids: list[str]
    transactions: list[str]
    first_block: int | None
    last_block: int | None
    resumed_at: int = 0


# ------------------------------------------------------------------ payloads


def _cid_hex(text: str | None) -> str | None:
    return to_hex(bytes(parse_cid(text))) if text else None


def _calls(start: int, total: int, size: int) -> list[tuple[int, int]]:
    """(first, end) of each call covering items `start` to `total`."""
    return [(first, min(first + size, total)) for first in range(start, total, size)]


def declaration_payloads(
    declaration: DeclarationFile, start: int = 0, lines_per_call: int = LINES_PER_CALL
) -> list[Payload]:
    """The ``declaration_part`` payloads of lines `start`... of `declaration`: the header, the
    part's lines (and their rows in the file, to name one the chain refuses)."""
    header = {
        "declaration_number": declaration.number,
        "entry_port": declaration.entry_port,
        "cleared_at": declaration.cleared_at,
        "importer": declaration.importer,
        "document_cid": _cid_hex(declaration.document_cid),
        "line_count": len(declaration.lines),
    }
    parts = []
    for first, end in _calls(start, len(declaration.lines), lines_per_call):
        lines = declaration.lines[first:end]
        parts.append(
            {
                **header,
                "first_line": first,
                "lines": [
                    {
                        "gtin": line.gtin,
                        "lot": line.lot,
                        "quantity": line.quantity,
                        "unit": line.unit,
                        "origin_country": line.origin_country,
                        "hs_code": line.hs_code,
                    }
                    for line in lines
                ],
                "rows": [line.row for line in lines],
            }
        )
    return parts


def harvest_payloads(sheet: HarvestSheet) -> list[Payload]:
    """The ``harvest`` payloads of the sheet's lots (as ``POST /harvests`` queues one), with
    each lot's row in the file."""
    return [
        {
            "gtin": lot.gtin,
            "lot": lot.lot,
            "quantity": lot.quantity,
            "unit": lot.unit,
            "harvested_at": lot.harvested_at,
            "origin": lot.origin,
            "document_cid": _cid_hex(lot.document_cid),
            "row": lot.row,
        }
        for lot in sheet.lots
    ]


def _harvest_lot(payload: Payload) -> HarvestLot:
    document = from_hex(payload["document_cid"]) if payload.get("document_cid") else b""
    return HarvestLot(
        payload["gtin"],
        payload["lot"],
        payload["quantity"],
        payload["unit"],
        payload["harvested_at"],
        payload["origin"],
        document,
    )


def _batch_id(gtin: str, lot: str) -> str:
    return to_hex(batch_id_of(gtin, lot))


# ------------------------------------------------------------------ checks on the chain


def _refused(exc: ContractRevert, rows: Sequence[int], offset: int = 0) -> LedgerError:
    """A refusal before anything of the file is queued: the row the contract names, or the
    refusal itself when it names none (a role, the importer, ``DeclarationExists``)."""
    if exc.index is not None and 0 <= offset + exc.index < len(rows):
        return LineRefused(rows[offset + exc.index], exc)
    return exc


def preflight_declaration(ledger: FreshLedgerContract, sender: str, parts: Sequence[Payload]) -> None:
    """Run every part as an ``eth_call`` before any is queued: the first exactly as it will be
    sent; on a fresh declaration each later one alone, as a declaration of its own lines (its
    lines do not depend on an earlier part's, the file's duplicates being checked already).
    A later part of a declaration being finished cannot run before the first is mined: the
    file's check vouches for its lines.

    Raises :class:`LineRefused` naming the row, or the contract's refusal of the whole
    declaration (:class:`ContractRevert`); :class:`NodeError` when the node does not answer.
    """
    rows = [row for part in parts for row in part["rows"]]
    start = parts[0]["first_line"] if parts else 0
    kind = kind_of(DECLARATION_PART)
    for part in parts:
        first = part["first_line"]
        if first == start:
            call, offset = part, -start  # the contract counts the lines from the declaration's first
        elif start == 0:
            call, offset = {**part, "line_count": len(part["lines"]), "first_line": 0}, first
        else:
            continue
        try:
            ledger.simulate(sender, kind.function, *kind.args(call))
        except ContractRevert as exc:
            raise _refused(exc, rows, offset) from exc


def preflight_harvests(
    ledger: FreshLedgerContract, sender: str, payloads: Sequence[Payload], lots_per_call: int = LINES_PER_CALL
) -> None:
    """Run the sheet's lots as ``registerHarvests`` ``eth_call`` s of `lots_per_call` (the calls
    the submitter packs them into); raises :class:`LineRefused` naming the row of a lot the
    contract refuses, :class:`NodeError` when the node does not answer."""
    rows = [payload["row"] for payload in payloads]
    lots = [_harvest_lot(payload) for payload in payloads]
    for first, end in _calls(0, len(lots), lots_per_call):
        try:
            ledger.simulate(sender, "registerHarvests", *harvests_args(lots[first:end]))
        except ContractRevert as exc:
            raise _refused(exc, rows, first) from exc


# ------------------------------------------------------------------ queueing


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
    batch_ids = [_batch_id(line.gtin, line.lot) for line in declaration.lines]
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
    batch_ids = [_batch_id(line.gtin, line.lot) for line in declaration.lines]
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
    return QueuedFile(HARVEST, intents, [_batch_id(lot.gtin, lot.lot) for lot in sheet.lots])


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
    return QueuedFile(kind, intents, [_batch_id(i.payload["gtin"], i.payload["lot"]) for i in intents], created=False)


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
    return [_batch_id(gtin, lot) for _, gtin, lot in lines]


# ------------------------------------------------------------------ outcomes


def stored_refusal(error: Mapping[str, Any] | None, abi: ContractAbi) -> ContractRevert:
    """A refused intent's stored error as the :class:`ContractRevert` the contract raised, the
    refused item's own error (``inner``) decoded again."""
    error = error or {}
    name, args = error.get("name", "TransactionReverted"), dict(error.get("args") or {})
    inner = None
    if name in WRAPPING_ERRORS and isinstance(args.get("reason"), str):
        args["reason"] = from_hex(args["reason"])
        decoded = abi.decode_error(args["reason"])
        if decoded is not None:
            inner = ContractRevert(*decoded)
    return ContractRevert(name, args, error.get("message"), inner=inner)


def recorded_file(queued: QueuedFile, intents: Mapping[int, IntentRecord], abi: ContractAbi) -> FileRecorded | None:
    """What the queue did with `queued` as `intents` (its intents read again) say: recorded,
    or None while any is unfinished.

    Raises for a refusal, once every intent is final: :class:`LineRefused` (or the contract's
    refusal naming no row) when nothing of the file was recorded; :class:`RecordingInterrupted`
    with the batches recorded when some were (a declaration: the lines before the refused
    part; a sheet: the lots recorded, the rest to be sent again in a sheet of their own).
    """
    now = [intents.get(i.id, i) for i in queued.intents]
    if not all(i.final for i in now):
        return None
    refused = [i for i in now if i.status == "refused"]
    if refused:
        raise _refusal_of(queued, now, refused[0], abi)
    transactions: list[str] = []
    for intent in now:
        if intent.tx_hash and intent.tx_hash not in transactions:
            transactions.append(intent.tx_hash)
    blocks = [i.block_number for i in now if i.block_number is not None]
    return FileRecorded(
        queued.batch_ids,
        transactions,
        min(blocks) if blocks else None,
        max(blocks) if blocks else None,
        queued.resumed_at,
    )


def _refusal_of(queued: QueuedFile, intents: list[IntentRecord], first: IntentRecord, abi: ContractAbi) -> LedgerError:
    cause = stored_refusal(first.error, abi)
    if queued.kind == DECLARATION_PART:
        part = first.payload
        position = part["first_line"]
        # The contract counts the refused line in the whole declaration.
        index = cause.index
        row = (
            part["rows"][index - position] if index is not None and 0 <= index - position < len(part["rows"]) else None
        )
        if position == 0:
            return LineRefused(row, cause) if row is not None else cause
        return RecordingInterrupted(row, queued.batch_ids[:position], cause)
    recorded = [batch for intent, batch in zip(intents, queued.batch_ids, strict=True) if intent.status == "recorded"]
    row = first.payload.get("row")
    if not recorded:
        return LineRefused(row, cause) if row is not None else cause
    return RecordingInterrupted(row, recorded, cause)
