"""imports: the HS code of each imported batch and its line in the customs declaration

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("imports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hs_code", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("declaration_line", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_imports_declaration_number"), ["declaration_number"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_imports_declaration_number"))
        batch_op.drop_column("declaration_line")
        batch_op.drop_column("hs_code")
