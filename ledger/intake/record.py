"""Recording a checked file on the chain: the one place that turns a :class:`Declaration`
or a :class:`HarvestSheet` into transactions.

Today each line is its own ``registerImport`` / ``registerHarvest`` transaction, sent in
line order and each awaited: a declaration is not all or nothing on the chain. The checks
before make a refusal unlikely (only a change of state between check and send, or the node
going away, can stop it), and a stop raises :class:`RecordingInterrupted` naming the row and
the lines already recorded. The contract's batch calls (``registerImports``,
``registerHarvests``) make it one transaction; these two functions are where they go.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eth_account.signers.local import LocalAccount

from ledger.chain.client import TxResult
from ledger.chain.freshledger import FreshLedgerContract
from ledger.documents import parse_cid
from ledger.errors import LedgerError, RecordingInterrupted
from ledger.hexes import to_hex
from ledger.intake.declaration import Declaration
from ledger.intake.harvests import HarvestSheet


@dataclass
class Recorded:
    """The transactions a file was recorded in and the batches it made, in line order."""

    transactions: list[TxResult] = field(default_factory=list)
    batch_ids: list[str] = field(default_factory=list)

    @property
    def first_block(self) -> int:
        return self.transactions[0].block_number

    @property
    def last_block(self) -> int:
        return self.transactions[-1].block_number


def _cid(text: str | None) -> bytes:
    return bytes(parse_cid(text)) if text else b""


def record_declaration(ledger: FreshLedgerContract, customs: LocalAccount, declaration: Declaration) -> Recorded:
    """Record every line of `declaration`, signed by `customs`.

    The HS code is checked but not recorded: ``registerImport`` has no field for it.
    """
    recorded = Recorded()
    document = _cid(declaration.document_cid)
    for line in declaration.lines:
        try:
            result = ledger.register_import(
                customs,
                gtin=line.gtin,
                lot=line.lot,
                quantity=line.quantity,
                unit=line.unit,
                importer=declaration.importer,
                origin_country=line.origin_country,
                declaration_number=declaration.number,
                cleared_at=declaration.cleared_at,
                entry_port=declaration.entry_port,
                document_cid=document,
            )
        except LedgerError as exc:
            if not recorded.transactions:
                raise  # nothing recorded: the plain refusal says it all
            raise RecordingInterrupted(line.row, recorded.batch_ids, exc) from exc
        recorded.transactions.append(result)
        recorded.batch_ids.append(to_hex(result.event("ImportRegistered").args["batchId"]))
    return recorded


def record_harvests(ledger: FreshLedgerContract, supplier: LocalAccount, sheet: HarvestSheet) -> Recorded:
    """Record every lot of `sheet`, signed by `supplier`."""
    recorded = Recorded()
    for lot in sheet.lots:
        try:
            result = ledger.register_harvest(
                supplier,
                gtin=lot.gtin,
                lot=lot.lot,
                quantity=lot.quantity,
                unit=lot.unit,
                harvested_at=lot.harvested_at,
                origin=lot.origin,
                document_cid=_cid(lot.document_cid),
            )
        except LedgerError as exc:
            if not recorded.transactions:
                raise
            raise RecordingInterrupted(lot.row, recorded.batch_ids, exc) from exc
        recorded.transactions.append(result)
        recorded.batch_ids.append(to_hex(result.event("HarvestRegistered").args["batchId"]))
    return recorded
