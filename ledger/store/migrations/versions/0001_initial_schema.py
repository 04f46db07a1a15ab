"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-25 22:35:12.093491
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "batches",
        sa.Column("batch_id", sa.String(length=66), nullable=False),
        sa.Column("gtin", sa.String(length=14), nullable=False),
        sa.Column("lot", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=3), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("remaining", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("custodian", sa.String(length=42), nullable=False),
        sa.Column("pending_recipient", sa.String(length=42), nullable=True),
        sa.Column("sale_count", sa.Integer(), nullable=False),
        sa.Column("origin_kind", sa.String(length=8), nullable=False),
        sa.Column("created_block", sa.BigInteger(), nullable=False),
        sa.Column("created_log_index", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("created_tx", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("batch_id", name=op.f("pk_batches")),
        sa.UniqueConstraint("gtin", "lot", name=op.f("uq_batches_gtin_lot")),
    )
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_batches_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_batches_created_block"), ["created_block"], unique=False)
        batch_op.create_index(batch_op.f("ix_batches_custodian"), ["custodian"], unique=False)
        batch_op.create_index(batch_op.f("ix_batches_status"), ["status"], unique=False)

    op.create_table(
        "chain_identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("genesis_hash", sa.String(length=66), nullable=False),
        sa.Column("contract_address", sa.String(length=42), nullable=False),
        sa.Column("deploy_block", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_identity")),
    )
    op.create_table(
        "checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkpoint")),
    )
    op.create_table(
        "custody_events",
        sa.Column("batch_id", sa.String(length=66), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("from_address", sa.String(length=42), nullable=False),
        sa.Column("to_address", sa.String(length=42), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("block_number", "log_index", name=op.f("pk_custody_events")),
    )
    with op.batch_alter_table("custody_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_custody_events_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_custody_events_from_address"), ["from_address"], unique=False)
        batch_op.create_index(batch_op.f("ix_custody_events_to_address"), ["to_address"], unique=False)

    op.create_table(
        "documents",
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("cid", sa.Text(), nullable=False),
        sa.Column("batch_id", sa.String(length=66), nullable=False),
        sa.Column("step", sa.String(length=12), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("position", "block_number", "log_index", name=op.f("pk_documents")),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_documents_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_cid"), ["cid"], unique=False)

    op.create_table(
        "harvests",
        sa.Column("batch_id", sa.String(length=66), nullable=False),
        sa.Column("supplier", sa.String(length=42), nullable=False),
        sa.Column("harvested_at", sa.BigInteger(), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("document_cid", sa.Text(), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("block_number", "log_index", name=op.f("pk_harvests")),
        sa.UniqueConstraint("batch_id", name=op.f("uq_harvests_batch_id")),
    )
    with op.batch_alter_table("harvests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_harvests_supplier"), ["supplier"], unique=False)

    op.create_table(
        "imports",
        sa.Column("batch_id", sa.String(length=66), nullable=False),
        sa.Column("importer", sa.String(length=42), nullable=False),
        sa.Column("customs", sa.String(length=42), nullable=False),
        sa.Column("origin_country", sa.String(length=2), nullable=False),
        sa.Column("declaration_number", sa.Text(), nullable=False),
        sa.Column("cleared_at", sa.BigInteger(), nullable=False),
        sa.Column("entry_port", sa.Text(), nullable=False),
        sa.Column("document_cid", sa.Text(), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("block_number", "log_index", name=op.f("pk_imports")),
        sa.UniqueConstraint("batch_id", name=op.f("uq_imports_batch_id")),
    )
    with op.batch_alter_table("imports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_imports_importer"), ["importer"], unique=False)
        batch_op.create_index(batch_op.f("ix_imports_origin_country"), ["origin_country"], unique=False)

    op.create_table(
        "inspections",
        sa.Column("batch_id", sa.String(length=66), nullable=False),
        sa.Column("lab", sa.String(length=42), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("report_cid", sa.Text(), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("block_number", "log_index", name=op.f("pk_inspections")),
    )
    with op.batch_alter_table("inspections", schema=None) as batch_op:
        batch_op.create_index("ix_inspections_batch_block", ["batch_id", "block_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_inspections_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_inspections_lab"), ["lab"], unique=False)

    op.create_table(
        "lineage",
        sa.Column("parent_id", sa.String(length=66), nullable=False),
        sa.Column("child_id", sa.String(length=66), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("custodian", sa.String(length=42), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("position", "block_number", "log_index", name=op.f("pk_lineage")),
    )
    with op.batch_alter_table("lineage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lineage_child_id"), ["child_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_lineage_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "participants",
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("identifier", sa.Text(), nullable=False),
        sa.Column("roles", sa.Integer(), nullable=False),
        sa.Column("suspended", sa.Boolean(), nullable=False),
        sa.Column("suspension_reason", sa.Text(), nullable=True),
        sa.Column("registered_block", sa.BigInteger(), nullable=False),
        sa.Column("registered_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_participants")),
    )
    op.create_table(
        "quarantine_releases",
        sa.Column("batch_id", sa.String(length=66), nullable=False),
        sa.Column("regulator", sa.String(length=42), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("block_number", "log_index", name=op.f("pk_quarantine_releases")),
    )
    with op.batch_alter_table("quarantine_releases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quarantine_releases_batch_id"), ["batch_id"], unique=False)

    op.create_table(
        "raw_events",
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("tx_index", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("block_number", "log_index", name=op.f("pk_raw_events")),
        sa.UniqueConstraint("block_hash", "log_index", name=op.f("uq_raw_events_block_hash_log_index")),
    )
    with op.batch_alter_table("raw_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_raw_events_name"), ["name"], unique=False)

    op.create_table(
        "recalls",
        sa.Column("batch_id", sa.String(length=66), nullable=False),
        sa.Column("regulator", sa.String(length=42), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("block_number", "log_index", name=op.f("pk_recalls")),
    )
    with op.batch_alter_table("recalls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recalls_batch_id"), ["batch_id"], unique=False)

    op.create_table(
        "recent_blocks",
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_recent_blocks")),
    )
    op.create_table(
        "residues",
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.String(length=66), nullable=False),
        sa.Column("substance", sa.Text(), nullable=False),
        sa.Column("measured", sa.BigInteger(), nullable=False),
        sa.Column("limit_value", sa.BigInteger(), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("position", "block_number", "log_index", name=op.f("pk_residues")),
    )
    with op.batch_alter_table("residues", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_residues_batch_id"), ["batch_id"], unique=False)

    op.create_table(
        "sales",
        sa.Column("sale_id", sa.String(length=66), nullable=False),
        sa.Column("batch_id", sa.String(length=66), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("vendor", sa.String(length=42), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("price", sa.Numeric(precision=39, scale=0), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("block_number", "log_index", name=op.f("pk_sales")),
        sa.UniqueConstraint("sale_id", name=op.f("uq_sales_sale_id")),
    )
    with op.batch_alter_table("sales", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sales_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sales_vendor"), ["vendor"], unique=False)
        batch_op.create_index("ix_sales_vendor_block", ["vendor", "block_number"], unique=False)

    op.create_table(
        "state_journal",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=66), nullable=False),
        sa.Column("previous", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_state_journal")),
    )
    with op.batch_alter_table("state_journal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_state_journal_block_number"), ["block_number"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("state_journal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_state_journal_block_number"))

    op.drop_table("state_journal")
    with op.batch_alter_table("sales", schema=None) as batch_op:
        batch_op.drop_index("ix_sales_vendor_block")
        batch_op.drop_index(batch_op.f("ix_sales_vendor"))
        batch_op.drop_index(batch_op.f("ix_sales_batch_id"))

    op.drop_table("sales")
    with op.batch_alter_table("residues", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_residues_batch_id"))

    op.drop_table("residues")
    op.drop_table("recent_blocks")
    with op.batch_alter_table("recalls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recalls_batch_id"))

    op.drop_table("recalls")
    with op.batch_alter_table("raw_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_raw_events_name"))

    op.drop_table("raw_events")
    with op.batch_alter_table("quarantine_releases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quarantine_releases_batch_id"))

    op.drop_table("quarantine_releases")
    op.drop_table("participants")
    with op.batch_alter_table("lineage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lineage_parent_id"))
        batch_op.drop_index(batch_op.f("ix_lineage_child_id"))

    op.drop_table("lineage")
    with op.batch_alter_table("inspections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspections_lab"))
        batch_op.drop_index(batch_op.f("ix_inspections_batch_id"))
        batch_op.drop_index("ix_inspections_batch_block")

    op.drop_table("inspections")
    with op.batch_alter_table("imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_imports_origin_country"))
        batch_op.drop_index(batch_op.f("ix_imports_importer"))

    op.drop_table("imports")
    with op.batch_alter_table("harvests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_harvests_supplier"))

    op.drop_table("harvests")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_cid"))
        batch_op.drop_index(batch_op.f("ix_documents_batch_id"))

    op.drop_table("documents")
    with op.batch_alter_table("custody_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_custody_events_to_address"))
        batch_op.drop_index(batch_op.f("ix_custody_events_from_address"))
        batch_op.drop_index(batch_op.f("ix_custody_events_batch_id"))

    op.drop_table("custody_events")
    op.drop_table("checkpoint")
    op.drop_table("chain_identity")
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_batches_status"))
        batch_op.drop_index(batch_op.f("ix_batches_custodian"))
        batch_op.drop_index(batch_op.f("ix_batches_created_block"))
        batch_op.drop_index(batch_op.f("ix_batches_created_at"))

    op.drop_table("batches")
