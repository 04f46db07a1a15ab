"""A sale is unique by its batch and serial; its id is looked up by its first characters.

The guard ``uq_sales_sale_id`` keyed the whole id, a hash: each of a block's thousands of sales
went to a random leaf of an index 84 bytes an entry wide (SQLite), and each of those pages was
written again to SQLite's WAL at the commit, more of them as the sales accumulate (the indexer's
hold of the database's one write lock grew with them, and the write queue waited for it). The
contract derives a sale's id from its batch and serial and takes a serial once, so the unique
index (batch, serial) guards the same thing, and a block's sales of a batch land at the end of
its run. It replaces the index on the batch alone, which it leads with. The lookup by sale id
goes through ``substr(sale_id, 3, 8)`` (32 bits of the hash) and compares the whole id on the
row (``ledger.store.models.sale_id_matches``).

The drops tolerate a bulk load under way, which has dropped them already; the new indexes are
then built now rather than at the load's end.

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("uq_sales_sale_id", table_name="sales", if_exists=True)
    op.drop_index("ix_sales_batch_id", table_name="sales", if_exists=True)
    op.create_index("uq_sales_batch_serial", "sales", ["batch_id", "serial"], unique=True)
    op.create_index("ix_sales_sale_id_prefix", "sales", [sa.text("substr(sale_id, 3, 8)")])


def downgrade() -> None:
    op.drop_index("ix_sales_sale_id_prefix", table_name="sales", if_exists=True)
    op.drop_index("uq_sales_batch_serial", table_name="sales", if_exists=True)
    op.create_index("ix_sales_batch_id", "sales", ["batch_id"])
    op.create_index("uq_sales_sale_id", "sales", ["sale_id"], unique=True)
