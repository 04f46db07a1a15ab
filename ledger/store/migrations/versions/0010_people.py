"""people: the workbench's accounts, sessions, sign-in throttle, and who sent each intent

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("participant", sa.String(length=42), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint("username", name=op.f("uq_people_username")),
    )
    op.create_index(op.f("ix_people_participant"), "people", ["participant"])
    op.create_table(
        "person_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("participant", sa.String(length=42), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("last_seen", sa.Float(), nullable=False),
        sa.Column("ended_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_person_sessions")),
    )
    op.create_index(op.f("ix_person_sessions_person_id"), "person_sessions", ["person_id"])
    op.create_index(op.f("ix_person_sessions_participant"), "person_sessions", ["participant"])
    op.create_table(
        "sign_in_throttle",
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_failure", sa.Float(), nullable=False),
        sa.Column("blocked_until", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_sign_in_throttle")),
    )
    op.create_table(
        "intent_people",
        sa.Column("intent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("participant", sa.String(length=42), nullable=False),
        sa.Column("form", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("intent_id", name=op.f("pk_intent_people")),
    )
    op.create_index("ix_intent_people_participant_intent", "intent_people", ["participant", "intent_id"])


def downgrade() -> None:
    op.drop_table("intent_people")
    op.drop_table("sign_in_throttle")
    op.drop_table("person_sessions")
    op.drop_table("people")
