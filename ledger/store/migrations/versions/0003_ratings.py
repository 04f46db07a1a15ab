"""ratings: Shoppers' verified-purchase ratings of stalls

Also the indexes of the market board's day-window queries (prices, arrivals, inspections
and recalls of one market day), which stay index range scans at a million events.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

#: (index name, table, columns) of the board's day-window queries.
BOARD_INDEXES = (
    ("ix_sales_block_time", "sales", ["block_time"]),
    ("ix_sales_vendor_time", "sales", ["vendor", "block_time"]),
    ("ix_inspections_block_time", "inspections", ["block_time"]),
    ("ix_custody_events_kind_time", "custody_events", ["kind", "block_time"]),
    ("ix_imports_block_time", "imports", ["block_time"]),
    ("ix_recalls_block_time", "recalls", ["block_time"]),
)


def upgrade() -> None:
    op.create_table(
        "ratings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("sale_id", sa.String(length=66), nullable=False),
        sa.Column("vendor", sa.String(length=42), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ratings")),
        sa.UniqueConstraint("sale_id", name=op.f("uq_ratings_sale_id")),
    )
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ratings_vendor"), ["vendor"], unique=False)
    for name, table, columns in BOARD_INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(BOARD_INDEXES):
        op.drop_index(name, table_name=table)
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ratings_vendor"))
    op.drop_table("ratings")
