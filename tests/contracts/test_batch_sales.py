"""recordSales: many sales of a stall in one transaction, exactly as many single sales would
record them, all or nothing, a refused sale named by its index around recordSale's error."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ledger.chain.freshledger import Sale, code, sale_groups, sale_id_of
from ledger.errors import ContractRevert
from tests.factories.market import Market, at_stall, deliver, harvest


def refused(call: Callable[[], object]) -> ContractRevert:
    with pytest.raises(ContractRevert) as caught:
        call()
    return caught.value


def test_record_sales_of_one_batch_and_of_several(market: Market) -> None:
    first, second = at_stall(market, quantity=10), at_stall(market, quantity=4)
    sales = [Sale(first, 2, 1200, "CNY"), Sale(first, 3, 1800, "CNY"), Sale(second, 4, 900, "CNY")]
    sales.append(Sale(first, 1, 600, "CNY"))  # the first batch again, in a group of its own
    result = market.ledger.record_sales(market.vendor, sales)
    assert [e.name for e in result.events] == ["SaleRecorded"] * 4
    serials = [1, 2, 1, 3]
    assert [e.args for e in result.events] == [
        {
            "batchId": sale.batch_id,
            "vendor": market.vendor.address,
            "saleId": sale_id_of(sale.batch_id, serial),
            "serial": serial,
            "quantity": sale.quantity,
            "price": sale.price,
            "currency": code("CNY", 3),
        }
        for sale, serial in zip(sales, serials, strict=True)
    ]
    one, two = market.ledger.batch(first), market.ledger.batch(second)
    assert (one.status, one.remaining, one.sale_count) == ("active", 4, 3)
    assert (two.status, two.remaining, two.sale_count) == ("sold_out", 0, 1)


def test_record_sales_records_what_single_sales_record(market: Market) -> None:
    singles, batched = at_stall(market, quantity=20), at_stall(market, quantity=20)
    amounts = [(3, 1500, "CNY"), (5, 2500, "CNY"), (2, 900, "USD"), (10, 4000, "CNY")]
    one_by_one = [
        market.ledger.record_sale(market.vendor, singles, quantity=q, price=p, currency=c).event("SaleRecorded")
        for q, p, c in amounts
    ]
    together = market.ledger.record_sales(market.vendor, [Sale(batched, q, p, c) for q, p, c in amounts])

    def comparable(args: dict, batch_id: bytes) -> dict:
        return {**args, "batchId": "the batch", "saleId": args["saleId"] == sale_id_of(batch_id, args["serial"])}

    assert [comparable(e.args, batched) for e in together.events] == [comparable(e.args, singles) for e in one_by_one]
    assert market.ledger.batch(batched) == market.ledger.batch(singles)  # same GTIN, left, sold, holder
    assert len(sale_groups([Sale(batched, q, p, c) for q, p, c in amounts])) == 3  # CNY, USD, CNY


def test_repeated_sales_of_one_batch_cannot_take_more_than_is_left(market: Market) -> None:
    batch_id = at_stall(market, quantity=5)
    revert = refused(lambda: market.ledger.record_sales(market.vendor, [Sale(batch_id, 3, 1, "CNY")] * 2))
    assert (revert.name, revert.index) == ("SaleInvalid", 1)
    assert (revert.inner.name, revert.inner.args_by_name) == (  # type: ignore[union-attr]
        "InsufficientQuantity",
        {"batchId": batch_id, "remaining": 2, "requested": 3},
    )
    state = market.ledger.batch(batch_id)
    assert (state.remaining, state.sale_count) == (5, 0)  # the first sale was undone too


def test_a_sale_after_the_last_of_a_batch_finds_it_sold_out(market: Market) -> None:
    batch_id = at_stall(market, quantity=5)
    sales = [Sale(batch_id, 5, 1, "CNY"), Sale(batch_id, 1, 1, "CNY")]
    revert = refused(lambda: market.ledger.record_sales(market.vendor, sales))
    assert (revert.index, revert.inner.name, revert.inner.args_by_name) == (  # type: ignore[union-attr]
        1,
        "BatchSoldOut",
        {"batchId": batch_id},
    )


def test_zero_quantity_and_bad_currency_are_named(market: Market) -> None:
    batch_id = at_stall(market)
    revert = refused(
        lambda: market.ledger.record_sales(market.vendor, [Sale(batch_id, 1, 1, "CNY"), Sale(batch_id, 0, 1, "CNY")])
    )
    assert (revert.index, revert.inner.name) == (1, "ZeroQuantity")  # type: ignore[union-attr]
    revert = refused(
        lambda: market.ledger.record_sales(market.vendor, [Sale(batch_id, 1, 1, "CNY"), Sale(batch_id, 1, 1, "cny")])
    )
    assert (revert.index, revert.inner.name, revert.inner.args_by_name) == (  # type: ignore[union-attr]
        1,
        "InvalidCurrencyCode",
        {"currency": b"cny"},
    )


def _quarantined_at_stall(market: Market) -> bytes:
    batch_id = at_stall(market)
    market.ledger.record_inspection(market.lab, batch_id, passed=False, residues=[])
    return batch_id


def _recalled_at_stall(market: Market) -> bytes:
    batch_id = at_stall(market)
    market.ledger.recall(market.regulator, [batch_id], "Listeria")
    return batch_id


def _in_transit_to_stall(market: Market) -> bytes:
    batch_id = harvest(market)
    deliver(market, batch_id, market.supplier, market.vendor)
    market.ledger.hand_off(market.vendor, batch_id, market.vendor2.address)
    return batch_id


@pytest.mark.parametrize(
    ("prepare", "error", "extra"),
    [
        (_quarantined_at_stall, "BatchQuarantined", lambda m: {}),
        (_recalled_at_stall, "BatchRecalled", lambda m: {}),
        (_in_transit_to_stall, "BatchInTransit", lambda m: {"recipient": m.vendor2.address}),
        (lambda m: harvest(m), "NotCustodian", lambda m: {"account": m.vendor.address}),
        (lambda m: bytes(32), "BatchNotFound", lambda m: {}),
    ],
    ids=["quarantined", "recalled", "in-transit", "not-held", "unknown"],
)
def test_a_batch_that_cannot_be_sold_refuses_the_whole_call(
    market: Market, prepare: Callable, error: str, extra: Callable
) -> None:
    good = at_stall(market, quantity=10)
    bad = prepare(market)
    sales = [Sale(good, 1, 1, "CNY"), Sale(good, 1, 1, "CNY"), Sale(bad, 1, 1, "CNY"), Sale(bad, 1, 1, "CNY")]
    revert = refused(lambda: market.ledger.record_sales(market.vendor, sales))
    assert (revert.name, revert.index) == ("SaleInvalid", 2)  # the first sale of the refused batch
    assert (revert.inner.name, revert.inner.args_by_name) == (error, {"batchId": bad, **extra(market)})  # type: ignore[union-attr]
    assert market.ledger.batch(good).remaining == 10


def test_record_sales_needs_a_group(market: Market) -> None:
    revert = refused(lambda: market.ledger.record_sales(market.vendor, []))
    assert (revert.name, revert.args_by_name) == ("TooFewBatches", {"given": 0, "needed": 1})


def serials_of(result: object) -> list[int]:
    return [e.args["serial"] for e in result.events if e.name == "SaleRecorded"]  # type: ignore[attr-defined]


def test_pinned_serials_are_recorded_as_given_with_gaps_and_the_count_is_the_last_used(market: Market) -> None:
    batch_id = at_stall(market, quantity=50)
    sales = [Sale(batch_id, 1, 100, "CNY", 3), Sale(batch_id, 2, 200, "CNY", 4), Sale(batch_id, 3, 300, "CNY", 9)]
    result = market.ledger.record_sales(market.vendor, sales)
    assert serials_of(result) == [3, 4, 9]  # 1, 2 and 5-8 were reserved for sales not recorded: never used
    assert [e.args["saleId"] for e in result.events] == [sale_id_of(batch_id, s) for s in (3, 4, 9)]
    assert market.ledger.batch(batch_id).sale_count == 9
    # recordSale and an unpinned group go on after the last serial used.
    assert serials_of(market.ledger.record_sale(market.vendor, batch_id, quantity=1, price=1, currency="CNY")) == [10]
    assert serials_of(market.ledger.record_sales(market.vendor, [Sale(batch_id, 1, 1, "CNY")])) == [11]


def test_a_used_serial_is_refused_with_serial_used_and_nothing_is_recorded(market: Market) -> None:
    batch_id = at_stall(market, quantity=50)
    market.ledger.record_sales(market.vendor, [Sale(batch_id, 1, 1, "CNY", 5)])
    for serial in (5, 2):  # the last one, and one of the gap below it: both are the past
        revert = refused(
            lambda serial=serial: market.ledger.record_sales(
                market.vendor, [Sale(batch_id, 1, 1, "CNY", 6), Sale(batch_id, 1, 1, "CNY", serial)]
            )
        )
        assert (revert.name, revert.index) == ("SaleInvalid", 1)
        assert (revert.inner.name, revert.inner.args_by_name) == (  # type: ignore[union-attr]
            "SerialUsed",
            {"batchId": batch_id, "serial": serial, "lastSerial": 6},
        )
    state = market.ledger.batch(batch_id)
    assert (state.remaining, state.sale_count) == (49, 5)  # the first sale of each call was undone too


def test_serials_never_wrap_past_the_largest(market: Market) -> None:
    batch_id = at_stall(market, quantity=50)
    top = 2**32 - 1
    revert = refused(
        lambda: market.ledger.record_sales(
            market.vendor, [Sale(batch_id, 1, 1, "CNY", top), Sale(batch_id, 1, 1, "CNY", top + 1)]
        )
    )
    assert revert.inner.name == "SerialsExhausted"  # type: ignore[union-attr]
    market.ledger.record_sales(market.vendor, [Sale(batch_id, 1, 1, "CNY", top)])
    assert market.ledger.batch(batch_id).sale_count == top
    with pytest.raises(ContractRevert):  # recordSale's counter is checked: no serial 0, 1, ... again
        market.ledger.record_sale(market.vendor, batch_id, quantity=1, price=1, currency="CNY")
    revert = refused(lambda: market.ledger.record_sales(market.vendor, [Sale(batch_id, 1, 1, "CNY")]))
    assert revert.inner.name == "SerialsExhausted"  # type: ignore[union-attr]
