"""Malformed key data elements are refused on-chain with a named error, whoever sends them."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.chain.freshledger import Residue, code
from ledger.errors import ContractRevert
from ledger.gs1 import gtin_check_digit, make_gtin
from tests.factories.batch_calls import chain_now
from tests.factories.market import GTIN, Market, at_stall, harvest, new_lot

NOW = int(time.time())


def harvest_refusal(market: Market, **overrides: object) -> tuple[str, dict]:
    fields: dict = dict(
        gtin=GTIN, lot=new_lot(), quantity=10, unit="KGM", harvested_at=chain_now(market) - 60, origin="6901234000016"
    )
    fields.update(overrides)
    with pytest.raises(ContractRevert) as refused:
        market.ledger.register_harvest(market.supplier, **fields)
    return refused.value.name, refused.value.args_by_name


@pytest.mark.parametrize(
    ("gtin", "why"),
    [
        ("06901234000017", "wrong check digit"),
        ("0", "zero"),
        ("100000000000000", "15 digits"),
        ("6901234000019", "GTIN-13 with wrong check digit"),
    ],
)
def test_invalid_gtin_is_refused(market: Market, gtin: str, why: str) -> None:
    assert harvest_refusal(market, gtin=gtin) == ("InvalidGtin", {"gtin": int(gtin)}), why


def test_gtin_13_is_stored_as_gtin_14(market: Market) -> None:
    batch_id = harvest(market, gtin="6901234000016")
    assert market.ledger.batch(batch_id).gtin == "06901234000016"


@pytest.mark.parametrize("lot", ["", "L" * 21])
def test_invalid_lot_is_refused(market: Market, lot: str) -> None:
    assert harvest_refusal(market, lot=lot) == ("InvalidLotCode", {"lot": lot})


@pytest.mark.parametrize("unit", ["kgm", "KG", "K-M"])
def test_invalid_unit_is_refused(market: Market, unit: str) -> None:
    assert harvest_refusal(market, unit=unit) == ("InvalidUnitCode", {"unit": code(unit, 3)})


def test_zero_quantity_is_refused(market: Market) -> None:
    assert harvest_refusal(market, quantity=0) == ("ZeroQuantity", {})


def test_quantity_beyond_signed_64_bits_is_refused(market: Market) -> None:
    assert harvest_refusal(market, quantity=2**63) == ("QuantityTooLarge", {"quantity": 2**63, "max": 2**63 - 1})


def test_merge_over_the_quantity_bound_is_refused(market: Market) -> None:
    from tests.factories.market import harvest

    big = [harvest(market, quantity=2**62), harvest(market, quantity=2**62)]
    with pytest.raises(ContractRevert) as refused:
        market.ledger.merge(market.supplier, big, new_lot())
    assert (refused.value.name, refused.value.args_by_name) == (
        "QuantityTooLarge",
        {"quantity": 2**63, "max": 2**63 - 1},
    )


def test_harvest_date_in_future_is_refused(market: Market) -> None:
    name, args = harvest_refusal(market, harvested_at=NOW + 86_400)
    assert name == "DateInFuture"
    assert args["date"] == NOW + 86_400


def test_empty_origin_is_refused(market: Market) -> None:
    assert harvest_refusal(market, origin="") == ("MissingField", {"field": "origin"})


@pytest.mark.parametrize("cid", [b"\x02\x55\x12", b"\x12\x20" + b"\x00" * 10, b"\x01\x55"])
def test_malformed_document_cid_is_refused(market: Market, cid: bytes) -> None:
    assert harvest_refusal(market, document_cid=cid) == ("InvalidDocumentCid", {"cid": cid})


def test_same_gtin_and_lot_cannot_be_registered_twice(market: Market) -> None:
    lot = new_lot()
    first = harvest(market, lot=lot)
    with pytest.raises(ContractRevert) as refused:
        harvest(market, lot=lot, supplier=market.supplier2)
    assert (refused.value.name, refused.value.args_by_name) == ("BatchAlreadyExists", {"batchId": first})


def test_split_into_existing_lot_is_refused(market: Market) -> None:
    lot = new_lot()
    existing = harvest(market, lot=lot)
    parent = harvest(market)
    with pytest.raises(ContractRevert) as refused:
        market.ledger.split(market.supplier, parent, [(lot, 1)])
    assert (refused.value.name, refused.value.args_by_name) == ("BatchAlreadyExists", {"batchId": existing})


def test_split_needs_a_part(market: Market) -> None:
    parent = harvest(market)
    with pytest.raises(ContractRevert) as refused:
        market.ledger.split(market.supplier, parent, [])
    assert (refused.value.name, refused.value.args_by_name) == ("TooFewBatches", {"given": 0, "needed": 1})


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"origin_country": "th"}, ("InvalidCountryCode", {"country": b"th"})),
        ({"origin_country": "T1"}, ("InvalidCountryCode", {"country": b"T1"})),
        ({"declaration_number": ""}, ("MissingField", {"field": "declarationNumber"})),
        ({"entry_port": ""}, ("MissingField", {"field": "entryPort"})),
    ],
)
def test_invalid_import_declaration_is_refused(market: Market, overrides: dict, expected: tuple) -> None:
    fields: dict = dict(
        gtin=GTIN,
        lot=new_lot(),
        quantity=10,
        unit="KGM",
        importer=market.supplier.address,
        origin_country="TH",
        declaration_number="310120261000123456",
        cleared_at=chain_now(market) - 60,
        entry_port="CNNGB",
    )
    fields.update(overrides)
    with pytest.raises(ContractRevert) as refused:
        market.ledger.register_import(market.customs, **fields)
    assert (refused.value.name, refused.value.args_by_name) == expected


def test_passed_inspection_with_residue_over_limit_is_refused(market: Market) -> None:
    batch_id = harvest(market)
    with pytest.raises(ContractRevert) as refused:
        market.ledger.record_inspection(
            market.lab, batch_id, passed=True, residues=[Residue("lead (Pb)", 20, 300), Residue("carbofuran", 21, 20)]
        )
    assert (refused.value.name, refused.value.args_by_name) == ("InspectionInconsistent", {"index": 1})
    assert market.ledger.batch(batch_id).status == "active"


@pytest.mark.parametrize("currency", ["cny", "C1Y"[:2]])
def test_invalid_currency_is_refused(market: Market, currency: str) -> None:
    batch_id = at_stall(market)
    with pytest.raises(ContractRevert) as refused:
        market.ledger.record_sale(market.vendor, batch_id, quantity=1, price=100, currency=currency)
    assert refused.value.name == "InvalidCurrencyCode"


def test_recall_needs_reason_and_batches(market: Market) -> None:
    batch_id = harvest(market)
    with pytest.raises(ContractRevert) as refused:
        market.ledger.recall(market.regulator, [batch_id], "")
    assert (refused.value.name, refused.value.args_by_name) == ("MissingField", {"field": "reason"})
    with pytest.raises(ContractRevert) as refused:
        market.ledger.recall(market.regulator, [], "contamination")
    assert (refused.value.name, refused.value.args_by_name) == ("TooFewBatches", {"given": 0, "needed": 1})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.text(alphabet="0123456789", min_size=13, max_size=13), wrong=st.integers(1, 9))
def test_contract_and_python_agree_on_gtin_check_digits(market: Market, body: str, wrong: int) -> None:
    """The on-chain check and ledger.gs1 accept exactly the same GTINs (eth_call only)."""
    good = make_gtin(body)
    bad = body + str((gtin_check_digit(body) + wrong) % 10)
    for gtin, valid in ((good, int(good) != 0), (bad, False)):
        data = market.ledger.abi.encode_call(
            "registerHarvest", [int(gtin), "L1", 1, code("KGM", 3), chain_now(market) - 60, "6901234000016", b""]
        )
        try:
            market.ledger.client.call(
                market.ledger.address, data, abi=market.ledger.abi, sender=market.supplier.address
            )
            accepted = True
        except ContractRevert as refused:
            assert refused.name == "InvalidGtin"
            accepted = False
        assert accepted == valid, gtin


def test_a_price_beyond_signed_64_bits_is_refused_alone_and_in_a_batch(market: Market) -> None:
    """Prices, like quantities, stay below 2**63: the index holds them in signed 64-bit
    integers, and one larger price would stop it for everyone."""
    from ledger.chain.freshledger import Sale

    batch_id = at_stall(market, quantity=10)
    with pytest.raises(ContractRevert) as refused:
        market.ledger.record_sale(market.vendor, batch_id, quantity=1, price=2**63, currency="CNY")
    assert (refused.value.name, refused.value.args_by_name) == ("PriceTooLarge", {"price": 2**63, "max": 2**63 - 1})
    sales = [Sale(batch_id, 1, 2**63 - 1, "CNY"), Sale(batch_id, 1, 2**127, "CNY")]
    with pytest.raises(ContractRevert) as refused:
        market.ledger.record_sales(market.vendor, sales)
    assert (refused.value.name, refused.value.index) == ("SaleInvalid", 1)
    assert (refused.value.inner.name, refused.value.inner.args_by_name) == (  # type: ignore[union-attr]
        "PriceTooLarge",
        {"price": 2**127, "max": 2**63 - 1},
    )
    sold = market.ledger.record_sale(market.vendor, batch_id, quantity=1, price=2**63 - 1, currency="CNY")
    assert sold.event("SaleRecorded").args["price"] == 2**63 - 1


@pytest.mark.parametrize("passed", [True, False])
@pytest.mark.parametrize(("measured", "limit"), [(2**63, 2**64 - 1), (0, 2**63)])
def test_a_residue_value_beyond_signed_64_bits_is_refused(
    market: Market, passed: bool, measured: int, limit: int
) -> None:
    batch_id = harvest(market)
    with pytest.raises(ContractRevert) as refused:
        market.ledger.record_inspection(
            market.lab, batch_id, passed=passed, residues=[Residue("lead (Pb)", 1, 2), Residue("x", measured, limit)]
        )
    assert (refused.value.name, refused.value.args_by_name) == ("ResidueTooLarge", {"index": 1, "max": 2**63 - 1})
    assert market.ledger.batch(batch_id).status == "active"
