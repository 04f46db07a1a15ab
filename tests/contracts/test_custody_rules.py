"""Hand-off edge cases and the status rules: what a batch in transit, quarantined,
recalled or sold out can and cannot do. Every refusal names its error and arguments."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ledger.errors import ContractRevert
from tests.factories.market import Market, at_stall, deliver, harvest, new_lot, quarantined


def refusal(call: Callable[[], object]) -> tuple[str, dict]:
    with pytest.raises(ContractRevert) as refused:
        call()
    return refused.value.name, refused.value.args_by_name


def test_double_hand_off_is_refused(market: Market) -> None:
    batch_id = harvest(market)
    market.ledger.hand_off(market.supplier, batch_id, market.supplier2.address)
    assert refusal(lambda: market.ledger.hand_off(market.supplier, batch_id, market.vendor.address)) == (
        "BatchInTransit",
        {"batchId": batch_id, "recipient": market.supplier2.address},
    )
    assert market.ledger.batch(batch_id).pending_recipient == market.supplier2.address


def test_accept_by_wrong_address_is_refused(market: Market) -> None:
    batch_id = harvest(market)
    market.ledger.hand_off(market.supplier, batch_id, market.supplier2.address)
    assert refusal(lambda: market.ledger.accept_hand_off(market.vendor, batch_id)) == (
        "NotPendingRecipient",
        {"batchId": batch_id, "account": market.vendor.address},
    )
    assert refusal(lambda: market.ledger.accept_hand_off(market.supplier, batch_id))[0] == "NotPendingRecipient"
    market.ledger.accept_hand_off(market.supplier2, batch_id)


def test_accept_or_cancel_without_pending_hand_off_is_refused(market: Market) -> None:
    batch_id = harvest(market)
    assert refusal(lambda: market.ledger.accept_hand_off(market.supplier2, batch_id)) == (
        "NoPendingHandOff",
        {"batchId": batch_id},
    )
    assert refusal(lambda: market.ledger.cancel_hand_off(market.supplier, batch_id)) == (
        "NoPendingHandOff",
        {"batchId": batch_id},
    )


def test_cancelled_hand_off_cannot_be_accepted(market: Market) -> None:
    batch_id = harvest(market)
    market.ledger.hand_off(market.supplier, batch_id, market.supplier2.address)
    market.ledger.cancel_hand_off(market.supplier, batch_id)
    assert refusal(lambda: market.ledger.accept_hand_off(market.supplier2, batch_id))[0] == "NoPendingHandOff"
    # ... and the sender may ship it again, to someone else.
    deliver(market, batch_id, market.supplier, market.vendor)
    assert market.ledger.batch(batch_id).custodian == market.vendor.address


def test_recipient_cannot_cancel(market: Market) -> None:
    batch_id = harvest(market)
    market.ledger.hand_off(market.supplier, batch_id, market.supplier2.address)
    assert refusal(lambda: market.ledger.cancel_hand_off(market.supplier2, batch_id)) == (
        "NotCustodian",
        {"batchId": batch_id, "account": market.supplier2.address},
    )


def test_hand_off_to_self_is_refused(market: Market) -> None:
    batch_id = harvest(market)
    assert refusal(lambda: market.ledger.hand_off(market.supplier, batch_id, market.supplier.address)) == (
        "HandOffToSelf",
        {"batchId": batch_id},
    )


def test_selling_while_in_transit_is_refused(market: Market) -> None:
    batch_id = at_stall(market)
    market.ledger.hand_off(market.vendor, batch_id, market.vendor2.address)
    assert refusal(lambda: market.ledger.record_sale(market.vendor, batch_id, quantity=1, price=1, currency="CNY")) == (
        "BatchInTransit",
        {"batchId": batch_id, "recipient": market.vendor2.address},
    )
    assert (
        refusal(lambda: market.ledger.record_sale(market.vendor2, batch_id, quantity=1, price=1, currency="CNY"))[0]
        == "NotCustodian"
    )


def test_split_and_merge_while_in_transit_are_refused(market: Market) -> None:
    batch_id, other = harvest(market), harvest(market)
    market.ledger.hand_off(market.supplier, batch_id, market.supplier2.address)
    assert refusal(lambda: market.ledger.split(market.supplier, batch_id, [(new_lot(), 1)]))[0] == "BatchInTransit"
    assert refusal(lambda: market.ledger.merge(market.supplier, [other, batch_id], new_lot()))[0] == "BatchInTransit"


def test_quarantined_batch_cannot_be_sold_moved_or_repacked(market: Market) -> None:
    batch_id = quarantined(market)
    expected = ("BatchQuarantined", {"batchId": batch_id})
    assert refusal(lambda: market.ledger.hand_off(market.supplier, batch_id, market.vendor.address)) == expected
    assert refusal(lambda: market.ledger.split(market.supplier, batch_id, [(new_lot(), 1)])) == expected
    assert refusal(lambda: market.ledger.merge(market.supplier, [harvest(market), batch_id], new_lot())) == expected


def test_failed_inspection_blocks_sale_at_stall(market: Market) -> None:
    from ledger.chain.freshledger import Residue

    batch_id = at_stall(market)
    market.ledger.record_inspection(market.lab, batch_id, passed=False, residues=[Residue("carbofuran", 37, 20)])
    assert refusal(lambda: market.ledger.record_sale(market.vendor, batch_id, quantity=1, price=1, currency="CNY")) == (
        "BatchQuarantined",
        {"batchId": batch_id},
    )


def test_only_a_quarantined_batch_can_be_released(market: Market) -> None:
    batch_id = harvest(market)
    assert refusal(lambda: market.ledger.release_quarantine(market.regulator, batch_id, "ok")) == (
        "BatchNotQuarantined",
        {"batchId": batch_id},
    )


def test_recalled_batch_cannot_move_repack_or_sell(market: Market) -> None:
    batch_id = at_stall(market)
    other = at_stall(market)
    market.ledger.recall(market.regulator, [batch_id], "E. coli")
    expected = ("BatchRecalled", {"batchId": batch_id})
    assert (
        refusal(lambda: market.ledger.record_sale(market.vendor, batch_id, quantity=1, price=1, currency="CNY"))
        == expected
    )
    assert refusal(lambda: market.ledger.hand_off(market.vendor, batch_id, market.vendor2.address)) == expected
    assert refusal(lambda: market.ledger.split(market.vendor, batch_id, [(new_lot(), 1)])) == expected
    assert refusal(lambda: market.ledger.merge(market.vendor, [other, batch_id], new_lot())) == expected


def test_recall_during_hand_off_blocks_acceptance_but_not_cancel(market: Market) -> None:
    batch_id = harvest(market)
    market.ledger.hand_off(market.supplier, batch_id, market.supplier2.address)
    market.ledger.recall(market.regulator, [batch_id], "pesticide misuse at farm")
    assert refusal(lambda: market.ledger.accept_hand_off(market.supplier2, batch_id)) == (
        "BatchRecalled",
        {"batchId": batch_id},
    )
    market.ledger.cancel_hand_off(market.supplier, batch_id)
    state = market.ledger.batch(batch_id)
    assert (state.status, state.custodian, state.pending_recipient) == ("recalled", market.supplier.address, None)


def test_sold_out_batch_cannot_sell_or_move(market: Market) -> None:
    batch_id = at_stall(market, quantity=2)
    market.ledger.record_sale(market.vendor, batch_id, quantity=2, price=1, currency="CNY")
    expected = ("BatchSoldOut", {"batchId": batch_id})
    assert (
        refusal(lambda: market.ledger.record_sale(market.vendor, batch_id, quantity=1, price=1, currency="CNY"))
        == expected
    )
    assert refusal(lambda: market.ledger.hand_off(market.vendor, batch_id, market.vendor2.address)) == expected


def test_over_selling_and_over_splitting_are_refused(market: Market) -> None:
    batch_id = at_stall(market, quantity=5)
    assert refusal(lambda: market.ledger.record_sale(market.vendor, batch_id, quantity=6, price=1, currency="CNY")) == (
        "InsufficientQuantity",
        {"batchId": batch_id, "remaining": 5, "requested": 6},
    )
    parent = harvest(market, quantity=10)
    assert refusal(lambda: market.ledger.split(market.supplier, parent, [(new_lot(), 6), (new_lot(), 5)])) == (
        "InsufficientQuantity",
        {"batchId": parent, "remaining": 4, "requested": 5},
    )
    assert market.ledger.batch(parent).remaining == 10


def test_merge_of_different_products_is_refused(market: Market) -> None:
    from tests.factories.market import OTHER_GTIN

    greens, berries = harvest(market), harvest(market, gtin=OTHER_GTIN)
    assert refusal(lambda: market.ledger.merge(market.supplier, [greens, berries], new_lot())) == (
        "MergeMismatch",
        {"first": greens, "other": berries},
    )


def test_merge_needs_two_distinct_batches(market: Market) -> None:
    batch_id = harvest(market)
    assert refusal(lambda: market.ledger.merge(market.supplier, [batch_id], new_lot())) == (
        "TooFewBatches",
        {"given": 1, "needed": 2},
    )
    # The same batch twice: the second mention finds it used up by the first.
    assert refusal(lambda: market.ledger.merge(market.supplier, [batch_id, batch_id], new_lot())) == (
        "BatchSoldOut",
        {"batchId": batch_id},
    )
    assert market.ledger.batch(batch_id).remaining == 100


def test_unknown_batch_is_reported(market: Market) -> None:
    ghost = bytes(31) + b"\x01"
    assert refusal(lambda: market.ledger.hand_off(market.supplier, ghost, market.vendor.address)) == (
        "BatchNotFound",
        {"batchId": ghost},
    )
    assert refusal(lambda: market.ledger.recall(market.regulator, [ghost], "x")) == (
        "BatchNotFound",
        {"batchId": ghost},
    )
