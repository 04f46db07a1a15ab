"""What the queries return: plain frozen dataclasses, no ORM objects and nothing web.

Every result type of :mod:`ledger.queries` is here, so a route or a page imports what it
shows from one place, whichever question produced it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ledger.store.ratings import StallRating
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


def draft_class(cls: type) -> type:
    """A plain class whose instances become instances of the frozen dataclass `cls`, for the
    thousands of views of a trace: set every field of a draft by plain assignment, in the order
    of `cls`'s fields, then assign `cls` to its ``__class__``.

    A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__`` (its own
    ``__setattr__`` refuses). A plain class's assignments are CPython's fastest attribute stores
    (the values kept in the instance, no dict object until one is asked for), and the
    ``__class__`` assignment gives the same object as ``cls(...)``: equal, same hash, repr and
    ``vars`` (keys in field order), immutable. For a trace's 10,000 sales about half the CPU of
    giving each instance a filled dict, and cheaper to free. Only for classes whose ``__init__``
    does nothing else (no ``__post_init__``), and a draft must have every field set: a missing
    one would be missing from the view too.
    """
    draft = type(f"{cls.__name__}Draft", (), {"__module__": cls.__module__})
    draft().__class__ = cls  # the layouts match, or TypeError here rather than in a query
    return draft


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
class BoardInspection:
    """A lab test as the board shows it: the lot, its product, who holds it now, the verdict."""

    batch_id: str
    gtin: str
    lot: str
    holder: Party
    lab: Party
    passed: bool
    time: int
    residues: list[Residue]


@dataclass(frozen=True)
class LotAlert:
    """A lot quarantined (failed test) or recalled in the window, and whether it still is."""

    kind: str  # quarantined or recalled
    batch_id: str
    gtin: str
    lot: str
    holder: Party
    time: int
    reason: str  # the recall's reason; for a quarantine, the substances over their limits
    status: str  # the lot's status now: quarantined, recalled, active (released), ...
    residues: list[Residue]
    block_number: int
    log_index: int


@dataclass(frozen=True)
class PriceRow:
    """One product's prices on one day, market-wide (``vendor`` None) or at one stall.

    ``median``, ``low`` and ``high`` are per unit of ``unit``, in minor units of ``currency``
    (rounded to a whole minor unit); ``sales`` is how many sales, ``quantity`` how much sold.
    """

    day: date
    gtin: str
    unit: str
    currency: str
    vendor: str | None
    sales: int
    quantity: int
    median: int
    low: int
    high: int
    lots: tuple[str, ...]


@dataclass(frozen=True)
class SupplyRow:
    """One product's arrivals on one day: accepted hand-offs and customs imports."""

    day: date
    gtin: str
    unit: str
    received: int
    handoffs: int
    imported: int
    imports: int
    lots: tuple[str, ...]

    @property
    def total(self) -> int:
        return self.received + self.imported


@dataclass(frozen=True)
class StallEntry:
    """One stall of the directory: its registered name and licence, whether it is suspended,
    and shoppers' rating (how a name reads as sign, place and owner is the pages' business)."""

    address: str
    name: str
    licence: str
    suspended: bool
    rating: StallRating


@dataclass(frozen=True)
class StockLot(BatchView):
    """A lot a stall holds now (the batch's own fields), where it came from, and its latest lab
    test (its own or the nearest ancestor's)."""

    origins: list[str]  # farm names (harvests) or ISO country codes (imports)
    origin_kinds: list[str]  # harvest or import, one per origin
    last_inspection: BoardInspection | None


@dataclass(frozen=True)
class StallProfile:
    """The screen above a market stall: the stall (its licence is the vendor's identifier),
    shoppers' rating, its newest lots in stock with origins and latest test, recent tests of
    its stock, recent sales, and its prices of one market day."""

    vendor: Party
    roles: int
    suspended: bool
    rating: StallRating
    stock: list[StockLot]
    recent_inspections: list[InspectionView]
    recent_sales: list[SaleView]
    prices: list[PriceRow]
    as_of_block: int | None

    @property
    def stall(self) -> StallEntry:
        """The stall as the directory lists it."""
        return StallEntry(
            self.vendor.address, self.vendor.name or "", self.vendor.identifier or "", self.suspended, self.rating
        )


@dataclass(frozen=True)
class StallOversight:
    """What a regulator sees per stall: ratings next to the lab tests of its lots."""

    stall: StallEntry
    inspections: int
    failed_inspections: int
    last_failed_at: int | None


@dataclass(frozen=True)
class LedgerRecords:
    """Rows of each step table (``ledger.queries.tables`` names, chain order) and what they
    name: the batches (lineage parents outside the selection included) and the parties, current
    to ``as_of_block``. What an EPCIS export or query and an FSMA 204 spreadsheet are built from.
    """

    rows: dict[str, list[Mapping[str, Any]]]
    batches: dict[str, Mapping[str, Any]]
    parties: dict[str, Party]
    as_of_block: int | None
    #: Each inspection's residues by (block, log index), in the order the lab listed them.
    residues: dict[tuple[int, int], list[Mapping[str, Any]]] = field(default_factory=dict)
    chain_id: int | None = None
    #: With a row limit: the chain position up to which every table's rows are all here
    #: (None when no table reached the limit, i.e. everything after ``after`` is here).
    horizon: tuple[int, int] | None = None
    #: Batch id: (who assigned its lot code, how: harvest, import, split or merge).
    sources: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: The batches a lot code named, when the records are a lot's lineage.
    lot_batches: list[str] = field(default_factory=list)
