"""change counter instance: a random name of this database's marks, for scan answers kept outside it

Generations start again at 0 in a database made anew, so an answer kept outside the database
(the API's shared scan answers, a file that outlives the database it was made from) names the
database too: the ``instance`` drawn here once.

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("change_counter", sa.Column("instance", sa.String(length=32), nullable=True))
    op.execute(sa.text("UPDATE change_counter SET instance = :instance").bindparams(instance=secrets.token_hex(16)))


def downgrade() -> None:
    with op.batch_alter_table("change_counter") as batch:
        batch.drop_column("instance")
