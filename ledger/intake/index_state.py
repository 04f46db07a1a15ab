"""The ledger's state as the indexer's database knows it (the API's read path).

The index trails the chain by its poll interval: a lot registered a moment ago may not be
in it yet. The contract still refuses a second batch of the same GTIN and lot, so nothing is
ever doubled; the file is then refused by the chain instead of by the check."""

from __future__ import annotations

from collections.abc import Collection

from eth_utils import is_address
from sqlalchemy import Engine

from ledger.intake.state import ParticipantFacts, RecordedDeclaration
from ledger.queries import intake as queries
from ledger.queries.declarations import get_declaration


class IndexState:
    """:class:`ledger.intake.LedgerState` answered from the index."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def participants(self, reference: str) -> list[ParticipantFacts]:
        if is_address(reference):
            rows = queries.participants_named(self.engine, address=reference)
        else:
            rows = queries.participants_named(self.engine, identifier=reference)
        return [ParticipantFacts(address, roles, suspended) for address, roles, suspended in rows]

    def declaration(self, number: str) -> RecordedDeclaration | None:
        found = get_declaration(self.engine, number)
        if found is None:
            return None
        return RecordedDeclaration(
            number,
            found.tx_hash,
            found.block_number,
            len(found.lines),
            found.line_count,
            tuple((line.gtin, line.lot) for line in found.lines),
        )

    def registered_lots(self, lots: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
        return queries.registered_lots(self.engine, lots)
