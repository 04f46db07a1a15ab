"""The unique guards of the tables a backfill fills become unique indexes, which a bulk load
defers like the plain ones (``ledger.store.bulk_load``): on PostgreSQL the two of a backfill of
splits (``raw_events`` by block hash and log index, ``batches`` by GTIN and lot) cost the
server about 3 µs an event when checked row by row, a fraction of it when built at the end.
SQLite cannot drop a constraint: its tables are rebuilt here, once, without them.

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
    "uq_raw_events_block_hash_log_index": ("raw_events", ["block_hash", "log_index"]),
    "uq_batches_gtin_lot": ("batches", ["gtin", "lot"]),
    "uq_harvests_batch_id": ("harvests", ["batch_id"]),
    "uq_imports_batch_id": ("imports", ["batch_id"]),
    "uq_sales_sale_id": ("sales", ["sale_id"]),
}


def upgrade() -> None:
    for name, (table, columns) in GUARDS.items():
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(name, type_="unique")
        op.create_index(name, table, columns, unique=True)


def downgrade() -> None:
    for name, (table, columns) in GUARDS.items():
        op.drop_index(name, table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.create_unique_constraint(name, columns)
