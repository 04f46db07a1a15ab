"""The vocabulary against the compiled contract: role ids and bits, the status enum, the events.

Python's copy of the contract's words is checked here, on anvil and in the ABI, so that a change
on one side fails a test instead of drifting silently.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from eth_utils import keccak

from ledger.chain.abi import ContractAbi
from ledger.store.models import Base
from ledger.vocabulary import (
    DEFAULT_ADMIN_ROLE,
    EVENTS,
    MARKET_ROLES,
    ROLE_BIT_OF_ID,
    STATUSES,
    Residue,
    shown_status,
    timeline_kind,
)
from tests.factories.market import Market, harvest, quarantined

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"


@pytest.mark.parametrize("role", MARKET_ROLES, ids=lambda r: r.name)
def test_role_id_is_keccak_of_its_name_and_the_contract_constant(market: Market, role) -> None:
    assert role.id == keccak(text=f"{role.name}_ROLE")
    assert market.ledger.read(role.constant) == [role.id]
    assert ROLE_BIT_OF_ID["0x" + role.id.hex()] == role.bit


@pytest.mark.parametrize("role", MARKET_ROLES, ids=lambda r: r.name)
def test_role_bit_is_the_contract_bit_of_a_granted_participant(market: Market, role) -> None:
    assert market.ledger.read("roleBit", role.id) == [role.bit]
    newcomer = market.outsider.address
    market.ledger.register_participant(market.admin, newcomer, role.name, "Newcomer", "ID-0001")
    (record,) = market.ledger.read("participant", newcomer)
    assert record["roles"] == role.bit


def test_role_bits_are_distinct_and_the_admin_role_is_zero(market: Market) -> None:
    assert len({r.bit for r in MARKET_ROLES}) == len(MARKET_ROLES)
    assert all(r.bit & (r.bit - 1) == 0 for r in MARKET_ROLES)  # one bit each
    assert market.ledger.read("DEFAULT_ADMIN_ROLE") == [DEFAULT_ADMIN_ROLE]
    assert market.ledger.read("roleBit", DEFAULT_ADMIN_ROLE) == [0]


def _status(market: Market, batch_id: bytes) -> int:
    (view,) = market.ledger.read("batch", batch_id)
    return view["status"]


def test_status_values_follow_the_enum_order_of_the_contract(market: Market) -> None:
    """A batch in each state, read raw from the contract's ``batch`` view."""
    seen = {"none": _status(market, keccak(text="no such batch"))}
    active = harvest(market, quantity=10)
    seen["active"] = _status(market, active)
    moving = harvest(market, quantity=10)
    market.ledger.hand_off(market.supplier, moving, market.vendor.address)
    seen["in_transit"] = _status(market, moving)
    seen["quarantined"] = _status(market, quarantined(market))
    recalled = harvest(market, quantity=10)
    market.ledger.recall(market.regulator, [recalled], "test")
    seen["recalled"] = _status(market, recalled)
    sold = harvest(market, quantity=10)
    market.ledger.split(market.supplier, sold, [("SOLD-OUT-PART", 10)])
    seen["sold_out"] = _status(market, sold)
    assert seen == {name: STATUSES.index(name) for name in STATUSES}


def test_status_names_are_the_solidity_enum_members_in_order() -> None:
    source = (CONTRACTS / "interfaces" / "IBatchRegistry.sol").read_text()
    members = re.search(r"enum Status \{([^}]*)\}", source).group(1)
    names = [re.sub(r"(?<!^)(?=[A-Z])", "_", m.strip()).lower() for m in members.split(",") if m.strip()]
    assert tuple(names) == STATUSES


def test_in_transit_is_an_active_batch_with_a_pending_recipient() -> None:
    recipient = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    assert shown_status("active", recipient) == "in_transit"
    assert shown_status("active", None) == "active"
    assert shown_status("quarantined", recipient) == "quarantined"  # the contract keeps the stored status


def test_every_event_of_the_abi_has_one_vocabulary_entry_and_back() -> None:
    abi = ContractAbi.load()
    names = sorted(entry["name"] for entry in abi.events_by_topic.values())
    assert len(names) == len(set(names))  # one signature per name: names are keys
    assert names == sorted(EVENTS)


def test_event_tables_exist_and_timeline_names_are_unique() -> None:
    tables = set(Base.metadata.tables)
    assert {e.table for e in EVENTS.values() if e.table} <= tables
    # One timeline name per step; an import is one step whether recorded alone or as a line
    # of a declaration.
    steps: dict[str, set[str]] = {}
    for e in EVENTS.values():
        if e.timeline:
            steps.setdefault(e.timeline, set()).add(e.event)
    shared = {name: events for name, events in steps.items() if len(events) > 1}
    assert shared == {"imported": {"ImportRegistered", "ImportLineRegistered"}}
    assert timeline_kind("lineage", "merge") == "merged"
    assert timeline_kind("custody_events", "shipped") == "shipped"
    with pytest.raises(KeyError):
        timeline_kind("lineage", "shipped")


def test_residue_fields_are_the_contract_tuple() -> None:
    abi = ContractAbi.load()
    (residues,) = [p for p in abi.function("recordInspection")["inputs"] if p["name"] == "residues"]
    assert [c["name"] for c in residues["components"]] == ["substance", "measured", "limit", "unit"]
    assert Residue("lead", 301, 300).exceeded and not Residue("lead", 300, 300).exceeded
    assert Residue.from_row({"substance": "lead", "measured": 1, "limit_value": 300, "unit": "ug/kg"}) == Residue(
        "lead", 1, 300
    )
