"""Tables: the raw event log, projections of the events, and the indexer's bookkeeping.

Every row derived from an event carries the event's ``block_number`` (and ``log_index``), so
a reorg can delete exactly the rows of orphaned blocks. Mutable state (batches, participants)
is undone through ``state_journal``, which keeps each row's previous value per block while
that block can still be reorganised.

Bytes are stored as 0x-prefixed lower-case hex, addresses checksummed, GTINs as 14 digits.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Index,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: Hex identifiers compare byte by byte: on PostgreSQL the columns use the "C" collation, not
#: the database's linguistic one, whose comparisons (every index insert and lookup, every
#: sort of an index build) cost several times a memcmp; nothing shows ids sorted to people.
HEX32 = String(66).with_variant(String(66, collation="C"), "postgresql")
ADDRESS = String(42).with_variant(String(42, collation="C"), "postgresql")
#: Hex digits of a sale id (after its "0x") that its lookup index keys: 32 bits, so that
#: even a hundred million sales share a key only now and then.
SALE_ID_PREFIX = 8


class WholeAmount(Numeric):
    """A whole number of up to 39 digits (a sale's price in minor units: a uint128 on chain),
    ``NUMERIC(39, 0)``, read and written exactly on both databases. PostgreSQL's NUMERIC is
    exact; SQLite keeps an integer as an integer, but SQLAlchemy's NUMERIC goes through a float
    there both ways (exact only to 2**53), so on SQLite the integer is passed as it is."""

    def __init__(self) -> None:
        super().__init__(39, 0)

    def bind_processor(self, dialect: Any) -> Any:
        if dialect.name == "sqlite":
            return lambda value: None if value is None else int(value)
        return super().bind_processor(dialect)

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        return None if dialect.name == "sqlite" else super().result_processor(dialect, coltype)


NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class EventRow:
    """Columns of every table whose rows come from one event."""

    block_number: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    block_time: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(HEX32)


# ------------------------------------------------------------------ bookkeeping


class ChainIdentity(Base):
    """Which chain and contract this database mirrors; another chain is refused."""

    __tablename__ = "chain_identity"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    genesis_hash: Mapped[str] = mapped_column(HEX32)
    contract_address: Mapped[str] = mapped_column(ADDRESS)
    deploy_block: Mapped[int] = mapped_column(BigInteger)


class Checkpoint(Base):
    """The last block whose events are all in the database."""

    __tablename__ = "checkpoint"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(HEX32)


class RecentBlock(Base):
    """Hashes of the blocks that a reorg could still replace, to find a common ancestor."""

    __tablename__ = "recent_blocks"
    number: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hash: Mapped[str] = mapped_column(HEX32)


class StateJournal(Base):
    """The value a mutable row had before block ``block_number`` changed it (None: absent)."""

    __tablename__ = "state_journal"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(HEX32)  # a batch id, or a participant's address
    previous: Mapped[dict | None] = mapped_column(JSON, nullable=True)


# ------------------------------------------------------------------ raw log


class RawEvent(Base):
    """Every decoded event of the contract, the source every projection can be rebuilt from.

    Indexed by its primary key alone: (block number, log index) names one event, and every
    read of it gives the block number (a backfill sorts no other index of it).
    """

    __tablename__ = "raw_events"
    block_number: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    block_hash: Mapped[str] = mapped_column(HEX32)
    block_time: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(HEX32)
    tx_index: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(40))
    args: Mapped[dict] = mapped_column(JSON)


# ------------------------------------------------------------------ projections: state


class Participant(Base):
    __tablename__ = "participants"
    address: Mapped[str] = mapped_column(ADDRESS, primary_key=True)
    index: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    identifier: Mapped[str] = mapped_column(Text)
    roles: Mapped[int] = mapped_column(Integer)
    suspended: Mapped[bool] = mapped_column(Boolean)
    suspension_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    registered_block: Mapped[int] = mapped_column(BigInteger)
    registered_at: Mapped[int] = mapped_column(BigInteger)


class Batch(Base):
    __tablename__ = "batches"
    batch_id: Mapped[str] = mapped_column(HEX32, primary_key=True)
    gtin: Mapped[str] = mapped_column(String(14))
    lot: Mapped[str] = mapped_column(String(64))
    unit: Mapped[str] = mapped_column(String(3))
    quantity: Mapped[int] = mapped_column(BigInteger)
    remaining: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), index=True)
    custodian: Mapped[str] = mapped_column(ADDRESS, index=True)
    pending_recipient: Mapped[str | None] = mapped_column(ADDRESS, nullable=True)
    sale_count: Mapped[int] = mapped_column(Integer)
    origin_kind: Mapped[str] = mapped_column(String(8))
    created_block: Mapped[int] = mapped_column(BigInteger, index=True)
    created_log_index: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[int] = mapped_column(BigInteger, index=True)
    created_tx: Mapped[str] = mapped_column(HEX32)


# ------------------------------------------------------------------ projections: events


class Harvest(EventRow, Base):
    __tablename__ = "harvests"
    batch_id: Mapped[str] = mapped_column(HEX32)
    supplier: Mapped[str] = mapped_column(ADDRESS, index=True)
    harvested_at: Mapped[int] = mapped_column(BigInteger)
    origin: Mapped[str] = mapped_column(Text)
    document_cid: Mapped[str | None] = mapped_column(Text, nullable=True)


class Import(EventRow, Base):
    __tablename__ = "imports"
    batch_id: Mapped[str] = mapped_column(HEX32)
    importer: Mapped[str] = mapped_column(ADDRESS, index=True)
    customs: Mapped[str] = mapped_column(ADDRESS)
    origin_country: Mapped[str] = mapped_column(String(2), index=True)
    # Harmonized System code (6-10 digits); None for a single import recorded without one.
    hs_code: Mapped[str | None] = mapped_column(String(10), nullable=True)
    declaration_number: Mapped[str] = mapped_column(Text, index=True)
    # The line's position in its declaration (from 0) when recorded by registerImports.
    declaration_line: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cleared_at: Mapped[int] = mapped_column(BigInteger)
    entry_port: Mapped[str] = mapped_column(Text)
    document_cid: Mapped[str | None] = mapped_column(Text, nullable=True)


class LineageEdge(EventRow, Base):
    """``quantity`` of ``parent_id`` went into ``child_id`` (split or merge)."""

    __tablename__ = "lineage"
    # Keyed in chain order, the edge's place in its log last: EPCIS queries page through the
    # lineage in that order, and a backfill appends to the key instead of building a second
    # index in that order.
    __table_args__ = (PrimaryKeyConstraint("block_number", "log_index", "position"),)
    parent_id: Mapped[str] = mapped_column(HEX32, index=True)
    child_id: Mapped[str] = mapped_column(HEX32, index=True)
    quantity: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(8))
    custodian: Mapped[str] = mapped_column(ADDRESS)
    # A merge writes one edge per parent from one log: the position keeps them apart.
    position: Mapped[int] = mapped_column(Integer, primary_key=True)


class CustodyEvent(EventRow, Base):
    """A hand-off (``shipped``), its acceptance (``received``) or cancellation."""

    __tablename__ = "custody_events"
    batch_id: Mapped[str] = mapped_column(HEX32, index=True)
    kind: Mapped[str] = mapped_column(String(12))
    from_address: Mapped[str] = mapped_column(ADDRESS, index=True)
    to_address: Mapped[str] = mapped_column(ADDRESS, index=True)
    quantity: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class Inspection(EventRow, Base):
    __tablename__ = "inspections"
    batch_id: Mapped[str] = mapped_column(HEX32, index=True)
    lab: Mapped[str] = mapped_column(ADDRESS, index=True)
    passed: Mapped[bool] = mapped_column(Boolean)
    report_cid: Mapped[str | None] = mapped_column(Text, nullable=True)


class Residue(EventRow, Base):
    __tablename__ = "residues"
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[str] = mapped_column(HEX32, index=True)
    substance: Mapped[str] = mapped_column(Text)
    measured: Mapped[int] = mapped_column(BigInteger)
    limit_value: Mapped[int] = mapped_column(BigInteger)
    unit: Mapped[str] = mapped_column(String(16))


class QuarantineRelease(EventRow, Base):
    __tablename__ = "quarantine_releases"
    batch_id: Mapped[str] = mapped_column(HEX32, index=True)
    regulator: Mapped[str] = mapped_column(ADDRESS)
    reason: Mapped[str] = mapped_column(Text)


class Sale(EventRow, Base):
    __tablename__ = "sales"
    # Looked up by its first characters (ix_sales_sale_id_prefix, see SALE_ID_PREFIX); unique
    # through (batch_id, serial), of which the contract derives it.
    sale_id: Mapped[str] = mapped_column(HEX32)
    batch_id: Mapped[str] = mapped_column(HEX32)
    serial: Mapped[int] = mapped_column(Integer)
    # By vendor through ix_sales_vendor_block and ix_sales_vendor_time, which lead with it.
    vendor: Mapped[str] = mapped_column(ADDRESS)
    quantity: Mapped[int] = mapped_column(BigInteger)
    price: Mapped[int] = mapped_column(WholeAmount())
    currency: Mapped[str] = mapped_column(String(3))


class Recall(EventRow, Base):
    __tablename__ = "recalls"
    batch_id: Mapped[str] = mapped_column(HEX32, index=True)
    regulator: Mapped[str] = mapped_column(ADDRESS)
    reason: Mapped[str] = mapped_column(Text)


class PluMapping(EventRow, Base):
    """A stall's scale key (PLU) set to sell from a batch; the latest row per (vendor, plu) holds."""

    __tablename__ = "plu_mappings"
    vendor: Mapped[str] = mapped_column(ADDRESS)
    plu: Mapped[int] = mapped_column(Integer)
    batch_id: Mapped[str] = mapped_column(HEX32, index=True)


class Document(EventRow, Base):
    """A document CID recorded at one step of a batch (harvest, import, inspection)."""

    __tablename__ = "documents"
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    cid: Mapped[str] = mapped_column(Text, index=True)
    batch_id: Mapped[str] = mapped_column(HEX32, index=True)
    step: Mapped[str] = mapped_column(String(12))


class Notice(EventRow, Base):
    """A notice of a regulator or the market authority: its text is document `cid`, shown in
    ``[valid_from, valid_until)``; `batch_id` and `stall` name what it concerns (None: none)."""

    __tablename__ = "notices"
    author: Mapped[str] = mapped_column(ADDRESS)
    cid: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[int] = mapped_column(BigInteger)
    valid_until: Mapped[int] = mapped_column(BigInteger, index=True)
    batch_id: Mapped[str | None] = mapped_column(HEX32, nullable=True, index=True)
    stall: Mapped[str | None] = mapped_column(ADDRESS, nullable=True, index=True)


class Layout(EventRow, Base):
    """A floor plan the market authority set (document `cid`); the latest row is current."""

    __tablename__ = "layouts"
    authority: Mapped[str] = mapped_column(ADDRESS)
    cid: Mapped[str] = mapped_column(Text)


# ------------------------------------------------------------------ the API's own tables


class ApiKey(Base):
    """A participant's API key. Only a SHA-256 of the secret is kept: the secret is 32
    random bytes, so a fast hash is as good as a slow one here (unlike a password)."""

    __tablename__ = "api_keys"
    key_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(ADDRESS, index=True)
    label: Mapped[str] = mapped_column(Text)
    created_at: Mapped[int] = mapped_column(BigInteger)
    revoked_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    #: When the key was last accepted, to :data:`ledger.store.api_keys.LAST_USED_STEP_S`.
    last_used_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


#: Tables holding one row (or several) per event; a reorg deletes their rows above the ancestor.
EVENT_TABLES = (
    RawEvent,
    Harvest,
    Import,
    LineageEdge,
    CustodyEvent,
    Inspection,
    Residue,
    QuarantineRelease,
    Sale,
    Recall,
    Document,
    Notice,
    Layout,
    PluMapping,
)

# The unique guards of the tables a backfill fills are unique indexes, not constraints, so that
# a bulk load can defer them with the plain indexes (ledger.store.bulk_load): SQLite cannot
# drop a constraint without rebuilding its table.
Index("uq_batches_gtin_lot", Batch.gtin, Batch.lot, unique=True)
Index("uq_harvests_batch_id", Harvest.batch_id, unique=True)
Index("uq_imports_batch_id", Import.batch_id, unique=True)
# A sale is unique by its batch and serial (the contract derives the sale id from them and
# takes a serial once): a block's sales of a batch land at the end of its run of this index.
# A guard on the sale id itself, a hash, put each of a block's thousands of sales on a random
# leaf of an index the width of the whole id, every one of those pages written again at each
# commit (more of them as sales accumulate); the lookup by sale id goes by its first
# characters instead (17 bytes an entry on SQLite against 84) and compares the whole id on the row.
Index("uq_sales_batch_serial", Sale.batch_id, Sale.serial, unique=True)
Index("ix_sales_sale_id_prefix", func.substr(Sale.sale_id, 3, SALE_ID_PREFIX))
Index("ix_sales_vendor_block", Sale.vendor, Sale.block_number)
Index("ix_plu_mappings_vendor_plu_block", PluMapping.vendor, PluMapping.plu, PluMapping.block_number)
Index("ix_inspections_batch_block", Inspection.batch_id, Inspection.block_number)


# ------------------------------------------------------------------ market board and ratings


class Rating(Base):
    """A shopper's verified-purchase rating of a stall: one per sale, kept by the API only
    (not on-chain, so not undone by reorgs). ``vendor`` is copied from the sale so that a
    stall's mean is one indexed aggregate."""

    __tablename__ = "ratings"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    sale_id: Mapped[str] = mapped_column(HEX32, unique=True)
    vendor: Mapped[str] = mapped_column(ADDRESS, index=True)
    stars: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)


