"""Every role-gated function, called by every participant that must not call it, reverts
with the named error and its arguments; nothing changes on-chain."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from ledger.chain.freshledger import Residue, Sale
from ledger.errors import ContractRevert
from ledger.vocabulary import DEFAULT_ADMIN_ROLE, ROLE_IDS
from tests.factories.batch_calls import chain_now, declaration, lines, lots
from tests.factories.market import GTIN, Market, at_stall, harvest, new_lot, quarantined


@dataclass(frozen=True)
class Gate:
    """A restricted function: the role it needs, how to prepare the state it acts on, and
    how to call it as `caller` on that state."""

    name: str
    role: str  # a market role, or "ADMIN"
    call: Callable[[Market, LocalAccount, Any], object]
    prepare: Callable[[Market], Any] = lambda m: None


def _register_harvest(m: Market, caller: LocalAccount, _: None) -> object:
    return m.ledger.register_harvest(
        caller,
        gtin=GTIN,
        lot=new_lot(),
        quantity=1,
        unit="KGM",
        harvested_at=chain_now(m) - 60,
        origin="6901234000016",
    )


def _register_import(m: Market, caller: LocalAccount, _: None) -> object:
    return m.ledger.register_import(
        caller,
        gtin=GTIN,
        lot=new_lot(),
        quantity=1,
        unit="KGM",
        importer=m.supplier.address,
        origin_country="TH",
        declaration_number="310120261000123456",
        cleared_at=chain_now(m) - 60,
        entry_port="CNNGB",
    )


def _register_harvests(m: Market, caller: LocalAccount, _: None) -> object:
    return m.ledger.register_harvests(caller, lots(m, 2))


def _register_imports(m: Market, caller: LocalAccount, _: None) -> object:
    return m.ledger.register_imports(caller, declaration(m), lines(2))


def _record_sales(m: Market, caller: LocalAccount, batch_id: bytes) -> object:
    return m.ledger.record_sales(caller, [Sale(batch_id, 1, 100, "CNY"), Sale(batch_id, 2, 200, "CNY")])


def _record_inspection(m: Market, caller: LocalAccount, batch_id: bytes) -> object:
    return m.ledger.record_inspection(caller, batch_id, passed=True, residues=[Residue("lead (Pb)", 1, 300)])


def _release_quarantine(m: Market, caller: LocalAccount, batch_id: bytes) -> object:
    return m.ledger.release_quarantine(caller, batch_id, "re-test passed")


def _record_sale(m: Market, caller: LocalAccount, batch_id: bytes) -> object:
    return m.ledger.record_sale(caller, batch_id, quantity=1, price=100, currency="CNY")


def _recall(m: Market, caller: LocalAccount, batch_id: bytes) -> object:
    return m.ledger.recall(caller, [batch_id], "contamination")


def _register_participant(m: Market, caller: LocalAccount, _: None) -> object:
    return m.ledger.register_participant(caller, m.outsider.address, "VENDOR", "Stall Z", "JY0000")


def _suspend(m: Market, caller: LocalAccount, _: None) -> object:
    return m.ledger.suspend_participant(caller, m.vendor2.address, "no licence")


def _grant(m: Market, caller: LocalAccount, _: None) -> object:
    return m.ledger.grant_role(caller, "LAB", m.supplier.address)


def _update(m: Market, caller: LocalAccount, _: None) -> object:
    return m.ledger.transact(caller, "updateParticipant", m.vendor2.address, "Stall B03 new", "JY1")


GATES = [
    Gate("registerHarvest", "SUPPLIER", _register_harvest),
    Gate("registerImport", "CUSTOMS", _register_import),
    Gate("registerHarvests", "SUPPLIER", _register_harvests),
    Gate("registerImports", "CUSTOMS", _register_imports),
    Gate("recordSales", "VENDOR", _record_sales, at_stall),
    Gate("recordInspection", "LAB", _record_inspection, harvest),
    Gate("releaseQuarantine", "REGULATOR", _release_quarantine, quarantined),
    Gate("recordSale", "VENDOR", _record_sale, at_stall),
    Gate("recall", "REGULATOR", _recall, harvest),
    Gate("registerParticipant", "ADMIN", _register_participant),
    Gate("suspendParticipant", "ADMIN", _suspend),
    Gate("updateParticipant", "ADMIN", _update),
    Gate("grantRole", "ADMIN", _grant),
]
CALLERS = ["admin", "supplier", "customs", "lab", "vendor", "regulator", "outsider"]
HOLDER = {
    "ADMIN": "admin",
    "SUPPLIER": "supplier",
    "CUSTOMS": "customs",
    "LAB": "lab",
    "VENDOR": "vendor",
    "REGULATOR": "regulator",
}

CASES = [(gate, caller) for gate in GATES for caller in CALLERS if caller != HOLDER[gate.role]]


def expected_error(market: Market, gate: Gate, caller: str) -> tuple[str, dict]:
    account = getattr(market, caller).address
    if gate.role == "ADMIN":
        return "AccessControlUnauthorizedAccount", {"account": account, "neededRole": DEFAULT_ADMIN_ROLE}
    if caller in ("outsider", "admin"):  # the authority is not a market participant
        return "ParticipantNotRegistered", {"account": account}
    return "AccessControlUnauthorizedAccount", {"account": account, "neededRole": ROLE_IDS[gate.role]}


@pytest.mark.parametrize(("gate", "caller"), CASES, ids=[f"{g.name}-by-{c}" for g, c in CASES])
def test_restricted_function_rejects_other_roles(market: Market, gate: Gate, caller: str) -> None:
    target = gate.prepare(market)
    before = market.ledger.client.block_number()
    with pytest.raises(ContractRevert) as refused:
        gate.call(market, getattr(market, caller), target)
    assert market.ledger.client.block_number() == before  # refused before anything was sent
    assert (refused.value.name, refused.value.args_by_name) == expected_error(market, gate, caller)


@pytest.mark.parametrize("gate", [g for g in GATES if g.role != "ADMIN"], ids=lambda g: g.name)
def test_restricted_function_rejects_suspended_holder(market: Market, gate: Gate) -> None:
    target = gate.prepare(market)
    holder = market.by_role(gate.role)
    market.ledger.suspend_participant(market.admin, holder.address, "under investigation")
    with pytest.raises(ContractRevert) as refused:
        gate.call(market, holder, target)
    assert (refused.value.name, refused.value.args_by_name) == ("ParticipantNotActive", {"account": holder.address})


@pytest.mark.parametrize("gate", GATES, ids=lambda g: g.name)
def test_restricted_function_accepts_its_role(market: Market, gate: Gate) -> None:
    result = gate.call(market, getattr(market, HOLDER[gate.role]), gate.prepare(market))
    assert result.events, f"{gate.name} by its own role emitted nothing"


def test_suspended_participant_cannot_move_or_accept(market: Market) -> None:
    batch_id = harvest(market)
    market.ledger.hand_off(market.supplier, batch_id, market.supplier2.address)
    market.ledger.suspend_participant(market.admin, market.supplier2.address, "licence revoked")
    with pytest.raises(ContractRevert) as refused:
        market.ledger.accept_hand_off(market.supplier2, batch_id)
    assert (refused.value.name, refused.value.args_by_name) == (
        "ParticipantNotActive",
        {"account": market.supplier2.address},
    )
    market.ledger.suspend_participant(market.admin, market.supplier.address, "licence revoked")
    with pytest.raises(ContractRevert) as refused:
        market.ledger.cancel_hand_off(market.supplier, batch_id)
    assert refused.value.name == "ParticipantNotActive"


def test_hand_off_to_suspended_or_unregistered_recipient_is_refused(market: Market) -> None:
    batch_id = harvest(market)
    with pytest.raises(ContractRevert) as refused:
        market.ledger.hand_off(market.supplier, batch_id, market.outsider.address)
    assert (refused.value.name, refused.value.args_by_name) == (
        "ParticipantNotRegistered",
        {"account": market.outsider.address},
    )
    market.ledger.suspend_participant(market.admin, market.vendor.address, "licence expired")
    with pytest.raises(ContractRevert) as refused:
        market.ledger.hand_off(market.supplier, batch_id, market.vendor.address)
    assert refused.value.name == "ParticipantNotActive"


def test_customs_cannot_clear_import_to_non_supplier(market: Market) -> None:
    with pytest.raises(ContractRevert) as refused:
        market.ledger.register_import(
            market.customs,
            gtin=GTIN,
            lot=new_lot(),
            quantity=5,
            unit="KGM",
            importer=market.vendor.address,
            origin_country="TH",
            declaration_number="3101",
            cleared_at=chain_now(market) - 60,
            entry_port="CNNGB",
        )
    assert (refused.value.name, refused.value.args_by_name) == ("InvalidImporter", {"importer": market.vendor.address})


def test_non_custodian_cannot_move_repack_or_sell(market: Market) -> None:
    batch_id = harvest(market)
    ledger = market.ledger
    attempts = {
        "handOff": lambda: ledger.hand_off(market.supplier2, batch_id, market.vendor.address),
        "split": lambda: ledger.split(market.supplier2, batch_id, [(new_lot(), 1)]),
        "merge": lambda: ledger.merge(
            market.supplier2, [batch_id, harvest(market, supplier=market.supplier2)], new_lot()
        ),
        "cancelHandOff": lambda: ledger.cancel_hand_off(market.supplier2, batch_id),
        "recordSale": lambda: ledger.record_sale(market.vendor, batch_id, quantity=1, price=1, currency="CNY"),
    }
    for name, attempt in attempts.items():
        with pytest.raises(ContractRevert) as refused:
            attempt()
        assert refused.value.name == "NotCustodian", name
        assert refused.value.args_by_name["batchId"] == batch_id, name
    assert market.ledger.batch(batch_id).custodian == market.supplier.address
