"""Batch life cycle: harvest or import, hand-off, repacking, inspection, sale, recall."""

from brownie.test import given, strategy
from helpers import DOCUMENT_CID, DURIAN, GREENS, HOUR, event, hexstr, reverts_with
from hypothesis import HealthCheck, settings

# IBatchRegistry.Status
ACTIVE, IN_TRANSIT, QUARANTINED, RECALLED, SOLD_OUT = 1, 2, 3, 4, 5
ZERO_ADDRESS = "0x" + "00" * 20


def test_harvest_records_the_event_fields(market, farm, now):
    harvested_at = now - 20 * HOUR

    tx = market.registerHarvest(
        GREENS, "GV-2611-01", 400, b"KGM", harvested_at, "geo:30.2336,119.7248", DOCUMENT_CID, {"from": farm}
    )

    batch_id = market.batchIdOf(GREENS, "GV-2611-01")
    assert event(tx, "HarvestRegistered") == {
        "batchId": batch_id,
        "supplier": farm,
        "gtin": GREENS,
        "lot": "GV-2611-01",
        "quantity": 400,
        "unit": hexstr(b"KGM"),
        "harvestedAt": harvested_at,
        "origin": "geo:30.2336,119.7248",
        "documentCid": hexstr(DOCUMENT_CID),
    }
    assert tx.return_value == batch_id
    assert tuple(market.batch(batch_id)) == (GREENS, hexstr(b"KGM"), ACTIVE, 400, farm, ZERO_ADDRESS, 0)
    with reverts_with("BatchAlreadyExists(bytes32)", batch_id):
        market.registerHarvest(GREENS, "GV-2611-01", 1, b"KGM", harvested_at, "geo:0,0", b"", {"from": farm})


def test_non_supplier_cannot_register_a_harvest(market, vendor, role, harvest):
    with reverts_with("AccessControlUnauthorizedAccount(address,bytes32)", vendor, role["SUPPLIER"]):
        harvest(by=vendor)


def test_outsider_cannot_register_a_harvest(market, outsider, harvest):
    with reverts_with("ParticipantNotRegistered(address)", outsider):
        harvest(by=outsider)


def test_customs_clears_an_import_to_a_supplier(market, customs, importer, vendor, now):
    args = (DURIAN, "TH-DUR-0931", 300, b"KGM")
    details = (b"TH", b"08106000\0\0", "310120261000123456", now - 30 * HOUR, "CNNGB", DOCUMENT_CID)

    tx = market.registerImport(*args, importer, *details, {"from": customs})

    batch_id = market.batchIdOf(DURIAN, "TH-DUR-0931")
    cleared = event(tx, "ImportRegistered")
    assert cleared["batchId"] == batch_id
    assert (cleared["importer"], cleared["customs"]) == (importer, customs)
    assert (cleared["gtin"], cleared["lot"], cleared["quantity"]) == (DURIAN, "TH-DUR-0931", 300)
    assert (cleared["originCountry"], cleared["entryPort"]) == (hexstr(b"TH"), "CNNGB")
    assert cleared["hsCode"] == hexstr(b"08106000\0\0")
    assert cleared["declarationNumber"] == "310120261000123456"
    assert market.batch(batch_id)["custodian"] == importer
    with reverts_with("InvalidImporter(address)", vendor):
        market.registerImport(DURIAN, "TH-DUR-0932", 300, b"KGM", vendor, *details, {"from": customs})
    with reverts_with("AccessControlUnauthorizedAccount(address,bytes32)"):
        market.registerImport(DURIAN, "TH-DUR-0933", 300, b"KGM", importer, *details, {"from": importer})


def test_hand_off_and_accept(market, greens, farm, wholesaler, vendor):
    tx = market.handOff(greens, wholesaler, {"from": farm})

    assert event(tx, "HandOffInitiated") == {"batchId": greens, "from": farm, "to": wholesaler, "quantity": 400}
    in_transit = market.batch(greens)
    assert (in_transit["status"], in_transit["custodian"], in_transit["pendingRecipient"]) == (
        IN_TRANSIT,
        farm,
        wholesaler,
    )
    with reverts_with("NotPendingRecipient(bytes32,address)", greens, vendor):
        market.acceptHandOff(greens, {"from": vendor})
    with reverts_with("BatchInTransit(bytes32,address)", greens, wholesaler):
        market.handOff(greens, vendor, {"from": farm})

    tx = market.acceptHandOff(greens, {"from": wholesaler})

    assert event(tx, "HandOffAccepted") == {"batchId": greens, "to": wholesaler, "quantity": 400}
    accepted = market.batch(greens)
    assert (accepted["status"], accepted["custodian"], accepted["pendingRecipient"]) == (
        ACTIVE,
        wholesaler,
        ZERO_ADDRESS,
    )
    with reverts_with("NotCustodian(bytes32,address)", greens, farm):
        market.handOff(greens, vendor, {"from": farm})