# The board's day-window queries (prices, arrivals, inspections, recalls of one market day).
Index("ix_sales_block_time", Sale.block_time)
Index("ix_sales_vendor_time", Sale.vendor, Sale.block_time)
Index("ix_inspections_block_time", Inspection.block_time)
Index("ix_custody_events_kind_time", CustodyEvent.kind, CustodyEvent.block_time)
Index("ix_imports_block_time", Import.block_time)
Index("ix_recalls_block_time", Recall.block_time)


def sale_id_prefix(sale_id: str | None) -> str | None:
    """What ``ix_sales_sale_id_prefix`` keys sale `sale_id` (0x-hex) by."""
    return None if sale_id is None else sale_id[2 : 2 + SALE_ID_PREFIX]


def sale_id_matches(column: str = "sale_id") -> str:
    """SQL: the sales row whose `column` is ``:sale_id``, found through its lookup index (the
    caller binds ``:sale_id_prefix`` to :func:`sale_id_prefix` of it).

    The whole id is compared as an expression (``CAST ... AS TEXT``), not as the bare column:
    given ``sale_id = ?``, SQLite propagates the constant into ``substr(sale_id, ...)``, which
    then no longer matches the index, and scans the table."""
    return f"substr({column}, 3, {SALE_ID_PREFIX}) = :sale_id_prefix AND CAST({column} AS TEXT) = :sale_id"


