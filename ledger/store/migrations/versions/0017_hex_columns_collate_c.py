"""Hex identifiers (batch and sale ids, addresses, hashes) in the "C" collation on PostgreSQL:
compared byte by byte instead of by the database's linguistic collation, in every index insert,
lookup and index build. Lower-case hex sorts the same either way; checksummed addresses (mixed
case) now sort by byte, which only the write queue's and the people list's groupings use.
SQLite compares text byte by byte already: nothing to change there.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

#: Every hex column, by table: (name, length). PostgreSQL rebuilds the indexes on each.
HEX_COLUMNS: dict[str, tuple[tuple[str, int], ...]] = {
    "api_keys": (("address", 42),),
    "batches": (("batch_id", 66), ("custodian", 42), ("pending_recipient", 42), ("created_tx", 66)),
    "chain_identity": (("genesis_hash", 66), ("contract_address", 42)),
    "checkpoint": (("block_hash", 66),),
    "custody_events": (("batch_id", 66), ("from_address", 42), ("to_address", 42), ("tx_hash", 66)),
    "documents": (("batch_id", 66), ("tx_hash", 66)),
    "epcis_capture_jobs": (("address", 42),),
    "harvests": (("batch_id", 66), ("supplier", 42), ("tx_hash", 66)),
    "imports": (("batch_id", 66), ("importer", 42), ("customs", 42), ("tx_hash", 66)),
    "inspections": (("batch_id", 66), ("lab", 42), ("tx_hash", 66)),
    "intent_people": (("participant", 42),),
    "intent_transactions": (("tx_hash", 66), ("sender", 42)),
    "intents": (("sender", 42), ("tx_hash", 66)),
    "layouts": (("authority", 42), ("tx_hash", 66)),
    "lineage": (("parent_id", 66), ("child_id", 66), ("custodian", 42), ("tx_hash", 66)),
    "notices": (("author", 42), ("batch_id", 66), ("stall", 42), ("tx_hash", 66)),
    "participants": (("address", 42),),
    "people": (("participant", 42),),
    "person_sessions": (("participant", 42),),
    "plu_mappings": (("vendor", 42), ("batch_id", 66), ("tx_hash", 66)),
    "quarantine_releases": (("batch_id", 66), ("regulator", 42), ("tx_hash", 66)),
    "ratings": (("sale_id", 66), ("vendor", 42)),
    "raw_events": (("block_hash", 66), ("tx_hash", 66)),
    "recalls": (("batch_id", 66), ("regulator", 42), ("tx_hash", 66)),
    "receipt_scan_totals": (("sale_id", 66),),
    "receipt_scans": (("sale_id", 66),),
    "recent_blocks": (("hash", 66),),
    "residues": (("batch_id", 66), ("tx_hash", 66)),
    "sale_serials": (("batch_id", 66),),
    "sales": (("sale_id", 66), ("batch_id", 66), ("vendor", 42), ("tx_hash", 66)),
    "scale_weighings": (("stall", 42),),
    "state_journal": (("key", 66),),
    "webhook_deliveries": (("recall_tx", 66),),
    "webhooks": (("owner", 42),),
}


def _collate(collation: str | None) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in HEX_COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for name, length in columns:
                batch.alter_column(name, type_=sa.String(length, collation=collation), existing_type=sa.String(length))


def upgrade() -> None:
    _collate("C")


def downgrade() -> None:
    _collate(None)