def test_split_and_merge_keep_quantities(market, greens, farm):
    tx = market.split(greens, [("GV-2611-01-A", 50), ("GV-2611-01-B", 120)], {"from": farm})

    parts = tx.events["BatchSplit"]
    children = [part["childId"] for part in parts]
    assert children == list(tx.return_value)
    assert [(p["parentId"], p["lot"], p["quantity"]) for p in parts] == [
        (greens, "GV-2611-01-A", 50),
        (greens, "GV-2611-01-B", 120),
    ]
    assert [market.batch(c)["remaining"] for c in children] == [50, 120]
    assert market.batch(greens)["remaining"] == 230

    tx = market.merge([children[0], children[1], greens], "GV-2611-01-M", {"from": farm})

    merged = event(tx, "BatchesMerged")
    assert merged["childId"] == market.batchIdOf(GREENS, "GV-2611-01-M")
    assert merged["quantity"] == 400
    assert list(merged["parentQuantities"]) == [50, 120, 230]
    assert tuple(market.batch(merged["childId"]))[:4] == (GREENS, hexstr(b"KGM"), ACTIVE, 400)
    for parent in (*children, greens):
        assert market.batch(parent)["status"] == SOLD_OUT
        assert market.batch(parent)["remaining"] == 0
    with reverts_with("BatchSoldOut(bytes32)", greens):
        market.split(greens, [("GV-2611-01-C", 1)], {"from": farm})


# brownie.test.given snapshots the chain before the first example and reverts to it before each
# further one. That snapshot replaces fn_isolation's, so whatever a fixture writes to the chain
# would outlive this test: the batch is registered in the body. The function-scoped fixtures
# used here write nothing, which hypothesis cannot know, hence the suppressed health check.
@given(first=strategy("uint64", min_value=1, max_value=300), second=strategy("uint64", min_value=1, max_value=300))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_split_never_creates_produce(market, harvest, farm, first, second):
    greens = harvest(quantity=400).return_value
    parts = [("GV-2611-01-A", first), ("GV-2611-01-B", second)]
    if first + second > 400:
        with reverts_with("InsufficientQuantity(bytes32,uint64,uint64)", greens, 400 - first, second):
            market.split(greens, parts, {"from": farm})
        assert market.batch(greens)["remaining"] == 400
    else:
        children = market.split(greens, parts, {"from": farm}).return_value
        left = market.batch(greens)
        assert left["remaining"] + sum(market.batch(c)["remaining"] for c in children) == 400
        assert left["status"] == (SOLD_OUT if first + second == 400 else ACTIVE)


def test_sale_records_serials_and_sells_out(market, greens, farm, vendor, move):
    move(greens, farm, vendor)

    tx = market.recordSale(greens, 150, 90000, b"CNY", {"from": vendor})

    sale = event(tx, "SaleRecorded")
    assert sale == {
        "batchId": greens,
        "vendor": vendor,
        "saleId": market.saleIdOf(greens, 1),
        "serial": 1,
        "quantity": 150,
        "price": 90000,
        "currency": hexstr(b"CNY"),
    }
    assert tuple(tx.return_value) == (sale["saleId"], 1)
    with reverts_with("InsufficientQuantity(bytes32,uint64,uint64)", greens, 250, 251):
        market.recordSale(greens, 251, 1, b"CNY", {"from": vendor})

    tx = market.recordSale(greens, 250, 150000, b"CNY", {"from": vendor})

    assert event(tx, "SaleRecorded")["serial"] == 2
    assert tuple(market.batch(greens))[2:] == (SOLD_OUT, 0, vendor, ZERO_ADDRESS, 2)
    with reverts_with("BatchSoldOut(bytes32)", greens):
        market.recordSale(greens, 1, 1, b"CNY", {"from": vendor})


def test_failed_inspection_quarantines_and_blocks_the_sale(market, greens, farm, vendor, lab, regulator, move):
    move(greens, farm, vendor)
    residues = [("carbofuran", 37, 20, "ug/kg")]

    tx = market.recordInspection(greens, False, residues, b"", {"from": lab})

    inspected = event(tx, "InspectionRecorded")
    assert (inspected["batchId"], inspected["lab"], inspected["passed"]) == (greens, lab, False)
    assert [tuple(r) for r in inspected["residues"]] == residues
    assert market.batch(greens)["status"] == QUARANTINED
    with reverts_with("BatchQuarantined(bytes32)", greens):
        market.recordSale(greens, 1, 600, b"CNY", {"from": vendor})

    market.releaseQuarantine(greens, "retest passed: 12 ug/kg", {"from": regulator})
    assert market.recordSale(greens, 1, 600, b"CNY", {"from": vendor}).return_value["serial"] == 1


def test_passed_inspection_must_be_within_limits(market, greens, lab):
    with reverts_with("InspectionInconsistent(uint256)", 1):
        market.recordInspection(
            greens, True, [("lead", 20, 300, "ug/kg"), ("carbofuran", 37, 20, "ug/kg")], b"", {"from": lab}
        )


def test_recall_blocks_sale_and_movement(market, greens, farm, vendor, regulator, move):
    move(greens, farm, vendor)

    tx = market.recall([greens], "carbofuran over the limit in the parent lot", {"from": regulator})

    assert event(tx, "RecallIssued") == {
        "batchId": greens,
        "regulator": regulator,
        "reason": "carbofuran over the limit in the parent lot",
    }
    assert market.batch(greens)["status"] == RECALLED
    with reverts_with("BatchRecalled(bytes32)", greens):
        market.recordSale(greens, 1, 600, b"CNY", {"from": vendor})
    with reverts_with("BatchRecalled(bytes32)", greens):
        market.handOff(greens, farm, {"from": vendor})
    # recalling again is a no-op, not an error
    assert "RecallIssued" not in market.recall([greens], "again", {"from": regulator}).events
