"""Recording a checked file on the chain: the one place that turns a :class:`DeclarationFile`
or a :class:`HarvestSheet` into transactions.

A declaration is one ``registerImports`` call when it fits in one (up to ``LINES_PER_CALL``
lines), else several calls under its number, each continuing where the one before stopped
(``firstLine``) with the same header. A harvest sheet is one ``registerHarvests`` call per
``LINES_PER_CALL`` lots. Every call is all or nothing; a file of several calls is all or
nothing as far as the chain allows:

- the whole file was checked first (every row, against the ledger's state), and before the
  first call of several each later one is run as an ``eth_call`` (a line the contract would
  refuse refuses the file before anything is sent: :class:`LineRefused`, naming its row);
- a refusal or an outage between calls (the state changed since the check, the node went
  away, the process was killed) leaves the declaration partly recorded, and the contract
  knows how far (``declarationLines``): the same file sent again continues there, a call
  mined by an attempt whose answer was lost is recognised (``DeclarationOutOfOrder``), and a
  declaration is only ever recorded once (``DeclarationExists``). The readers see a
  declaration's lines as they are mined; its line count says when it is whole.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from eth_account.signers.local import LocalAccount

from ledger.chain.client import TxResult
from ledger.chain.freshledger import (
    Declaration,
    FreshLedgerContract,
    HarvestLot,
    ImportLine,
    batch_id_of,
    harvests_args,
    imports_args,
)
from ledger.documents import parse_cid
from ledger.errors import ContractRevert, LedgerError, LineRefused, RecordingInterrupted
from ledger.hexes import to_hex
from ledger.intake.declaration import DeclarationFile
from ledger.intake.harvests import HarvestSheet

#: Lines (or lots) one call carries. A line costs about 34.5k gas (``bench/gas.py``), so 200
#: take about 7M: well under half of a 30M block, so that a call never waits for an empty
#: block nor crowds out the market's other writes, and an ``eth_call`` of it stays cheap.
LINES_PER_CALL = 200


@dataclass
class Recorded:
    """What recording a file did: the transactions this recording sent, the batches of every
    line in line order (those an earlier, interrupted recording made included) and how many
    lines that earlier recording had made (``resumed_at``; 0 for a fresh one)."""

    transactions: list[TxResult] = field(default_factory=list)
    batch_ids: list[str] = field(default_factory=list)
    resumed_at: int = 0

    @property
    def first_block(self) -> int | None:
        return self.transactions[0].block_number if self.transactions else None

    @property
    def last_block(self) -> int | None:
        return self.transactions[-1].block_number if self.transactions else None


def _cid(text: str | None) -> bytes:
    return bytes(parse_cid(text)) if text else b""


def _calls(start: int, total: int, size: int) -> list[tuple[int, int]]:
    """(first, end) of each call covering items `start` to `total`."""
    return [(first, min(first + size, total)) for first in range(start, total, size)]


def _refused(exc: ContractRevert, rows: Sequence[int], offset: int = 0) -> LedgerError:
    """A refusal before anything of the file is recorded: the row the contract names, or the
    refusal itself when it names none (a role, the importer)."""
    if exc.index is not None and 0 <= offset + exc.index < len(rows):
        return LineRefused(rows[offset + exc.index], exc)
    return exc


def _preflight(calls: list[tuple[int, int]], rows: Sequence[int], simulate: Callable[[int, int], None]) -> None:
    """Run every call of a file as an ``eth_call`` before the first is sent (each alone: the
    lines of one do not depend on another's, the file's duplicates being checked already)."""
    if len(calls) < 2:
        return  # one call is all or nothing by itself
    for first, end in calls:
        try:
            simulate(first, end)
        except ContractRevert as exc:
            raise _refused(exc, rows, first) from exc


def record_declaration(
    ledger: FreshLedgerContract,
    customs: LocalAccount,
    declaration: DeclarationFile,
    *,
    lines_per_call: int = LINES_PER_CALL,
) -> Recorded:
    """Record `declaration`, signed by `customs`, or continue a recording of it that stopped.

    Raises :class:`LineRefused` when a line is refused before anything is recorded,
    :class:`RecordingInterrupted` when calls were mined and a later one failed (send the
    same file again to finish), a plain :class:`ContractRevert` for a refusal of the whole
    declaration (``DeclarationExists``, the importer, the caller's role).
    """
    number = declaration.number
    total = len(declaration.lines)
    header = Declaration(
        number=number,
        entry_port=declaration.entry_port,
        cleared_at=declaration.cleared_at,
        importer=declaration.importer,
        document_cid=_cid(declaration.document_cid),
        line_count=total,
    )
    lines = [
        ImportLine(line.gtin, line.lot, line.quantity, line.unit, line.origin_country, line.hs_code)
        for line in declaration.lines
    ]
    rows = [line.row for line in declaration.lines]
    done, count = ledger.declaration_lines(number)
    # A declaration another file began (another count) or one complete: the contract says why.
    start = done if 0 < done < count == total else 0
    recorded = Recorded(batch_ids=[to_hex(batch_id_of(line.gtin, line.lot)) for line in lines], resumed_at=start)
    if start == 0:

        def simulate(first: int, end: int) -> None:
            alone = replace(header, line_count=end - first)
            ledger.simulate(customs.address, "registerImports", *imports_args(alone, lines[first:end], 0))

        _preflight(_calls(0, total, lines_per_call), rows, simulate)

    position = start
    while position < total:
        end = min(position + lines_per_call, total)
        try:
            result = ledger.register_imports(customs, header, lines[position:end], first_line=position)
        except ContractRevert as exc:
            # A call an earlier attempt sent was mined after all (its answer was lost), or
            # another process records the same file: go on where the chain stands.
            moved_on = exc.name == "DeclarationOutOfOrder" or (exc.name == "DeclarationExists" and position > 0)
            if moved_on:
                done, count = ledger.declaration_lines(number)
                if count == total and done > position:
                    position = done
                    continue
            raise _stopped(exc, position, rows, recorded.batch_ids) from exc
        except LedgerError as exc:
            raise _stopped(exc, position, rows, recorded.batch_ids) from exc
        recorded.transactions.append(result)
        position = end
    return recorded


def _stopped(exc: LedgerError, position: int, rows: Sequence[int], batch_ids: list[str]) -> LedgerError:
    """The error of a call that failed after the first `position` lines were recorded."""
    if position == 0:
        return _refused(exc, rows) if isinstance(exc, ContractRevert) else exc
    # A refused line's index counts in the whole declaration.
    row = rows[exc.index] if isinstance(exc, ContractRevert) and exc.index is not None else None
    return RecordingInterrupted(row, batch_ids[:position], exc)


def record_harvests(
    ledger: FreshLedgerContract,
    supplier: LocalAccount,
    sheet: HarvestSheet,
    *,
    lots_per_call: int = LINES_PER_CALL,
) -> Recorded:
    """Record every lot of `sheet`, signed by `supplier`, in ``registerHarvests`` calls of
    `lots_per_call` lots.

    Raises :class:`LineRefused` when a lot is refused before anything is recorded, and
    :class:`RecordingInterrupted` (with the batches recorded) when a later call fails: a
    sheet has no number to continue under, so the rows recorded are to be left out of the
    sheet sent again.
    """
    lots = [
        HarvestLot(lot.gtin, lot.lot, lot.quantity, lot.unit, lot.harvested_at, lot.origin, _cid(lot.document_cid))
        for lot in sheet.lots
    ]
    rows = [lot.row for lot in sheet.lots]
    calls = _calls(0, len(lots), lots_per_call)

    def simulate(first: int, end: int) -> None:
        ledger.simulate(supplier.address, "registerHarvests", *harvests_args(lots[first:end]))

    _preflight(calls, rows, simulate)
    recorded = Recorded(batch_ids=[to_hex(batch_id_of(lot.gtin, lot.lot)) for lot in lots])
    for first, end in calls:
        try:
            recorded.transactions.append(ledger.register_harvests(supplier, lots[first:end]))
        except ContractRevert as exc:
            if first == 0:
                raise _refused(exc, rows) from exc
            row = rows[first + exc.index] if exc.index is not None else None
            raise RecordingInterrupted(row, recorded.batch_ids[:first], exc) from exc
        except LedgerError as exc:
            if first == 0:
                raise
            raise RecordingInterrupted(None, recorded.batch_ids[:first], exc) from exc
    return recorded
