"""sale_serials: the serial the write queue last reserved for a sale of each batch, so a
sale's Digital Link is known when it is accepted; scale_weighings.settled_at: when the
gateway saw the receipt it answered at once settled on the chain (recorded, or voided)

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sale_serials",
        sa.Column("batch_id", sa.String(length=66), nullable=False),
        sa.Column("last_serial", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("batch_id", name=op.f("pk_sale_serials")),
    )
    op.add_column("scale_weighings", sa.Column("settled_at", sa.Float(), nullable=True))
    # Before, a weighing was answered only once its sale was final: those are settled.
    op.execute("UPDATE scale_weighings SET settled_at = answered_at WHERE answered_at IS NOT NULL")
    op.create_index("ix_scale_weighings_settled_at", "scale_weighings", ["settled_at"])


def downgrade() -> None:
    op.drop_index("ix_scale_weighings_settled_at", "scale_weighings")
    op.drop_column("scale_weighings", "settled_at")
    op.drop_table("sale_serials")
