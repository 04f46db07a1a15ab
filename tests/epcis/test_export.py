"""Export: every ledger step as the EPCIS 2.0 event the export maps it to, in documents that
validate against GS1's JSON Schema; a lot's lineage in both directions; time windows."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from typing import Any

import pytest

from ledger.epcis import identifiers as ids
from ledger.epcis.export import epcis_document, export_document, export_events
from ledger.epcis.mapping import iso_time
from ledger.epcis.validate import SCHEMA_PATH, validate_document
from ledger.epcis.vocabulary import NAMESPACE_PREFIX
from ledger.errors import NotFound
from tests.epcis.conftest import (
    DECLARATION,
    HARVEST_LOT,
    IMPORT_LOT,
    MERGED_LOT,
    ORIGIN,
    SECOND_LOT,
    SPLIT_LOTS,
    EpcisMarket,
)
from tests.factories.market import GTIN, OTHER_GTIN


def _events(market: EpcisMarket, **selection: Any) -> list[dict[str, Any]]:
    return [e.event for e in export_events(market.engine, **selection)]


def _one(events: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    found = [e for e in events if all(e.get(k) == v for k, v in fields.items())]
    assert len(found) == 1, (fields, [(e["type"], e.get("bizStep")) for e in events])
    return found[0]


def _classes(event: dict[str, Any], field: str = "quantityList") -> dict[str, tuple[int | None, str | None]]:
    return {q["epcClass"]: (q.get("quantity"), q.get("uom")) for q in event.get(field, [])}


def test_export_of_every_step_validates_against_the_schema(epcis_market: EpcisMarket) -> None:
    events = _events(epcis_market)
    assert validate_document(epcis_document(events)) == []
    kinds = Counter((e["type"], e.get("bizStep"), e.get("disposition")) for e in events)
    assert kinds == {
        ("ObjectEvent", "commissioning", "active"): 2,
        ("ObjectEvent", "receiving", "active"): 1,  # the import
        ("ObjectEvent", "shipping", "in_transit"): 4,
        ("ObjectEvent", "receiving", "in_progress"): 3,
        ("ObjectEvent", "void_shipping", "active"): 1,
        ("TransformationEvent", "repackaging", "active"): 2,
        ("ObjectEvent", "inspecting", "conformant"): 2,  # a passed test and the release
        ("ObjectEvent", "inspecting", "non_conformant"): 1,
        ("ObjectEvent", "retail_selling", "retail_sold"): 1,
        ("ObjectEvent", "holding", "recalled"): 1,
    }
    assert len({e["eventID"] for e in events}) == len(events)
    times = [e["eventTime"] for e in events]
    assert times == sorted(times)


def test_export_is_deterministic(epcis_market: EpcisMarket) -> None:
    assert _events(epcis_market) == _events(epcis_market)


def test_harvest_is_commissioning_with_ilmd(epcis_market: EpcisMarket) -> None:
    event = _one(
        _events(epcis_market),
        bizStep="commissioning",
        quantityList=[{"epcClass": ids.lot_uri(GTIN, HARVEST_LOT), "quantity": 100, "uom": "KGM"}],
    )
    assert event["action"] == "ADD"
    assert event["bizLocation"] == {"id": ORIGIN}
    assert event["ilmd"]["cbvmda:harvestStartDate"] == iso_time(epcis_market.harvested_at)
    assert event["ilmd"]["freshledger:origin"] == ORIGIN
    assert event["ilmd"]["cbvmda:lotNumber"] == HARVEST_LOT
    supplier = ids.participant_uri(epcis_market.market.supplier.address)
    assert {"type": "owning_party", "destination": supplier} in event["destinationList"]
    assert event["freshledger:documentCid"].startswith("bafkrei")


def test_import_is_receiving_with_customs_declaration_and_country(epcis_market: EpcisMarket) -> None:
    event = _one(_events(epcis_market), bizStep="receiving", action="ADD")
    assert _classes(event) == {ids.lot_uri(OTHER_GTIN, IMPORT_LOT): (50, "KGM")}
    assert event["bizTransactionList"] == [
        {"type": "urn:freshledger:btt:customs_declaration", "bizTransaction": ids.customs_declaration_uri(DECLARATION)}
    ]
    assert event["ilmd"]["cbvmda:countryOfOrigin"] == "TH"
    assert event["ilmd"]["freshledger:hsCode"] == "08106000"
    assert event["sourceList"] == [{"type": "location", "source": "https://www.iso.org/obp/ui/#iso:code:3166:TH"}]
    assert event["readPoint"] == {"id": "urn:freshledger:port:CNNGB"}
    importer = ids.participant_uri(epcis_market.market.supplier2.address)
    assert {"type": "owning_party", "destination": importer} in event["destinationList"]
    assert event["freshledger:customsOfficer"] == ids.participant_uri(epcis_market.market.customs.address)


def test_hand_off_is_shipping_then_receiving_with_source_and_destination(epcis_market: EpcisMarket) -> None:
    m = epcis_market.market
    lot = {"epcClass": ids.lot_uri(GTIN, HARVEST_LOT), "quantity": 100, "uom": "KGM"}
    events = [e for e in _events(epcis_market, lot=HARVEST_LOT) if e.get("quantityList") == [lot]]
    shipping = _one(events, bizStep="shipping")
    receiving = _one(events, bizStep="receiving")
    assert shipping["eventTime"] <= receiving["eventTime"]
    for event in (shipping, receiving):
        assert event["action"] == "OBSERVE"
        assert event["sourceList"] == [
            {"type": "owning_party", "source": ids.participant_uri(m.supplier.address)},
            {"type": "possessing_party", "source": ids.participant_uri(m.supplier.address)},
        ]
        assert event["destinationList"] == [
            {"type": "owning_party", "destination": ids.participant_uri(m.supplier2.address)},
            {"type": "possessing_party", "destination": ids.participant_uri(m.supplier2.address)},
        ]
    # The sender's GLN is where the batch leaves, the recipient's where it arrives.
    assert shipping["bizLocation"] == {"id": "https://id.gs1.org/414/6901234000016"}
    assert receiving["bizLocation"] == {"id": "https://id.gs1.org/414/6901234000047"}


def test_split_and_merge_are_transformations_with_quantity_lists(epcis_market: EpcisMarket) -> None:
    transformations = [e for e in _events(epcis_market) if e["type"] == "TransformationEvent"]
    split, merge = transformations
    assert _classes(split, "inputQuantityList") == {ids.lot_uri(GTIN, HARVEST_LOT): (60, "KGM")}
    assert _classes(split, "outputQuantityList") == {ids.lot_uri(GTIN, lot): (30, "KGM") for lot in SPLIT_LOTS}
    assert _classes(merge, "inputQuantityList") == {
        ids.lot_uri(GTIN, SPLIT_LOTS[1]): (30, "KGM"),
        ids.lot_uri(GTIN, SECOND_LOT): (20, "KGM"),
    }
    assert _classes(merge, "outputQuantityList") == {ids.lot_uri(GTIN, MERGED_LOT): (50, "KGM")}


def test_inspection_carries_substance_value_uom_and_limit(epcis_market: EpcisMarket) -> None:
    events = _events(epcis_market)
    passed = _one(events, bizStep="inspecting", disposition="conformant", **{"freshledger:passed": True})
    failed = _one(events, bizStep="inspecting", disposition="non_conformant")
    (report,) = passed["sensorElementList"][0]["sensorReport"]
    assert report == {
        "type": "MassConcentration",
        "chemicalSubstance": "urn:freshledger:substance:chlorpyrifos",
        "value": 4,
        "uom": "J33",
        "freshledger:limit": 50,
        "freshledger:substanceName": "chlorpyrifos",
        "freshledger:unitText": "ug/kg",
    }
    (over,) = failed["sensorElementList"][0]["sensorReport"]
    assert (over["value"], over["freshledger:limit"], over["exception"]) == (37, 20, "ALARM_CONDITION")
    assert _classes(failed) == {ids.lot_uri(GTIN, MERGED_LOT): (None, None)}


def test_sale_is_retail_selling_of_the_sold_item(epcis_market: EpcisMarket) -> None:
    sale = _one(_events(epcis_market), bizStep="retail_selling")
    assert sale["disposition"] == "retail_sold"
    assert sale["epcList"] == [ids.item_uri(GTIN, SPLIT_LOTS[0], 1)]
    assert sale["epcList"] == [f"https://id.gs1.org/01/{GTIN}/10/{SPLIT_LOTS[0]}/21/1"]
    assert _classes(sale) == {ids.lot_uri(GTIN, SPLIT_LOTS[0]): (2, "KGM")}
    assert (sale["freshledger:price"], sale["freshledger:currency"]) == (1200, "CNY")


def test_recall_sets_disposition_recalled(epcis_market: EpcisMarket) -> None:
    recall = _one(_events(epcis_market), disposition="recalled")
    assert recall["persistentDisposition"] == {"set": ["recalled"]}
    assert _classes(recall) == {ids.lot_uri(GTIN, MERGED_LOT): (None, None)}
    assert "carbofuran" in recall["freshledger:reason"]


def test_lineage_export_reaches_origins_and_descendants(epcis_market: EpcisMarket) -> None:
    # From the merged lot back: both harvests, the split, the hand-offs of both harvests.
    back = _events(epcis_market, lot=MERGED_LOT)
    assert validate_document(epcis_document(back)) == []
    commissioned = {q["epcClass"] for e in back if e.get("bizStep") == "commissioning" for q in e["quantityList"]}
    assert commissioned == {ids.lot_uri(GTIN, HARVEST_LOT), ids.lot_uri(GTIN, SECOND_LOT)}
    assert not any(e.get("bizStep") == "retail_selling" for e in back)  # the sale was of lot A, not in this lineage
    assert not any(e.get("action") == "ADD" and e.get("bizStep") == "receiving" for e in back)  # no import
    # From the first harvest forward: both repacks, the sale of A, the merge and its recall.
    forward = _events(epcis_market, lot=HARVEST_LOT)
    steps = Counter(e.get("bizStep") for e in forward)
    assert steps["retail_selling"] == 1
    assert steps["repackaging"] == 2
    assert any(e.get("disposition") == "recalled" for e in forward)
    # The import is a lineage of its own.
    imported = _events(epcis_market, lot=IMPORT_LOT, gtin=OTHER_GTIN)
    assert Counter(e.get("bizStep") for e in imported) == {"receiving": 1, "shipping": 1, "void_shipping": 1}


def test_time_window_export(epcis_market: EpcisMarket) -> None:
    everything = export_events(epcis_market.engine)
    middle = everything[len(everything) // 2]
    since = _seconds(middle.event["eventTime"])
    later = _events(epcis_market, since=since)
    earlier = _events(epcis_market, until=since)
    assert len(later) + len(earlier) == len(everything)
    assert all(e["eventTime"] >= middle.event["eventTime"] for e in later)
    assert all(e["eventTime"] < middle.event["eventTime"] for e in earlier)
    assert _events(epcis_market, since=since, until=since) == []


def _seconds(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def test_export_of_an_unknown_lot_is_not_found(epcis_market: EpcisMarket) -> None:
    with pytest.raises(NotFound, match="NO-SUCH-LOT"):
        export_events(epcis_market.engine, lot="NO-SUCH-LOT")


def test_export_document_names_parties_and_places_as_master_data(epcis_market: EpcisMarket) -> None:
    document = export_document(epcis_market.engine, lot=HARVEST_LOT)
    assert validate_document(document) == []
    parties, places = document["epcisHeader"]["epcisMasterData"]["vocabularyList"]
    assert parties["type"] == "urn:epcglobal:epcis:vtype:SourceDest"
    named = {p["id"]: {a["id"]: a["attribute"] for a in p["attributes"]} for p in parties["vocabularyElementList"]}
    supplier = named[ids.participant_uri(epcis_market.market.supplier.address)]
    assert supplier == {
        "urn:epcglobal:cbv:mda#name": "Green Valley Farm",
        "urn:freshledger:epcis:identifier": "6901234000016",
    }
    assert places["type"] == "urn:epcglobal:epcis:vtype:BusinessLocation"
    locations = {p["id"]: p["attributes"][0]["attribute"] for p in places["vocabularyElementList"]}
    assert locations["https://id.gs1.org/414/6901234000047"] == "West Lake Wholesale"
    assert [e["eventID"] for e in document["epcisBody"]["eventList"]] == [
        e["eventID"] for e in _events(epcis_market, lot=HARVEST_LOT)
    ]


def _terms(context: object, found: set[str]) -> set[str]:
    """Every term a JSON-LD context defines, scoped contexts included."""
    if isinstance(context, list):
        for item in context:
            _terms(item, found)
    elif isinstance(context, dict):
        for term, definition in context.items():
            found.add(term)
            if isinstance(definition, dict) and "@context" in definition:
                _terms(definition["@context"], found)
    return found


def _keys(value: object, found: set[str]) -> set[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            found.add(key)
            _keys(item, found)
    elif isinstance(value, list):
        for item in value:
            _keys(item, found)
    return found


def test_every_unprefixed_field_is_a_term_of_gs1s_context(epcis_market: EpcisMarket) -> None:
    """So the JSON-LD expands: bare names come from GS1's context, ours carry a prefix."""
    context = json.loads((SCHEMA_PATH.parent / "epcis-context.jsonld").read_text())["@context"]
    terms = _terms(context, set())
    document = export_document(epcis_market.engine)
    # The events; not the header, whose master-data names GS1's schema requires but its context lacks.
    keys = _keys({k: v for k, v in document.items() if k not in ("@context", "epcisHeader")}, set())
    assert {k for k in keys if ":" not in k} - terms - {"@context"} == set()
    assert {k.split(":")[0] for k in keys if ":" in k} <= {"freshledger", "cbvmda"}
    assert {"freshledger", "cbvmda"} <= terms | {NAMESPACE_PREFIX}
