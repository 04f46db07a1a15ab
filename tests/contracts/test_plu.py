"""``mapPlu``: a vendor maps a scale key to a lot it could sell now; anything else is refused
with the error ``recordSale`` would give."""

from __future__ import annotations

from ledger.chain.freshledger import Residue
from tests.contracts.test_custody_rules import refusal
from tests.factories.market import Market, at_stall, harvest, quarantined


def test_vendor_maps_a_key_to_a_lot_it_holds(market: Market) -> None:
    batch_id = at_stall(market)
    result = market.ledger.map_plu(market.vendor, 7, batch_id)
    event = result.event("PluMapped")
    assert event.args == {"vendor": market.vendor.address, "plu": 7, "batchId": batch_id}


def test_a_lot_the_vendor_does_not_hold_is_refused(market: Market) -> None:
    batch_id = harvest(market)  # still at the supplier
    assert refusal(lambda: market.ledger.map_plu(market.vendor, 1, batch_id)) == (
        "NotCustodian",
        {"batchId": batch_id, "account": market.vendor.address},
    )
    assert refusal(lambda: market.ledger.map_plu(market.vendor, 1, b"\x01" * 32))[0] == "BatchNotFound"


def test_quarantined_and_recalled_lots_are_refused(market: Market) -> None:
    held = quarantined(market)  # failed its test, at the supplier: a supplier maps no keys
    assert refusal(lambda: market.ledger.map_plu(market.supplier, 1, held))[0] == "AccessControlUnauthorizedAccount"
    tested = at_stall(market)
    market.ledger.record_inspection(market.lab, tested, passed=False, residues=[Residue("carbofuran", 37, 20)])
    assert refusal(lambda: market.ledger.map_plu(market.vendor, 1, tested)) == ("BatchQuarantined", {"batchId": tested})
    recalled = at_stall(market)
    market.ledger.recall(market.regulator, [recalled], "listeria")
    assert refusal(lambda: market.ledger.map_plu(market.vendor, 2, recalled)) == (
        "BatchRecalled",
        {"batchId": recalled},
    )


def test_the_zero_batch_id_clears_a_key_of_an_active_vendor_only(market: Market) -> None:
    batch_id = at_stall(market)
    market.ledger.map_plu(market.vendor, 7, batch_id)
    cleared = market.ledger.map_plu(market.vendor, 7, bytes(32))
    assert cleared.event("PluMapped").args == {"vendor": market.vendor.address, "plu": 7, "batchId": bytes(32)}
    assert (
        refusal(lambda: market.ledger.map_plu(market.supplier, 7, bytes(32)))[0] == "AccessControlUnauthorizedAccount"
    )
