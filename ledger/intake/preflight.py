"""A file's calls run as ``eth_call`` s before anything of it is queued, so that a refusal
names the file's row (:class:`LineRefused`) and the queue never holds a file the contract
would refuse as it stands."""

from __future__ import annotations

from collections.abc import Sequence

from ledger.chain.freshledger import FreshLedgerContract, harvests_args
from ledger.errors import ContractRevert, LedgerError, LineRefused
from ledger.intake.payloads import DECLARATION_PART, LINES_PER_CALL, call_ranges, harvest_lot
from ledger.intents.kinds import Payload, kind_of


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
    lots = [harvest_lot(payload) for payload in payloads]
    for first, end in call_ranges(0, len(lots), lots_per_call):
        try:
            ledger.simulate(sender, "registerHarvests", *harvests_args(lots[first:end]))
        except ContractRevert as exc:
            raise _refused(exc, rows, first) from exc
