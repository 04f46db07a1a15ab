"""webhook sealing: secrets sealed at rest, the delivery log keeps outcome classes only

The secret column becomes ``sealed_secret`` (a Fernet token is longer than the clear
secret). This migration cannot seal: the key lives in the settings or the data directory,
which a schema migration does not see. Rows copied over still hold the clear ``whsec_...``
text until the API or the notifier starts and seals them
(:func:`ledger.store.webhooks.seal_clear_secrets`, called right after every migration).

``last_status_code`` and ``last_error`` (the answer's code and the error's text, which told
a vendor what a server it does not own answered) give way to ``last_outcome``: existing
rows keep their status class, or ``timeout`` / ``refused`` / ``deleted`` read from the old
error, and the text itself is gone.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_DELIVERIES = sa.table(
    "webhook_deliveries",
    sa.column("last_status_code", sa.Integer()),
    sa.column("last_error", sa.Text()),
    sa.column("last_outcome", sa.String()),
)


def upgrade() -> None:
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.alter_column("secret", new_column_name="sealed_secret", existing_type=sa.String(80), type_=sa.Text())

    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_outcome", sa.String(length=8), nullable=True))
    code, error = _DELIVERIES.c.last_status_code, _DELIVERIES.c.last_error
    op.execute(
        _DELIVERIES.update().values(
            last_outcome=sa.case(
                (code.between(200, 299), "2xx"),
                (code.between(300, 399), "3xx"),
                (code.between(400, 499), "4xx"),
                (code.between(500, 599), "5xx"),
                (error.like("%Timeout%"), "timeout"),
                (error == "the webhook was deleted", "deleted"),
                (error.is_not(None), "refused"),
                else_=None,
            )
        )
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_column("last_error")
        batch_op.drop_column("last_status_code")


def downgrade() -> None:
    # Sealed secrets stay sealed (the key is not at hand here) and the column stays Text (a
    # token does not fit the old 80 characters); the old code cannot sign with them, so
    # re-register webhooks after a downgrade.
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_status_code", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch_op.drop_column("last_outcome")
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.alter_column("sealed_secret", new_column_name="secret", existing_type=sa.Text())