def sale_id_is(sale_id: str) -> Any:
    """:func:`sale_id_matches` on the ``sales`` table, its parameters bound: a condition for
    SQLAlchemy's ``where``."""
    return text(sale_id_matches("sales.sale_id")).bindparams(sale_id=sale_id, sale_id_prefix=sale_id_prefix(sale_id))


# ------------------------------------------------------------------ recall webhooks


class Webhook(Base):
    """A stall's endpoint for signed recall notifications. The secret is kept sealed (Fernet,
    :mod:`ledger.notify.secret_box`): the notifier must sign with it, so it cannot be a hash."""

    __tablename__ = "webhooks"
    webhook_id: Mapped[str] = mapped_column(String(24), primary_key=True)
    owner: Mapped[str] = mapped_column(ADDRESS, index=True)
    url: Mapped[str] = mapped_column(Text)
    sealed_secret: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    # Recalls indexed up to this block when the hook was registered are history, not news.
    since_block: Mapped[int] = mapped_column(BigInteger)
    deleted_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class WebhookDelivery(Base):
    """One notification of one recall transaction to one webhook, with its retry state.
    Unique per (webhook, recall transaction): a re-run never sends a second copy."""

    __tablename__ = "webhook_deliveries"
    delivery_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    webhook_id: Mapped[str] = mapped_column(String(24), index=True)
    recall_tx: Mapped[str] = mapped_column(HEX32)
    block_number: Mapped[int] = mapped_column(BigInteger)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), index=True)  # pending, delivered, failed
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[int] = mapped_column(BigInteger)
    last_attempt_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # The status class or failure kind only (ledger.store.webhooks.OUTCOMES): never a body or error text.
    last_outcome: Mapped[str | None] = mapped_column(String(8), nullable=True)
    delivered_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    __table_args__ = (UniqueConstraint("webhook_id", "recall_tx"),)


