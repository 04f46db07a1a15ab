"""The market's words, each defined once: roles, batch statuses, event kinds, a residue.

The contract is the source of truth; ``tests/ledger/test_vocabulary.py`` checks every entry
here against the compiled contract (role ids and bits, the status enum's order, the event
signatures), so Solidity and Python cannot drift apart silently. Where a layer has to use
another word (SQL reserves ``LIMIT``; OpenZeppelin's events say ``account``), the
translation is written here, next to the word.

Example::

    >>> ROLE_BITS["VENDOR"], has_role(ROLE_BITS["VENDOR"] | ROLE_BITS["LAB"], "LAB")
    (8, True)
    >>> shown_status(ACTIVE, pending_recipient="0x70997970C51812dc3A010C7d01b50e0d17dc79C8")
    'in_transit'
    >>> EVENTS["BatchesMerged"].table, EVENTS["BatchesMerged"].kind, EVENTS["BatchesMerged"].timeline
    ('lineage', 'merge', 'merged')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from eth_utils import keccak

from ledger.hexes import to_hex

# ------------------------------------------------------------------ roles


@dataclass(frozen=True)
class Role:
    """A market role: its name, its bit in the participant record, its AccessControl id."""

    name: str  # "SUPPLIER"; the contract's constant is f"{name}_ROLE"
    bit: int

    @property
    def constant(self) -> str:
        return f"{self.name}_ROLE"

    @property
    def id(self) -> bytes:
        """keccak256 of the constant's name, as ``ParticipantRegistry`` defines it."""
        return keccak(text=self.constant)


#: The market roles (``ParticipantRegistry``'s ``*_ROLE`` constants and ``*_BIT`` bits).
MARKET_ROLES: tuple[Role, ...] = (
    Role("SUPPLIER", 1),
    Role("CUSTOMS", 2),
    Role("LAB", 4),
    Role("VENDOR", 8),
    Role("REGULATOR", 16),
)
#: OpenZeppelin AccessControl's admin role: the market authority.
DEFAULT_ADMIN_ROLE = bytes(32)

ROLE_NAMES: tuple[str, ...] = tuple(role.name for role in MARKET_ROLES)
#: Role name -> role id (bytes32), for contract calls.
ROLE_IDS: dict[str, bytes] = {role.name: role.id for role in MARKET_ROLES}
#: Role name -> bit in the participant record's ``roles``.
ROLE_BITS: dict[str, int] = {role.name: role.bit for role in MARKET_ROLES}
#: Role id as 0x hex (as the indexer stores event arguments) -> bit.
ROLE_BIT_OF_ID: dict[str, int] = {to_hex(role.id): role.bit for role in MARKET_ROLES}


def has_role(roles: int, name: str) -> bool:
    """Whether the participant record's role bits `roles` include role `name`."""
    return bool(roles & ROLE_BITS[name])


# ------------------------------------------------------------------ batch statuses

#: ``IBatchRegistry.Status``, in the enum's order (the contract returns the index).
STATUSES: tuple[str, ...] = ("none", "active", "in_transit", "quarantined", "recalled", "sold_out")
NONE, ACTIVE, IN_TRANSIT, QUARANTINED, RECALLED, SOLD_OUT = STATUSES


def shown_status(stored: str, pending_recipient: str | None) -> str:
    """The status a person sees: "in transit" is not stored (neither on-chain nor in the
    index) but is an active batch with a pending recipient, as the contract's ``batch`` says."""
    return IN_TRANSIT if stored == ACTIVE and pending_recipient else stored


# ------------------------------------------------------------------ events


@dataclass(frozen=True)
class EventKind:
    """One contract event and its names downstream.

    ``table`` is where the indexer puts its rows (beside ``raw_events``, which holds every
    event); ``kind`` the value of that table's ``kind`` column where the table holds several
    events (custody_events, lineage) and of ``batches.origin_kind`` for the events that create
    a batch; ``timeline`` the step's name in a batch's history (``TimelineEvent.kind``).
    """

    event: str
    table: str | None
    kind: str | None = None
    timeline: str | None = None


_EVENT_KINDS: tuple[EventKind, ...] = (
    EventKind("RoleAdminChanged", None),  # OpenZeppelin's; the market never changes role admins
    EventKind("RoleGranted", "participants"),
    EventKind("RoleRevoked", "participants"),
    EventKind("ParticipantRegistered", "participants"),
    EventKind("ParticipantUpdated", "participants"),
    EventKind("ParticipantSuspended", "participants"),
    EventKind("ParticipantReinstated", "participants"),
    EventKind("HarvestRegistered", "harvests", "harvest", "harvested"),
    EventKind("ImportRegistered", "imports", "import", "imported"),
    # A declaration's header once per call, then a line per import: both fill `imports` rows.
    EventKind("DeclarationRegistered", "imports"),
    EventKind("ImportLineRegistered", "imports", "import", "imported"),
    EventKind("HandOffInitiated", "custody_events", "shipped", "shipped"),
    EventKind("HandOffAccepted", "custody_events", "received", "received"),
    EventKind("HandOffCancelled", "custody_events", "cancelled", "cancelled"),
    EventKind("BatchSplit", "lineage", "split", "split"),
    EventKind("BatchesMerged", "lineage", "merge", "merged"),
    EventKind("InspectionRecorded", "inspections", None, "inspected"),
    EventKind("QuarantineReleased", "quarantine_releases", None, "released"),
    EventKind("SaleRecorded", "sales", None, "sold"),
    EventKind("RecallIssued", "recalls", None, "recalled"),
    EventKind("NoticePublished", "notices"),
    EventKind("LayoutPublished", "layouts"),
    EventKind("PluMapped", "plu_mappings"),  # a stall's scale key, not a step of the batch
)
#: Solidity event name -> its names downstream.
EVENTS: dict[str, EventKind] = {e.event: e for e in _EVENT_KINDS}


def timeline_kind(table: str, kind: str) -> str:
    """The timeline's name of a row of `table` whose ``kind`` column says `kind`."""
    for entry in _EVENT_KINDS:
        if entry.table == table and entry.kind == kind and entry.timeline:
            return entry.timeline
    raise KeyError(f"no event writes kind {kind!r} to {table}")


# ------------------------------------------------------------------ residues


@dataclass(frozen=True)
class Residue:
    """One residue result of a test: the measured value and its legal limit, whole numbers
    in `unit`. The same shape goes into ``recordInspection`` and comes out of the queries."""

    substance: str
    measured: int
    limit: int
    unit: str = "ug/kg"
    #: Whether the value broke its limit; a field (not a property) so that it serialises.
    exceeded: bool = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "exceeded", self.measured > self.limit)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Residue:
        """A row of the ``residues`` table, whose limit column is ``limit_value`` (SQL
        reserves ``LIMIT``)."""
        return cls(row["substance"], int(row["measured"]), int(row["limit_value"]), row["unit"])
