"""scales: the stalls' PLU keys (from PluMapped events) and the weighings the stall gateway took

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plu_mappings",
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("vendor", sa.String(length=42), nullable=False),
        sa.Column("plu", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("block_number", "log_index", name=op.f("pk_plu_mappings")),
    )
    op.create_index(op.f("ix_plu_mappings_batch_id"), "plu_mappings", ["batch_id"])
    op.create_index("ix_plu_mappings_vendor_plu_block", "plu_mappings", ["vendor", "plu", "block_number"])
    op.create_table(
        "scale_weighings",
        sa.Column("stall", sa.String(length=42), nullable=False),
        sa.Column("scale_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.Float(), nullable=False),
        sa.Column("weighing", sa.JSON(), nullable=False),
        sa.Column("intent_id", sa.BigInteger(), nullable=True),
        sa.Column("answer", sa.JSON(), nullable=True),
        sa.Column("answered_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("stall", "scale_id", "seq", name=op.f("pk_scale_weighings")),
    )
    op.create_index("ix_scale_weighings_answered_at", "scale_weighings", ["answered_at"])


def downgrade() -> None:
    op.drop_table("scale_weighings")
    op.drop_table("plu_mappings")