class NotifierCursor(Base):
    """The block up to which the notifier has turned recalls into deliveries."""

    __tablename__ = "notifier_cursor"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger)


class EpcisCaptureJob(Base):
    """An EPCIS capture job (GS1 REST binding ``/capture/{id}``): who sent how many events,
    whether it still runs, and each event's outcome (recorded, unsupported, failed)."""

    __tablename__ = "epcis_capture_jobs"
    capture_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    address: Mapped[str] = mapped_column(ADDRESS, index=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    finished_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    running: Mapped[bool] = mapped_column(Boolean)
    success: Mapped[bool] = mapped_column(Boolean)
    error_behaviour: Mapped[str] = mapped_column(String(16))
    event_count: Mapped[int] = mapped_column(Integer)
    document_sha256: Mapped[str] = mapped_column(String(64))
    results: Mapped[list | None] = mapped_column(JSON, nullable=True)


# ------------------------------------------------------------------ product catalog


class Product(Base):
    """Trade item master data (GS1): a GTIN's product name, in more languages when known.
    The chain records GTINs only; the market keeps the names here, in the API's database."""

    __tablename__ = "products"
    gtin: Mapped[str] = mapped_column(String(14), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    names: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # language code -> name
    updated_at: Mapped[int] = mapped_column(BigInteger)


# ------------------------------------------------------------------ change marks


class ChangeMark(Base):
    """When what a scan shows last changed, per key (:mod:`ledger.store.change_marks`): a
    batch, a participant, a product's names or a sale's rating; ``*`` stands for everything."""

    __tablename__ = "change_marks"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger)
    changed_at: Mapped[int] = mapped_column(BigInteger)


class ChangeCounter(Base):
    """The newest generation handed to a change mark (one row): its row lock orders the marks'
    writers, so generations grow in the order their transactions commit."""

    __tablename__ = "change_counter"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger)
    #: Drawn at random once per database: generations restart in a database made anew, so
    #: what keeps answers outside the database names it by this too.
    instance: Mapped[str | None] = mapped_column(String(32))


