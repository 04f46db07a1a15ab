"""receipt_scans: how often each receipt was scanned, from which networks (truncated), and
the receipts flagged as possibly copied

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "receipt_scans",
        sa.Column("sale_id", sa.String(length=66), nullable=False),
        sa.Column("network", sa.String(length=43), nullable=False),
        sa.Column("first_at", sa.BigInteger(), nullable=False),
        sa.Column("last_at", sa.BigInteger(), nullable=False),
        sa.Column("scans", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("sale_id", "network", name=op.f("pk_receipt_scans")),
    )
    op.create_index(op.f("ix_receipt_scans_last_at"), "receipt_scans", ["last_at"], unique=False)
    op.create_table(
        "receipt_scan_totals",
        sa.Column("sale_id", sa.String(length=66), nullable=False),
        sa.Column("first_at", sa.BigInteger(), nullable=False),
        sa.Column("last_at", sa.BigInteger(), nullable=False),
        sa.Column("scans", sa.BigInteger(), nullable=False),
        sa.Column("networks", sa.Integer(), nullable=False),
        sa.Column("flagged_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("sale_id", name=op.f("pk_receipt_scan_totals")),
    )
    op.create_index(op.f("ix_receipt_scan_totals_flagged_at"), "receipt_scan_totals", ["flagged_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_receipt_scan_totals_flagged_at"), table_name="receipt_scan_totals")
    op.drop_table("receipt_scan_totals")
    op.drop_index(op.f("ix_receipt_scans_last_at"), table_name="receipt_scans")
    op.drop_table("receipt_scans")
