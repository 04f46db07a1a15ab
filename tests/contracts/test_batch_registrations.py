"""registerHarvests and registerImports: many batches in one transaction, all or nothing, a
refused item named by its index around the single call's error, a declaration number once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from eth_utils import keccak

from ledger.chain.freshledger import batch_id_of, code
from ledger.errors import ContractRevert
from tests.factories.batch_calls import HS_DURIAN, chain_now, declaration, lines, lots
from tests.factories.market import Market

BAD_GTIN = "06901234000017"


def refused(call: Callable[[], object]) -> ContractRevert:
    with pytest.raises(ContractRevert) as caught:
        call()
    return caught.value


def nothing_registered(market: Market, batch_ids: list[bytes]) -> bool:
    return all(market.ledger.batch(b).status == "none" for b in batch_ids)


# ---------------------------------------------------------------- harvests


def test_register_harvests_emits_one_harvest_event_per_lot(market: Market) -> None:
    given = lots(market, 3)
    result = market.ledger.register_harvests(market.supplier, given)
    assert [e.name for e in result.events] == ["HarvestRegistered"] * 3
    assert [e.args for e in result.events] == [
        {
            "batchId": batch_id_of(lot.gtin, lot.lot),
            "supplier": market.supplier.address,
            "gtin": int(lot.gtin),
            "lot": lot.lot,
            "quantity": lot.quantity,
            "unit": code("KGM", 3),
            "harvestedAt": lot.harvested_at,
            "origin": lot.origin,
            "documentCid": lot.document_cid,
        }
        for lot in given
    ]
    for lot in given:
        state = market.ledger.batch(batch_id_of(lot.gtin, lot.lot))
        assert (state.status, state.remaining, state.custodian) == ("active", lot.quantity, market.supplier.address)


@pytest.mark.parametrize(
    ("change", "inner"),
    [
        (lambda lot: replace(lot, gtin=BAD_GTIN), lambda lot: ("InvalidGtin", {"gtin": int(BAD_GTIN)})),
        (lambda lot: replace(lot, quantity=0), lambda lot: ("ZeroQuantity", {})),
        (lambda lot: replace(lot, origin=""), lambda lot: ("MissingField", {"field": "origin"})),
        (lambda lot: replace(lot, unit="kg"), lambda lot: ("InvalidUnitCode", {"unit": b"kg\0"})),
        (lambda lot: replace(lot, lot=""), lambda lot: ("InvalidLotCode", {"lot": ""})),
    ],
    ids=["gtin", "quantity", "origin", "unit", "lot"],
)
def test_register_harvests_refuses_all_naming_the_bad_lot(market: Market, change: Callable, inner: Callable) -> None:
    given = lots(market, 4)
    given[2] = change(given[2])
    revert = refused(lambda: market.ledger.register_harvests(market.supplier, given))
    assert (revert.name, revert.index) == ("HarvestLotInvalid", 2)
    assert revert.inner is not None
    assert (revert.inner.name, revert.inner.args_by_name) == inner(given[2])
    assert nothing_registered(market, [batch_id_of(lot.gtin, lot.lot) for lot in given[:2]])


def test_register_harvests_refuses_a_lot_in_the_future_or_twice(market: Market) -> None:
    given = lots(market, 3)
    future = chain_now(market) + 3600
    late = [*given[:1], replace(given[1], harvested_at=future)]
    revert = refused(lambda: market.ledger.register_harvests(market.supplier, late))
    assert (revert.index, revert.inner.name) == (1, "DateInFuture")  # type: ignore[union-attr]
    assert revert.inner.args_by_name["date"] == future  # type: ignore[union-attr]

    twice = [given[0], given[1], given[0]]
    revert = refused(lambda: market.ledger.register_harvests(market.supplier, twice))
    assert (revert.index, revert.inner.name, revert.inner.args_by_name) == (  # type: ignore[union-attr]
        2,
        "BatchAlreadyExists",
        {"batchId": batch_id_of(given[0].gtin, given[0].lot)},
    )


def test_register_harvests_needs_a_lot(market: Market) -> None:
    revert = refused(lambda: market.ledger.register_harvests(market.supplier, []))
    assert (revert.name, revert.args_by_name) == ("TooFewBatches", {"given": 0, "needed": 1})


# ---------------------------------------------------------------- imports


def test_register_imports_emits_the_header_once_then_a_lean_event_per_line(market: Market) -> None:
    header = declaration(market)
    given = lines(3)
    result = market.ledger.register_imports(market.customs, header, given)
    declaration_id = keccak(text=header.number)
    assert [e.name for e in result.events] == ["DeclarationRegistered"] + ["ImportLineRegistered"] * 3
    assert result.events[0].args == {
        "declarationId": declaration_id,
        "importer": market.supplier2.address,
        "customs": market.customs.address,
        "declarationNumber": header.number,
        "entryPort": "CNNGB",
        "clearedAt": header.cleared_at,
        "documentCid": header.document_cid,
        "firstLine": 0,
        "lineCount": 3,
    }
    assert [e.args for e in result.events[1:]] == [
        {
            "batchId": batch_id_of(line.gtin, line.lot),
            "declarationId": declaration_id,
            "gtin": int(line.gtin),
            "line": n,
            "lot": line.lot,
            "quantity": line.quantity,
            "unit": code("KGM", 3),
            "originCountry": code(line.origin_country, 2),
            "hsCode": code(line.hs_code, 10),
        }
        for n, line in enumerate(given)
    ]
    for line in given:
        state = market.ledger.batch(batch_id_of(line.gtin, line.lot))
        assert (state.status, state.remaining, state.custodian) == ("active", line.quantity, market.supplier2.address)
    assert market.ledger.declaration_lines(header.number) == (3, 3)


@pytest.mark.parametrize(
    ("change", "inner"),
    [
        (lambda line: replace(line, gtin=BAD_GTIN), ("InvalidGtin", {"gtin": int(BAD_GTIN)})),
        (lambda line: replace(line, hs_code="0810"), ("InvalidHsCode", {"hsCode": code("0810", 10)})),
        (lambda line: replace(line, hs_code="08106A00"), ("InvalidHsCode", {"hsCode": code("08106A00", 10)})),
        (lambda line: replace(line, hs_code=""), ("InvalidHsCode", {"hsCode": bytes(10)})),
        (lambda line: replace(line, origin_country="th"), ("InvalidCountryCode", {"country": b"th"})),
        (lambda line: replace(line, quantity=2**63), ("QuantityTooLarge", {"quantity": 2**63, "max": 2**63 - 1})),
    ],
    ids=["gtin", "short-hs", "letter-hs", "no-hs", "country", "quantity"],
)
def test_register_imports_refuses_all_naming_the_bad_line(market: Market, change: Callable, inner: tuple) -> None:
    header = declaration(market)
    given = lines(9)
    given[7] = change(given[7])
    revert = refused(lambda: market.ledger.register_imports(market.customs, header, given))
    assert (revert.name, revert.index) == ("ImportLineInvalid", 7)
    assert (revert.inner.name, revert.inner.args_by_name) == inner  # type: ignore[union-attr]
    assert str(revert).startswith("ImportLineInvalid(index=7): ")
    assert nothing_registered(market, [batch_id_of(line.gtin, line.lot) for line in given[:7]])
    assert market.ledger.declaration_lines(header.number) == (0, 0)
    given[7] = lines(1)[0]  # corrected, the same declaration goes through
    assert len(market.ledger.register_imports(market.customs, header, given).events) == 10


def test_register_imports_refuses_a_lot_already_registered(market: Market) -> None:
    given = lines(2)
    market.ledger.register_imports(market.customs, declaration(market), given[:1])
    revert = refused(lambda: market.ledger.register_imports(market.customs, declaration(market), given[::-1]))
    assert (revert.index, revert.inner.name) == (1, "BatchAlreadyExists")  # type: ignore[union-attr]


def test_declaration_number_is_recorded_once(market: Market) -> None:
    header = declaration(market)
    market.ledger.register_imports(market.customs, header, lines(2))
    revert = refused(lambda: market.ledger.register_imports(market.customs, header, lines(2)))
    assert (revert.name, revert.args_by_name) == ("DeclarationExists", {"declarationNumber": header.number})
    single = lines(1)[0]
    revert = refused(
        lambda: market.ledger.register_import(
            market.customs,
            gtin=single.gtin,
            lot=single.lot,
            quantity=5,
            unit="KGM",
            importer=market.supplier2.address,
            origin_country="TH",
            hs_code=HS_DURIAN,
            declaration_number=header.number,
            cleared_at=header.cleared_at,
            entry_port="CNNGB",
        )
    )
    assert (revert.name, revert.args_by_name) == ("DeclarationExists", {"declarationNumber": header.number})


def test_a_long_declaration_is_recorded_in_calls_that_continue_it(market: Market) -> None:
    header = declaration(market, line_count=5)
    given = lines(5)
    first = market.ledger.register_imports(market.customs, header, given[:3])
    assert first.events[0].args["firstLine"] == 0
    assert market.ledger.declaration_lines(header.number) == (3, 5)

    revert = refused(lambda: market.ledger.register_imports(market.customs, header, given[3:], first_line=2))
    assert (revert.name, revert.args_by_name) == (
        "DeclarationOutOfOrder",
        {"declarationNumber": header.number, "nextLine": 3, "firstLine": 2},
    )
    other_port = replace(header, entry_port="CNSHA")
    revert = refused(lambda: market.ledger.register_imports(market.customs, other_port, given[3:], first_line=3))
    assert (revert.name, revert.args_by_name) == ("DeclarationMismatch", {"declarationNumber": header.number})
    revert = refused(lambda: market.ledger.register_imports(market.customs, header, lines(3), first_line=3))
    assert (revert.name, revert.args_by_name) == (
        "DeclarationLineOutOfRange",
        {"declarationNumber": header.number, "lineCount": 5, "lineEnd": 6},
    )
    bad = [given[3], replace(given[4], hs_code="12")]
    revert = refused(lambda: market.ledger.register_imports(market.customs, header, bad, first_line=3))
    assert (revert.name, revert.index) == ("ImportLineInvalid", 4)  # the line's place in the declaration

    rest = market.ledger.register_imports(market.customs, header, given[3:], first_line=3)
    assert rest.events[0].args["firstLine"] == 3
    assert [e.args["line"] for e in rest.events[1:]] == [3, 4]
    assert market.ledger.declaration_lines(header.number) == (5, 5)
    revert = refused(lambda: market.ledger.register_imports(market.customs, header, lines(1), first_line=5))
    assert revert.name == "DeclarationExists"


def test_a_declaration_must_start_at_line_zero(market: Market) -> None:
    header = declaration(market, line_count=4)
    revert = refused(lambda: market.ledger.register_imports(market.customs, header, lines(2), first_line=2))
    assert (revert.name, revert.args_by_name) == (
        "DeclarationOutOfOrder",
        {"declarationNumber": header.number, "nextLine": 0, "firstLine": 2},
    )


def test_register_imports_checks_the_header_like_the_single_call(market: Market) -> None:
    later = chain_now(market) + 3600
    cases = {
        "importer": (declaration(market, importer=market.vendor.address), "InvalidImporter"),
        "number": (declaration(market, number=""), "MissingField"),
        "port": (declaration(market, entry_port=""), "MissingField"),
        "date": (declaration(market, cleared_at=later), "DateInFuture"),
        "document": (declaration(market, document_cid=b"\x12\x20"), "InvalidDocumentCid"),
    }
    for why, (header, error) in cases.items():
        revert = refused(lambda header=header: market.ledger.register_imports(market.customs, header, lines(1)))
        assert revert.name == error, why
    revert = refused(lambda: market.ledger.register_imports(market.customs, declaration(market), []))
    assert (revert.name, revert.args_by_name) == ("TooFewBatches", {"given": 0, "needed": 1})


def test_single_import_takes_an_optional_hs_code(market: Market) -> None:
    line = lines(1)[0]
    fields = dict(
        gtin=line.gtin,
        quantity=5,
        unit="KGM",
        importer=market.supplier2.address,
        origin_country="TH",
        declaration_number="3101-SINGLE",
        cleared_at=chain_now(market) - 60,
        entry_port="CNNGB",
    )
    with_code = market.ledger.register_import(market.customs, lot=line.lot, hs_code="0810600010", **fields)
    assert with_code.event("ImportRegistered").args["hsCode"] == b"0810600010"
    without = market.ledger.register_import(market.customs, lot=line.lot + "-2", **fields)
    assert without.event("ImportRegistered").args["hsCode"] == bytes(10)
    revert = refused(lambda: market.ledger.register_import(market.customs, lot="X-1", hs_code="08106", **fields))
    assert (revert.name, revert.args_by_name) == ("InvalidHsCode", {"hsCode": code("08106", 10)})
    # Lines recorded one call each share the number, and do not claim it.
    assert market.ledger.declaration_lines("3101-SINGLE") == (0, 0)
