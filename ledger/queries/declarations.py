"""Customs declarations as the index holds them: the header and the lines (imported batches).

A declaration recorded by ``registerImports`` has numbered lines; lines recorded one
``registerImport`` call each share the number and have none. Either way the imports table
holds one row a line, with the header repeated, so a declaration is its rows by number.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from ledger.store import models

_IMPORTS = models.Import.__table__
_BATCHES = models.Batch.__table__


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
    """A customs declaration: its header (from its first line) and its lines in order."""

    number: str
    entry_port: str
    cleared_at: int
    importer: str
    customs: str
    document_cid: str | None
    lines: list[DeclarationLine]


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
    )
