"""Which lots a participant may read: the read scope behind EPCIS queries, exports and the
batch search (EU 178/2002, Art. 18: one step back and one step forward).

A participant's own lots are those that passed through its hands: lots it harvested,
imported or cleared through customs, held (sent or received in a hand-off, or holds now),
repacked (the inputs and outputs of its splits and merges), tested, or sold from. Its scope
is those lots plus their direct parents and direct children in the lineage: the lot it
bought and the lots made from what it sold on, not the whole chain. Regulators and the
market authority read everything; that choice is the API's, not this module's.

Example::

    visible = visible_batches(engine, "0xAb…")      # set of batch ids
    query = search_batches(engine, within=visible_batches_query("0xAb…"))
"""

from __future__ import annotations

from sqlalchemy import CompoundSelect, Engine, Select, literal, select, union

from ledger.queries.tables import EVENT_TABLES
from ledger.store import models

_BATCHES = models.Batch.__table__
_LINEAGE = EVENT_TABLES["lineage"]

#: (table, column naming the participant, column naming the lot) of every way a lot passes
#: through a participant's hands.
OWN_STEPS: tuple[tuple[str, str, str], ...] = (
    ("harvests", "supplier", "batch_id"),
    ("imports", "importer", "batch_id"),
    ("imports", "customs", "batch_id"),
    ("custody", "from_address", "batch_id"),
    ("custody", "to_address", "batch_id"),
    ("lineage", "custodian", "parent_id"),
    ("lineage", "custodian", "child_id"),
    ("inspections", "lab", "batch_id"),
    ("sales", "vendor", "batch_id"),
)


def own_batches_query(address: str) -> CompoundSelect:
    """``SELECT batch_id`` of the lots that passed through `address`'s hands."""
    parts: list[Select] = [select(_BATCHES.c.batch_id).where(_BATCHES.c.custodian == literal(address))]
    for name, who, lot in OWN_STEPS:
        table = EVENT_TABLES[name]
        parts.append(select(table.c[lot].label("batch_id")).where(table.c[who] == literal(address)))
    return union(*parts)


def visible_batches_query(address: str) -> CompoundSelect:
    """``SELECT batch_id`` of `address`'s own lots and their direct parents and children."""
    own = own_batches_query(address).subquery("own")
    parents = select(_LINEAGE.c.parent_id.label("batch_id")).where(_LINEAGE.c.child_id.in_(select(own.c.batch_id)))
    children = select(_LINEAGE.c.child_id.label("batch_id")).where(_LINEAGE.c.parent_id.in_(select(own.c.batch_id)))
    return union(select(own.c.batch_id), parents, children)


def visible_batches(engine: Engine, address: str) -> set[str]:
    """The batch ids `address` may read (see the module docstring)."""
    with engine.connect() as conn:
        return {row.batch_id for row in conn.execute(visible_batches_query(address))}
