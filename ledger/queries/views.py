"""What the queries return: plain frozen dataclasses, no ORM objects and nothing web."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ledger.vocabulary import Residue


@dataclass(frozen=True)
class Party:
    """A participant as shown to people: address, display name, GLN or licence number."""

    address: str
    name: str | None = None
    identifier: str | None = None


@dataclass(frozen=True)
class BatchView:
    batch_id: str
    gtin: str
    lot: str
    unit: str
    quantity: int
    remaining: int
    status: str  # active, in_transit, quarantined, recalled, sold_out
    custodian: Party
    pending_recipient: Party | None
    origin_kind: str  # harvest, import, split, merge
    created_at: int
    created_block: int


@dataclass(frozen=True)
class TimelineEvent:
    """One step in a batch's history, in chain order.

    ``kind`` is one of harvested, imported, shipped, received, cancelled, split, merged,
    inspected, released, recalled, sold. ``details`` holds the step's own data (origin,
    declaration, residues, quantities, price, ...).
    """

    kind: str
    batch_id: str
    lot: str
    block_number: int
    log_index: int
    time: int
    tx_hash: str
    actor: Party
    counterparty: Party | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SaleView:
    sale_id: str
    serial: int
    batch_id: str
    gtin: str
    lot: str
    vendor: Party
    quantity: int
    unit: str
    price: int
    currency: str
    time: int
    block_number: int
    tx_hash: str


@dataclass(frozen=True)
class Origin:
    """Where produce entered the ledger: a farm harvest or a customs import."""

    kind: str  # harvest or import
    batch_id: str
    gtin: str
    lot: str
    party: Party
    time: int
    place: str  # harvest location, or country of origin and port of entry
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CustodyChain:
    """A sale's full chain of custody back to every origin."""

    sale: SaleView
    batch: BatchView
    origins: list[Origin]
    events: list[TimelineEvent]
    alerts: list[TimelineEvent]  # recalls and failed tests anywhere in the lineage
    as_of_block: int | None


@dataclass(frozen=True)
class TraceResult:
    """Everything downstream of a batch: what a recall must cover."""

    batch: BatchView
    descendants: list[BatchView]
    sales: list[SaleView]
    holders: list[Party]  # who holds stock of the batch or its descendants now
    stalls: list[Party]  # vendors who hold or sold any of it
    as_of_block: int | None


@dataclass(frozen=True)
class InspectionView:
    batch_id: str
    lot: str
    lab: Party
    passed: bool
    time: int
    block_number: int
    residues: list[Residue]
    report_cid: str | None


@dataclass(frozen=True)
class StallProfile:
    vendor: Party
    roles: int
    suspended: bool
    stock: list[BatchView]
    recent_inspections: list[InspectionView]
    recent_sales: list[SaleView]
    as_of_block: int | None
