"""Fixtures of the brownie suite (run by `make brownie-test`, in .venv-brownie).

This folder has its own pytest.ini, which makes it pytest's conftest boundary (confcutdir): the
main suite's tests/conftest.py (web3 8, .venv) is never imported here.

Every test starts from the same chain: FreshLedger deployed once per module and the market's
participants registered, then brownie's ``fn_isolation`` reverts the chain after each test.
"""

from __future__ import annotations

import brownie
import pytest
from helpers import DOCUMENT_CID, GREENS, HOUR

# brownie 1.22.2 cannot take `networks.development.cmd_settings` from brownie-config.yaml (its
# mypyc build crashes on it; see there), so the test chain's port is set here, before brownie
# connects (after collection). On 8555 the tests launch their own anvil and never attach to
# the demo chain of `freshledger chain start` on 8545. Brownie kills that anvil at the end.
# (Not `from brownie._config import CONFIG`: brownie hashes the modules a conftest imports
# from inside the project folder, .venv-brownie included, and chokes on the compiled _config.)
TEST_CHAIN_PORT = 8555
brownie._config.CONFIG.networks["development"].setdefault("cmd_settings", {})["port"] = TEST_CHAIN_PORT

ROLES = ("SUPPLIER", "CUSTOMS", "LAB", "VENDOR", "REGULATOR")


# ------------------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    """Each test runs on a snapshot of the module's chain and is reverted afterwards."""


@pytest.fixture(scope="module")
def authority(accounts):
    return accounts[0]


@pytest.fixture(scope="module")
def farm(accounts):
    return accounts[1]


@pytest.fixture(scope="module")
def wholesaler(accounts):
    return accounts[2]


@pytest.fixture(scope="module")
def customs(accounts):
    return accounts[3]


@pytest.fixture(scope="module")
def importer(accounts):
    return accounts[4]


@pytest.fixture(scope="module")
def lab(accounts):
    return accounts[5]


@pytest.fixture(scope="module")
def vendor(accounts):
    return accounts[6]


@pytest.fixture(scope="module")
def regulator(accounts):
    return accounts[7]


@pytest.fixture(scope="module")
def outsider(accounts):
    """Never registered."""
    return accounts[9]


@pytest.fixture(scope="module")
def ledger(module_isolation, FreshLedger, authority):
    """A fresh FreshLedger, its market authority holding DEFAULT_ADMIN_ROLE."""
    return FreshLedger.deploy(authority, {"from": authority})


@pytest.fixture(scope="module")
def role(ledger):
    """Role ids by short name: role["SUPPLIER"] == SUPPLIER_ROLE()."""
    return {name: getattr(ledger, f"{name}_ROLE")() for name in ROLES}


@pytest.fixture(scope="module")
def market(ledger, role, authority, farm, wholesaler, customs, importer, lab, vendor, regulator):
    """The ledger with one participant per role (two suppliers besides the importer)."""
    for account, name, label, identifier in (
        (farm, "SUPPLIER", "Green Valley Farm", "6901234000015"),
        (wholesaler, "SUPPLIER", "West Lake Produce Wholesale", "6901234000046"),
        (customs, "CUSTOMS", "Ningbo Customs District", "CN-NGB-CUSTOMS-3100"),
        (importer, "SUPPLIER", "Tropical Fruit Imports Ltd", "6901234000039"),
        (lab, "LAB", "Market On-site Food Safety Lab", "CMA-2026-0417"),
        (vendor, "VENDOR", "Stall A12 Fresh Greens", "JY33010600012345"),
        (regulator, "REGULATOR", "Market Supervision Bureau", "SAMR-HZ-01"),
    ):
        ledger.registerParticipant(account, role[name], label, identifier, {"from": authority})
    return ledger


@pytest.fixture
def now(chain):
    return chain.time()


@pytest.fixture
def harvest(market, farm, now):
    """Registers a harvest of `quantity` kg of greens by `by` (the farm); returns the tx."""

    def register(lot="GV-2611-01", quantity=400, by=None, gtin=GREENS, unit=b"KGM"):
        return market.registerHarvest(
            gtin, lot, quantity, unit, now - 20 * HOUR, "geo:30.2336,119.7248", DOCUMENT_CID, {"from": by or farm}
        )

    return register


@pytest.fixture
def greens(harvest):
    """The id of a 400 kg greens batch held by the farm."""
    return harvest().events["HarvestRegistered"]["batchId"]


@pytest.fixture
def move(market):
    """Hands `batch_id` from `sender` to `recipient`, who accepts it."""

    def hand_over(batch_id, sender, recipient):
        market.handOff(batch_id, recipient, {"from": sender})
        return market.acceptHandOff(batch_id, {"from": recipient})

    return hand_over
