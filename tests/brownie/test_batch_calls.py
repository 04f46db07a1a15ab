"""The batch calls through brownie: registerHarvests, registerImports and recordSales record
what the single calls record, all or nothing, naming a refused item by its index."""

from brownie import web3
from eth_abi import encode
from helpers import DOCUMENT_CID, DURIAN, GREENS, HOUR, hexstr, reverts_with

SOLD_OUT = 5
HS_DURIAN = b"08106000\0\0"


def inner(signature: str, *args: object) -> bytes:
    """The single call's error as the batch calls wrap it: selector and arguments."""
    types = signature[signature.index("(") + 1 : -1].split(",")
    return bytes(web3.keccak(text=signature)[:4]) + encode([t for t in types if t], list(args))


def lot(name, quantity, now):
    return (GREENS, name, quantity, b"KGM", now - 20 * HOUR, "geo:30.2336,119.7248", DOCUMENT_CID)


def test_register_harvests_records_each_lot_as_a_harvest(market, farm, now):
    tx = market.registerHarvests([lot("GV-1", 40, now), lot("GV-2", 60, now)], {"from": farm})

    ids = [market.batchIdOf(GREENS, "GV-1"), market.batchIdOf(GREENS, "GV-2")]
    assert tx.return_value == ids
    assert [dict(e) for e in tx.events["HarvestRegistered"]] == [
        {
            "batchId": ids[n],
            "supplier": farm,
            "gtin": GREENS,
            "lot": name,
            "quantity": quantity,
            "unit": hexstr(b"KGM"),
            "harvestedAt": now - 20 * HOUR,
            "origin": "geo:30.2336,119.7248",
            "documentCid": hexstr(DOCUMENT_CID),
        }
        for n, (name, quantity) in enumerate((("GV-1", 40), ("GV-2", 60)))
    ]
    assert market.batch(ids[1])["remaining"] == 60


def test_register_harvests_is_all_or_nothing(market, farm, now):
    bad = (GREENS + 1, *lot("GV-3", 5, now)[1:])
    with reverts_with("HarvestLotInvalid(uint256,bytes)", 1, inner("InvalidGtin(uint64)", GREENS + 1)):
        market.registerHarvests([lot("GV-1", 40, now), bad], {"from": farm})
    assert market.batch(market.batchIdOf(GREENS, "GV-1"))["status"] == 0


def test_register_imports_emits_the_declaration_once_and_a_line_event_each(market, customs, importer, now):
    header = ("310120261000200001", "CNNGB", now - 2 * HOUR, importer, DOCUMENT_CID, 2)
    lines = [(DURIAN, "TH-1", 300, b"KGM", b"TH", HS_DURIAN), (DURIAN, "TH-2", 200, b"KGM", b"TH", HS_DURIAN)]

    tx = market.registerImports(header, 0, lines, {"from": customs})

    declaration_id = web3.keccak(text="310120261000200001").hex()
    assert dict(tx.events["DeclarationRegistered"][0]) == {
        "declarationId": "0x" + declaration_id.removeprefix("0x"),
        "importer": importer,
        "customs": customs,
        "declarationNumber": "310120261000200001",
        "entryPort": "CNNGB",
        "clearedAt": now - 2 * HOUR,
        "documentCid": hexstr(DOCUMENT_CID),
        "firstLine": 0,
        "lineCount": 2,
    }
    assert [(e["line"], e["lot"], e["hsCode"], e["originCountry"]) for e in tx.events["ImportLineRegistered"]] == [
        (0, "TH-1", hexstr(HS_DURIAN), hexstr(b"TH")),
        (1, "TH-2", hexstr(HS_DURIAN), hexstr(b"TH")),
    ]
    assert market.batch(market.batchIdOf(DURIAN, "TH-2"))["custodian"] == importer
    assert tuple(market.declarationLines("310120261000200001")) == (2, 2)
    with reverts_with("DeclarationExists(string)", "310120261000200001"):
        market.registerImports(header, 0, [(DURIAN, "TH-3", 1, b"KGM", b"TH", HS_DURIAN)], {"from": customs})


def test_register_imports_names_the_bad_line(market, customs, importer, now):
    header = ("310120261000200002", "CNNGB", now - 2 * HOUR, importer, b"", 3)
    lines = [(DURIAN, f"TH-{n}", 10, b"KGM", b"TH", HS_DURIAN) for n in range(3)]
    lines[2] = (DURIAN, "TH-2", 10, b"KGM", b"TH", b"0810\0\0\0\0\0\0")
    with reverts_with("ImportLineInvalid(uint256,bytes)", 2, inner("InvalidHsCode(bytes10)", b"0810\0\0\0\0\0\0")):
        market.registerImports(header, 0, lines, {"from": customs})
    assert tuple(market.declarationLines("310120261000200002")) == (0, 0)


def test_record_sales_sells_one_batch_several_times(market, greens, farm, vendor, move):
    move(greens, farm, vendor)
    tx = market.recordSales([(greens, b"CNY", 0, [(100, 1200), (300, 3600)])], {"from": vendor})

    sales = tx.events["SaleRecorded"]
    assert [(s["serial"], s["quantity"], s["price"], s["currency"]) for s in sales] == [
        (1, 100, 1200, hexstr(b"CNY")),
        (2, 300, 3600, hexstr(b"CNY")),
    ]
    assert [s["saleId"] for s in sales] == [market.saleIdOf(greens, 1), market.saleIdOf(greens, 2)]
    assert (market.batch(greens)["status"], market.batch(greens)["remaining"]) == (SOLD_OUT, 0)


def test_record_sales_refuses_more_than_is_left(market, greens, farm, vendor, move):
    move(greens, farm, vendor)
    refusal = inner("InsufficientQuantity(bytes32,uint64,uint64)", bytes(greens), 100, 101)
    with reverts_with("SaleInvalid(uint256,bytes)", 1, refusal):
        market.recordSales([(greens, b"CNY", 0, [(300, 1), (101, 1)])], {"from": vendor})
    assert market.batch(greens)["remaining"] == 400


def test_record_sales_pins_reserved_serials_and_refuses_a_used_one(market, greens, farm, vendor, move):
    move(greens, farm, vendor)
    tx = market.recordSales([(greens, b"CNY", 4, [(10, 1), (10, 1)]), (greens, b"CNY", 9, [(10, 1)])], {"from": vendor})
    assert [s["serial"] for s in tx.events["SaleRecorded"]] == [4, 5, 9]  # 1-3 and 6-8: gaps, never used
    assert market.batch(greens)["saleCount"] == 9
    # The first group takes 10, so the second's 7 is below the last serial used (10).
    refusal = inner("SerialUsed(bytes32,uint32,uint32)", bytes(greens), 7, 10)
    with reverts_with("SaleInvalid(uint256,bytes)", 1, refusal):
        market.recordSales([(greens, b"CNY", 10, [(1, 1)]), (greens, b"CNY", 7, [(1, 1)])], {"from": vendor})
    tx = market.recordSale(greens, 1, 1, b"CNY", {"from": vendor})  # all undone; the single call takes last + 1
    assert tx.events["SaleRecorded"]["serial"] == 10
