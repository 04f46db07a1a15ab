"""epcis_capture_jobs: EPCIS capture jobs

Also an index of the lineage in chain order (block, log index): EPCIS queries page through
it, and its primary key leads with the position of an edge within its log.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "epcis_capture_jobs",
        sa.Column("capture_id", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("finished_at", sa.BigInteger(), nullable=True),
        sa.Column("running", sa.Boolean(), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("error_behaviour", sa.String(length=16), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.Column("results", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("capture_id", name=op.f("pk_epcis_capture_jobs")),
    )
    with op.batch_alter_table("epcis_capture_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_epcis_capture_jobs_address"), ["address"], unique=False)
    op.create_index("ix_lineage_block_log", "lineage", ["block_number", "log_index"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_lineage_block_log", table_name="lineage")
    with op.batch_alter_table("epcis_capture_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_epcis_capture_jobs_address"))
    op.drop_table("epcis_capture_jobs")
