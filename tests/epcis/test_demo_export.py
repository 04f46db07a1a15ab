"""The demo market (``ledger.demo`` plus the merged greens lot of the shopper-page tests) as
EPCIS 2.0: schema-valid, with the event each step maps to."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ledger import demo
from ledger.epcis import identifiers as ids
from ledger.epcis.export import epcis_document, export_events
from ledger.epcis.validate import validate_document
from tests.factories.shopper_market import MERGED_LOT, ShopperMarket, shopper_market


@pytest.fixture(scope="module")
def demo_market(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShopperMarket]:
    with shopper_market("sqlite", tmp_path_factory.mktemp("demo")) as market:
        yield market


def _events(market: ShopperMarket, **selection: Any) -> list[dict[str, Any]]:
    return [e.event for e in export_events(market.engine, **selection)]


def test_demo_export_validates_and_has_every_step_kind(demo_market: ShopperMarket) -> None:
    events = _events(demo_market)
    assert validate_document(epcis_document(events)) == []
    kinds = {(e["type"], e.get("action"), e.get("bizStep"), e.get("disposition")) for e in events}
    assert kinds >= {
        ("ObjectEvent", "ADD", "commissioning", "active"),
        ("ObjectEvent", "ADD", "receiving", "active"),
        ("ObjectEvent", "OBSERVE", "shipping", "in_transit"),
        ("ObjectEvent", "OBSERVE", "receiving", "in_progress"),
        ("TransformationEvent", None, "repackaging", "active"),
        ("ObjectEvent", "OBSERVE", "inspecting", "conformant"),
        ("ObjectEvent", "OBSERVE", "inspecting", "non_conformant"),
        ("ObjectEvent", "OBSERVE", "retail_selling", "retail_sold"),
        ("ObjectEvent", "OBSERVE", "holding", "recalled"),
    }


def test_demo_import_carries_the_declaration_and_country(demo_market: ShopperMarket) -> None:
    (imported,) = [e for e in _events(demo_market, lot="TH-DUR-0931") if e.get("action") == "ADD"]
    assert imported["bizTransactionList"][0]["bizTransaction"] == ids.customs_declaration_uri("310120261000123456")
    assert imported["ilmd"]["cbvmda:countryOfOrigin"] == "TH"
    assert imported["quantityList"] == [
        {"epcClass": ids.lot_uri(demo.DURIAN_GTIN, "TH-DUR-0931"), "quantity": 300, "uom": "KGM"}
    ]


def test_demo_strawberry_lineage_has_the_failed_test_and_the_recall(demo_market: ShopperMarket) -> None:
    events = _events(demo_market, lot="SB-2611-07", gtin=demo.STRAWBERRY_GTIN)
    failed = [e for e in events if e.get("disposition") == "non_conformant"]
    reports = [r for e in failed for s in e["sensorElementList"] for r in s["sensorReport"]]
    assert {"value": 37, "freshledger:limit": 20, "uom": "J33", "exception": "ALARM_CONDITION"}.items() <= next(
        r for r in reports if r["freshledger:substanceName"] == "carbofuran"
    ).items()
    recalled = {q["epcClass"] for e in events if e.get("disposition") == "recalled" for q in e["quantityList"]}
    assert ids.lot_uri(demo.STRAWBERRY_GTIN, "SB-2611-07") in recalled
    split = next(e for e in events if e["type"] == "TransformationEvent")
    assert split["inputQuantityList"][0]["epcClass"] == ids.lot_uri(demo.STRAWBERRY_GTIN, "SB-2611-07")


def test_demo_merge_has_both_inputs(demo_market: ShopperMarket) -> None:
    merged = ids.lot_uri(demo.GREENS_GTIN, MERGED_LOT)
    (merge,) = [
        e
        for e in _events(demo_market, lot=MERGED_LOT)
        if e["type"] == "TransformationEvent" and [q["epcClass"] for q in e["outputQuantityList"]] == [merged]
    ]
    assert len(merge["inputQuantityList"]) == 2
    total = sum(q["quantity"] for q in merge["inputQuantityList"])
    assert merge["outputQuantityList"][0]["quantity"] == total
