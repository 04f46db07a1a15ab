"""Customs declarations as the index holds them: the header and the lines (imported batches).

A declaration recorded by ``registerImports`` has numbered lines and a line count (its
``DeclarationRegistered`` event's; a declaration recorded in several calls holds fewer lines
than its count until the last call is indexed); lines recorded one ``registerImport`` call
each share the number and have neither. Either way the imports table holds one row a line,
with the header repeated, so a declaration is its rows by number.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine, RowMapping, select

from ledger.store import models

_IMPORTS = models.Import.__table__
_BATCHES = models.Batch.__table__
_RAW = models.RawEvent.__table__


@dataclass(frozen=True)
class DeclarationLine:
    """One imported batch of a declaration."""

    line: int | None  # the position in the declaration; None for a single registerImport
    batch_id: str
    gtin: str
    lot: str
    quantity: int
    unit: str
    origin_country: str
    hs_code: str | None


@dataclass(frozen=True)
class DeclarationView:
    """A customs declaration: its header (from its first line), its lines in order, where its
    first line was recorded, and its line count (None for lines recorded one call each)."""

    number: str
    entry_port: str
    cleared_at: int
    importer: str
    customs: str
    document_cid: str | None
    lines: list[DeclarationLine]
    tx_hash: str
    block_number: int
    line_count: int | None

    @property
    def complete(self) -> bool:
        """Whether every line is recorded (always, for lines recorded one call each)."""
        return self.line_count is None or len(self.lines) >= self.line_count


def get_declaration(engine: Engine, number: str) -> DeclarationView | None:
    """The declaration recorded under `number`, or None when the index has no line of it."""
    query = (
        select(_IMPORTS, _BATCHES.c.gtin, _BATCHES.c.lot, _BATCHES.c.quantity, _BATCHES.c.unit)
        .join(_BATCHES, _BATCHES.c.batch_id == _IMPORTS.c.batch_id)
        .where(_IMPORTS.c.declaration_number == number)
        .order_by(_IMPORTS.c.block_number, _IMPORTS.c.log_index)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
        if not rows:
            return None
        first = rows[0]
        line_count = None if first["declaration_line"] is None else _line_count(conn, number, first)
    return DeclarationView(
        number=number,
        entry_port=first["entry_port"],
        cleared_at=int(first["cleared_at"]),
        importer=first["importer"],
        customs=first["customs"],
        document_cid=first["document_cid"],
        lines=[
            DeclarationLine(
                line=r["declaration_line"],
                batch_id=r["batch_id"],
                gtin=r["gtin"],
                lot=r["lot"],
                quantity=int(r["quantity"]),
                unit=r["unit"],
                origin_country=r["origin_country"],
                hs_code=r["hs_code"],
            )
            for r in rows
        ],
        tx_hash=first["tx_hash"],
        block_number=int(first["block_number"]),
        line_count=line_count,
    )


def _line_count(conn: Connection, number: str, first: RowMapping) -> int | None:
    """The line count of the ``DeclarationRegistered`` in the transaction of the
    declaration's first line (every ``registerImports`` call emits one, before its lines)."""
    query = select(_RAW.c.args).where(
        _RAW.c.block_number == first["block_number"],
        _RAW.c.tx_hash == first["tx_hash"],
        _RAW.c.name == "DeclarationRegistered",
    )
    for args in conn.execute(query).scalars():
        if args.get("declarationNumber") == number:
            return int(args["lineCount"])
    return None
