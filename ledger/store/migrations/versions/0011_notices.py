"""notices and layouts: the published notices (text by document CID, validity window, what
they concern) and the floor plans the market authority set

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _event_columns() -> list[sa.Column]:
    return [
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "notices",
        *_event_columns(),
        sa.Column("author", sa.String(length=42), nullable=False),
        sa.Column("cid", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.BigInteger(), nullable=False),
        sa.Column("valid_until", sa.BigInteger(), nullable=False),
        sa.Column("batch_id", sa.String(length=66), nullable=True),
        sa.Column("stall", sa.String(length=42), nullable=True),
        sa.PrimaryKeyConstraint("block_number", "log_index", name=op.f("pk_notices")),
    )
    op.create_index(op.f("ix_notices_valid_until"), "notices", ["valid_until"])
    op.create_index(op.f("ix_notices_batch_id"), "notices", ["batch_id"])
    op.create_index(op.f("ix_notices_stall"), "notices", ["stall"])
    op.create_table(
        "layouts",
        *_event_columns(),
        sa.Column("authority", sa.String(length=42), nullable=False),
        sa.Column("cid", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("block_number", "log_index", name=op.f("pk_layouts")),
    )


def downgrade() -> None:
    op.drop_table("layouts")
    op.drop_index(op.f("ix_notices_stall"), table_name="notices")
    op.drop_index(op.f("ix_notices_batch_id"), table_name="notices")
    op.drop_index(op.f("ix_notices_valid_until"), table_name="notices")
    op.drop_table("notices")
