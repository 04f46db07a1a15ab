"""The lineage's primary key in chain order: (block, log index, position) instead of (position,
block, log index). The index ``ix_lineage_block_log`` on (block, log index) existed only
because the key led with the position; the key now serves the EPCIS queries that page through
the lineage in chain order, and the index goes: a backfill no longer sorts every edge once more
to build it (on SQLite a tenth of the indexes a backfill of splits builds at its end), and each
new edge is one insert less. SQLite cannot alter a primary key: the table is rebuilt, once.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

KEY = "pk_lineage"


def upgrade() -> None:
    op.drop_index("ix_lineage_block_log", table_name="lineage")
    with op.batch_alter_table("lineage", recreate="always") as batch:
        batch.drop_constraint(KEY, type_="primary")
        batch.create_primary_key(KEY, ["block_number", "log_index", "position"])


def downgrade() -> None:
    with op.batch_alter_table("lineage", recreate="always") as batch:
        batch.drop_constraint(KEY, type_="primary")
        batch.create_primary_key(KEY, ["position", "block_number", "log_index"])
    op.create_index("ix_lineage_block_log", "lineage", ["block_number", "log_index"], unique=False)
