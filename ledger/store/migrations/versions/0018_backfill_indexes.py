"""The indexes of the tables a backfill fills, made for bulk loads (``ledger.store.bulk_load``):

- their unique guards become unique indexes, which a bulk load defers like the plain ones
  (checked row by row, the guards of ``batches`` and ``raw_events`` cost PostgreSQL's server
  about 1.5 µs an event of a backfill of splits). SQLite cannot drop a constraint: its tables
  are rebuilt here, once, without them;
- ``raw_events`` loses the two indexes no query reads: its guard on block hash and log index,
  which its primary key (block number, log index) already implies (a block's hash names one
  number), and its index on the event's name (the one query by name, a declaration's line
  count, also gives the block number). Each cost every backfill a sort of all events;
- ``sales`` loses its index on the vendor alone: its indexes on the vendor and the block and on
  the vendor and the time lead with the vendor and serve the same lookups, and each index costs
  every sale an insert.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

#: name: (table, columns)
GUARDS: dict[str, tuple[str, list[str]]] = {
    "uq_batches_gtin_lot": ("batches", ["gtin", "lot"]),
    "uq_harvests_batch_id": ("harvests", ["batch_id"]),
    "uq_imports_batch_id": ("imports", ["batch_id"]),
    "uq_sales_sale_id": ("sales", ["sale_id"]),
}
RAW_EVENTS_GUARD = "uq_raw_events_block_hash_log_index"


def upgrade() -> None:
    for name, (table, columns) in GUARDS.items():
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(name, type_="unique")
        op.create_index(name, table, columns, unique=True)
    op.drop_index("ix_raw_events_name", table_name="raw_events")
    with op.batch_alter_table("raw_events") as batch:
        batch.drop_constraint(RAW_EVENTS_GUARD, type_="unique")
    op.drop_index("ix_sales_vendor", table_name="sales")


def downgrade() -> None:
    op.create_index("ix_sales_vendor", "sales", ["vendor"])
    with op.batch_alter_table("raw_events") as batch:
        batch.create_unique_constraint(RAW_EVENTS_GUARD, ["block_hash", "log_index"])
    op.create_index("ix_raw_events_name", "raw_events", ["name"])
    for name, (table, columns) in GUARDS.items():
        op.drop_index(name, table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.create_unique_constraint(name, columns)
