"""Capture planning: which contract call each EPCIS event means, and why the others cannot be
recorded. (Sending them on a real chain is in tests/api/test_epcis.py and test_cli.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledger.chain.freshledger import batch_id_of
from ledger.epcis.export import epcis_document, export_events
from ledger.epcis.identifiers import participant_uri
from ledger.epcis.plan import PartyResolver, plan_events
from tests.epcis.conftest import HARVEST_LOT, ORIGIN, SPLIT_LOTS, EpcisMarket
from tests.factories.market import GTIN

CORPUS = Path(__file__).resolve().parent / "corpus" / "valid"


def _plans(name: str) -> list:
    return plan_events(json.loads((CORPUS / name).read_text()), PartyResolver())


@pytest.mark.parametrize(
    ("name", "reasons"),
    [
        ("openepcis-AggregationEvent.json", ["packing hierarchies (AggregationEvent)"]),
        ("openepcis-AssociationEvent.json", ["associations of objects (AssociationEvent)"]),
        ("openepcis-TransactionEvent.json", ["business-transaction links (TransactionEvent)"]),
        ("openepcis-TransformationEvent.json", ["serialised inputs or outputs"]),
        ("openepcis-ObjectEvent.json", ["serialised item without a lot"]),
        ("Example_9.6.1-ObjectEvent.jsonld", ["serialised item without a lot", "serialised item without a lot"]),
        ("Example_9.6.1-ObjectEventWithDigitalLink.jsonld", ["no lot (AI 10)", "no lot (AI 10)"]),
        ("SensorDataExample1.jsonld", ["needs sensorReport entries with chemicalSubstance"]),
    ],
)
def test_plan_events_reports_what_cannot_be_recorded(name: str, reasons: list[str]) -> None:
    plans = _plans(name)
    assert [p.calls for p in plans] == [[] for _ in reasons]
    for plan, reason in zip(plans, reasons, strict=True):
        assert reason in (plan.unsupported or "")
        assert plan.pointer.startswith("/epcisBody/eventList/") or plan.pointer == ""


def test_plan_events_maps_lot_receiving_to_accepting_a_hand_off() -> None:
    (plan,) = _plans("Example_9.6.2-ObjectEvent.jsonld")
    (call,) = plan.calls
    assert call.method == "accept_hand_off"
    assert call.args == (batch_id_of("04012345123456", "998877"),)


def test_exported_events_plan_back_into_the_calls_that_made_them(epcis_market: EpcisMarket) -> None:
    """An export read back as a capture names the same life-cycle calls (release and recall
    are regulators' decisions, which capture does not take)."""
    document = epcis_document([e.event for e in export_events(epcis_market.engine)])
    plans = plan_events(document, PartyResolver())
    methods = [[c.method for c in p.calls] or [p.unsupported] for p in plans]
    flat = [m[0] for m in methods]
    assert flat.count("register_harvest") == 2
    assert flat.count("register_import") == 1
    assert flat.count("hand_off") == 4
    assert flat.count("accept_hand_off") == 3
    assert flat.count("cancel_hand_off") == 1
    assert flat.count("split") == 1
    assert flat.count("merge") == 1
    assert flat.count("record_inspection") == 2
    assert flat.count("record_sale") == 1
    unsupported = [m for m in flat if m and " " in m]
    assert len(unsupported) == 2  # the release and the recall
    imported = next(c for p in plans for c in p.calls if c.method == "register_import")
    assert (imported.kwargs["hs_code"], imported.kwargs["origin_country"]) == ("08106000", "TH")
    harvest = next(c for p in plans for c in p.calls if c.method == "register_harvest")
    assert harvest.kwargs["lot"] == HARVEST_LOT
    assert harvest.kwargs["origin"] == ORIGIN
    assert harvest.kwargs["harvested_at"] == epcis_market.harvested_at
    assert harvest.kwargs["quantity"] == 100
    handoff = next(c for p in plans for c in p.calls if c.method == "hand_off")
    assert handoff.args == (batch_id_of(GTIN, HARVEST_LOT), epcis_market.market.supplier2.address)
    split = next(c for p in plans for c in p.calls if c.method == "split")
    assert split.args[1] == [(SPLIT_LOTS[0], 30), (SPLIT_LOTS[1], 30)]
    inspection = next(c for p in plans for c in p.calls if c.method == "record_inspection")
    (residue,) = inspection.kwargs["residues"]
    assert (residue.substance, residue.measured, residue.limit, residue.unit) == ("chlorpyrifos", 4, 50, "ug/kg")


def test_party_resolver_reads_participant_urns_and_unique_glns() -> None:
    address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    resolve = PartyResolver(lambda gln: [address] if gln == "6901234000016" else [address, address])
    assert resolve(participant_uri(address.lower())) == address
    assert resolve("https://id.gs1.org/417/6901234000016") == address
    assert resolve("https://id.gs1.org/417/6901234000047") is None  # two participants share it
    assert resolve("urn:epc:id:pgln:0614141.00777") is None


def test_plan_events_reports_an_event_of_odd_shape_instead_of_failing_the_job() -> None:
    event = {
        "type": "ObjectEvent",
        "action": "ADD",
        "bizStep": "commissioning",
        "eventTime": "2026-11-25T08:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "quantityList": [{"epcClass": f"https://id.gs1.org/01/{GTIN}/10/ODD-1", "quantity": 5, "uom": "KGM"}],
        "bizLocation": {"id": ORIGIN},
        "ilmd": {"cbvmda:harvestStartDate": 5},
    }
    (plan,) = plan_events(event, PartyResolver())
    assert plan.calls == []
    assert plan.unsupported is not None and plan.unsupported.startswith("cannot read the event")
    assert plan.pointer == ""  # a single event is its own document