# ------------------------------------------------------------------ receipt scans


class ReceiptScan(Base):
    """How often one network scanned one sale's receipt, first and last: kept by the API only,
    pruned ``last_at`` + the retention later. ``network`` is the scanner's address cut to its
    network (``203.0.113.0/24``, ``2001:db8:1::/48``): nothing finer is stored."""

    __tablename__ = "receipt_scans"
    sale_id: Mapped[str] = mapped_column(HEX32, primary_key=True)
    network: Mapped[str] = mapped_column(String(43), primary_key=True)
    first_at: Mapped[int] = mapped_column(BigInteger)
    last_at: Mapped[int] = mapped_column(BigInteger, index=True)
    scans: Mapped[int] = mapped_column(Integer)


class ReceiptScanTotal(Base):
    """A sale's receipt scans in all: first, last, how often, and when it was flagged as
    possibly copied (scanned from ``networks`` different networks in a short time). No
    network is kept here, so the totals outlive the pruned per-network rows."""

    __tablename__ = "receipt_scan_totals"
    sale_id: Mapped[str] = mapped_column(HEX32, primary_key=True)
    first_at: Mapped[int] = mapped_column(BigInteger)
    last_at: Mapped[int] = mapped_column(BigInteger)
    scans: Mapped[int] = mapped_column(BigInteger)
    networks: Mapped[int] = mapped_column(Integer)
    flagged_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
