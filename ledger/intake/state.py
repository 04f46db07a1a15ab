"""What the checks ask the ledger: who an importer is, whether a declaration or a lot is
already recorded. The API answers from the indexer's database (the read path), the CLI
from the chain; the checks do not know which."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from eth_utils import is_address, to_checksum_address

#: The contract's role bit of suppliers: only an active supplier can receive an import.
SUPPLIER_BIT = 1


@dataclass(frozen=True)
class ParticipantFacts:
    """What the checks need of a participant."""

    address: str
    roles: int
    suspended: bool


@dataclass(frozen=True)
class RecordedDeclaration:
    """A declaration the ledger holds: its number, where its first line was recorded, how many
    lines are recorded and, for one recorded through ``registerImports``, how many it has in
    all (``line_count``; None for lines recorded one ``registerImport`` call each) and the
    (GTIN-14, lot) of each recorded line in line order.

    A declaration recorded in several calls is ``complete`` once its last call is mined; until
    then the same file sent again finishes it.
    """

    number: str
    tx_hash: str
    block_number: int
    lines: int
    line_count: int | None = None
    lots: tuple[tuple[str, str], ...] = ()

    @property
    def complete(self) -> bool:
        return self.line_count is None or self.lines >= self.line_count

    def to_json(self) -> dict[str, object]:
        return {
            "declaration_number": self.number,
            "tx_hash": self.tx_hash,
            "block_number": self.block_number,
            "lines": self.lines,
        }


class LedgerState(Protocol):
    """The ledger's state as the file checks see it."""

    def participants(self, reference: str) -> list[ParticipantFacts]:
        """The participants `reference` names: an address, or a registered identifier (GLN
        or licence number); empty when none."""
        ...

    def declaration(self, number: str) -> RecordedDeclaration | None:
        """The declaration numbered `number` as far as it is recorded, if at all."""
        ...

    def registered_lots(self, lots: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which of the (GTIN-14, lot) pairs are batches already."""
        ...


def importer_address(state: LedgerState, reference: str) -> str:
    """The address of the active supplier `reference` names; ValueError saying why not."""
    found = state.participants(to_checksum_address(reference) if is_address(reference) else reference)
    if not found:
        kind = "address" if is_address(reference) else "GLN or licence number"
        raise ValueError(f"no participant of this market is registered under the {kind} {reference}")
    if len(found) > 1:
        raise ValueError(f"{reference} names {len(found)} participants: give the importer's address")
    (importer,) = found
    if importer.suspended:
        raise ValueError(f"importer {importer.address} is suspended")
    if not importer.roles & SUPPLIER_BIT:
        raise ValueError(f"{importer.address} is not a supplier: only a supplier can receive an import")
    return importer.address
