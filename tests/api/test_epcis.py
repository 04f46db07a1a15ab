"""The EPCIS 2.0 REST binding on a real chain and database: capture (valid and invalid corpus,
events that land on-chain, permissions), capture jobs, and event queries with paging. Queries
and exports read as the market authority, who sees every event (the participants' read scope
is tested in tests/security/test_access_policy.py)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from httpx import Response

from ledger.chain.freshledger import FreshLedgerContract, batch_id_of
from ledger.chain.node import rpc
from ledger.epcis.export import export_events
from ledger.epcis.identifiers import item_uri, lot_uri, participant_uri
from ledger.epcis.validate import validate_document
from ledger.epcis.vocabulary import CONTEXT
from tests.api.conftest import Market
from tests.epcis.test_validate import EXPECTED, INVALID, VALID

GTIN = "06901234000016"
ORIGIN = "geo:30.2411,119.7302"


def _ledger(m: Market) -> FreshLedgerContract:
    return m.client.app.state.services.ledger


def _block(m: Market) -> int:
    return int(str(rpc(m.rpc_url, "eth_blockNumber")), 16)


def _when(hours_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat(timespec="seconds")


def _document(*events: dict[str, Any]) -> dict[str, Any]:
    stamped = [{"eventTime": _when(1), "eventTimeZoneOffset": "+00:00", **e} for e in events]
    return {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": _when(0),
        "epcisBody": {"eventList": stamped},
    }


def _lot(lot: str, quantity: int | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"epcClass": lot_uri(GTIN, lot)}
    if quantity is not None:
        item |= {"quantity": quantity, "uom": "KGM"}
    return item


def _harvest(lot: str, quantity: int = 40) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "action": "ADD",
        "bizStep": "commissioning",
        "epcList": [],
        "quantityList": [_lot(lot, quantity)],
        "bizLocation": {"id": ORIGIN},
        "ilmd": {"cbvmda:harvestStartDate": _when(20)},
    }


def _capture(m: Market, key: str, document: Any) -> Response:
    body = document if isinstance(document, bytes) else json.dumps(document).encode()
    return m.client.post("/epcis/capture", content=body, headers={**m.auth(key), "Content-Type": "application/ld+json"})


def _job(m: Market, key: str, answer: Response) -> dict[str, Any]:
    """The finished job behind a 202 (bounded polling: the job runs after the answer)."""
    assert answer.status_code == 202, answer.text
    location = answer.headers["Location"]
    assert location.startswith("/epcis/capture/")
    for _ in range(100):
        job = m.client.get(location, headers=m.auth(key)).json()
        if not job["running"]:
            return job
        time.sleep(0.05)
    pytest.fail(f"capture job {location} still running")


def _events(m: Market, **params: str) -> list[dict[str, Any]]:
    answer = m.client.get("/epcis/events", params={"perPage": "500", **params}, headers=m.auth(m.authority_key))
    assert answer.status_code == 200, answer.text
    document = answer.json()
    assert validate_document(document) == []
    return document["epcisBody"]["queryResults"]["resultsBody"]["eventList"]


# ------------------------------------------------------------------ capture: the corpus


def test_capture_needs_an_api_key(api_market: Market) -> None:
    assert api_market.client.post("/epcis/capture", content=b"{}").status_code == 401


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_capture_refuses_every_invalid_document_naming_the_field(api_market: Market, cast: dict, path: Path) -> None:
    before = _block(api_market)
    answer = _capture(api_market, cast["farm"][1], path.read_bytes())
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["type"] == "epcisException:ValidationException"
    assert problem["pointer"] in EXPECTED[path.name]
    assert problem["pointer"] in problem["detail"]
    assert {e["pointer"] for e in problem["errors"]} >= set(EXPECTED[path.name])
    assert _block(api_market) == before


@pytest.mark.parametrize("body", [b"{not json", b'{"type": NaN}', b"[]"])
def test_capture_refuses_what_is_not_a_json_document(api_market: Market, cast: dict, body: bytes) -> None:
    answer = _capture(api_market, cast["farm"][1], body)
    assert answer.status_code == 400
    assert answer.json()["type"] == "epcisException:ValidationException"


def test_capture_takes_json_only(api_market: Market, cast: dict) -> None:
    xml = b'<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2"/>'
    answer = api_market.client.post(
        "/epcis/capture", content=xml, headers={**api_market.auth(cast["farm"][1]), "Content-Type": "application/xml"}
    )
    assert answer.status_code == 415
    assert "JSON" in answer.json()["detail"]


def test_capture_reports_quantities_beyond_the_contract_as_failed(api_market: Market, cast: dict) -> None:
    key = cast["farm"][1]
    job = _job(api_market, key, _capture(api_market, key, _document(_harvest("EP-API-06", quantity=10**30))))
    (event,) = job["events"]
    assert event["status"] == "failed"
    assert "EP-API-06" in event["reason"]


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_capture_accepts_every_valid_example_and_reports_each_event(api_market: Market, cast: dict, path: Path) -> None:
    job = _job(api_market, cast["farm"][1], _capture(api_market, cast["farm"][1], path.read_bytes()))
    document = json.loads(path.read_text())
    expected = 1 if document["type"] != "EPCISDocument" else len(document["epcisBody"]["eventList"])
    assert job["eventCount"] == expected
    assert len(job["events"]) == expected
    assert job["captureErrorBehaviour"] == "proceed"
    for event in job["events"]:
        assert event["status"] in ("recorded", "unsupported", "failed")
        if event["status"] != "recorded":
            assert event["reason"]
    # None of GS1's examples is about a lot this market holds: nothing is recorded, and each
    # event says why (unsupported kind, or the contract's refusal).
    assert job["success"] is False
    assert len(job["errors"]) == expected


# ------------------------------------------------------------------ capture: onto the chain


def test_captured_harvest_lands_on_chain_and_in_the_export(api_market: Market, cast: dict) -> None:
    farm, key = cast["farm"]
    job = _job(api_market, key, _capture(api_market, key, _document(_harvest("EP-API-01"))))
    (event,) = job["events"]
    assert event["status"] == "recorded", event
    assert job["success"] is True and job["errors"] == []
    (tx,) = event["transactions"]
    assert tx["transactionHash"].startswith("0x")
    state = _ledger(api_market).batch(batch_id_of(GTIN, "EP-API-01"))
    assert (state.status, state.custodian, state.remaining, state.unit) == ("active", farm, 40, "KGM")

    api_market.sync()
    (found,) = _events(api_market, MATCH_epcClass=lot_uri(GTIN, "EP-API-01"), EQ_bizStep="commissioning")
    assert found["bizLocation"] == {"id": ORIGIN}
    assert found["quantityList"] == [_lot("EP-API-01", 40)]
    assert {"type": "owning_party", "destination": participant_uri(farm)} in found["destinationList"]
    exported = export_events(api_market.client.app.state.services.engine, lot="EP-API-01")
    assert [e.event["eventID"] for e in exported] == [found["eventID"]]


@pytest.fixture(scope="module")
def round_trip(api_market: Market, cast: dict) -> list[dict[str, Any]]:
    """Jobs of farm -> wholesaler -> split -> stall -> sale, every step captured as EPCIS."""
    farm_key, (wholesaler, wholesale_key) = cast["farm"][1], cast["wholesaler"]
    vendor, vendor_key = cast["vendor"]
    ship = {
        "type": "ObjectEvent",
        "action": "OBSERVE",
        "bizStep": "shipping",
        "disposition": "in_transit",
        "quantityList": [_lot("EP-API-02", 60)],
        "destinationList": [{"type": "owning_party", "destination": participant_uri(wholesaler)}],
    }
    receive = {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "receiving", "quantityList": [_lot("EP-API-02")]}
    split = {
        "type": "TransformationEvent",
        "bizStep": "repackaging",
        "inputQuantityList": [_lot("EP-API-02", 30)],
        "outputQuantityList": [_lot("EP-API-02-A", 10), _lot("EP-API-02-B", 20)],
    }
    to_stall = {
        **ship,
        "quantityList": [_lot("EP-API-02-A")],
        "destinationList": [{"type": "possessing_party", "destination": participant_uri(vendor)}],
    }
    sale = {
        "type": "ObjectEvent",
        "action": "OBSERVE",
        "bizStep": "retail_selling",
        "disposition": "retail_sold",
        "quantityList": [_lot("EP-API-02-A", 3)],
        "freshledger:price": 1500,
        "freshledger:currency": "CNY",
    }
    at_stall = {**receive, "quantityList": [_lot("EP-API-02-A")]}
    jobs = []
    for key, events in (
        (farm_key, (_harvest("EP-API-02", 60), ship)),
        (wholesale_key, (receive, split, to_stall)),
        (vendor_key, (at_stall, sale)),
    ):
        jobs.append(_job(api_market, key, _capture(api_market, key, _document(*events))))
    api_market.sync()
    return jobs


def test_capture_records_hand_off_acceptance_split_and_sale(
    api_market: Market, cast: dict, round_trip: list[dict[str, Any]]
) -> None:
    assert [[e["status"] for e in job["events"]] for job in round_trip] == [
        ["recorded"] * 2,
        ["recorded"] * 3,
        ["recorded"] * 2,
    ], round_trip
    ledger = _ledger(api_market)
    parent = ledger.batch(batch_id_of(GTIN, "EP-API-02"))
    assert (parent.custodian, parent.remaining) == (cast["wholesaler"][0], 30)
    assert ledger.batch(batch_id_of(GTIN, "EP-API-02-B")).remaining == 20
    sold = ledger.batch(batch_id_of(GTIN, "EP-API-02-A"))
    assert (sold.custodian, sold.remaining, sold.sale_count) == (cast["vendor"][0], 7, 1)
    kinds = [e["bizStep"] for e in _events(api_market, MATCH_anyEPCClass=lot_uri(GTIN, "EP-API-02-A"))]
    assert kinds == ["repackaging", "shipping", "receiving", "retail_selling"]


def test_capture_leaves_permissions_to_the_contract(api_market: Market, cast: dict) -> None:
    """A stall may not commission a harvest: the contract refuses, the job says so, and the
    next event of the document still runs (GS1's "proceed")."""
    vendor_key = cast["vendor"][1]
    harvest = _harvest("EP-API-03")
    aggregation = json.loads((VALID[0].parent / "openepcis-AggregationEvent.json").read_text())
    job = _job(api_market, vendor_key, _capture(api_market, vendor_key, _document(harvest, aggregation)))
    refused, unsupported = job["events"]
    assert refused["status"] == "failed"
    assert refused["error"] == "AccessControlUnauthorizedAccount"
    assert "does not hold the role" in refused["reason"]
    assert unsupported["status"] == "unsupported"
    assert "AggregationEvent" in unsupported["reason"]
    assert _ledger(api_market).batch(batch_id_of(GTIN, "EP-API-03")).status == "none"
    assert job["success"] is False
    assert [e["type"] for e in job["errors"]] == [
        "epcisException:ImplementationException",
        "epcisException:ValidationException",
    ]


def test_capture_jobs_are_private_to_their_participant(api_market: Market, cast: dict) -> None:
    key = cast["farm"][1]
    answer = _capture(api_market, key, _document(_harvest("EP-API-04")))
    location = answer.headers["Location"]
    _job(api_market, key, answer)
    assert api_market.client.get(location, headers=api_market.auth(cast["lab"][1])).status_code == 404
    assert api_market.client.get(location, headers=api_market.auth(api_market.authority_key)).status_code == 200
    assert api_market.client.get("/epcis/capture/cj00", headers=api_market.auth(key)).status_code == 404
    mine = api_market.client.get("/epcis/capture", headers=api_market.auth(key)).json()
    assert location.rsplit("/", 1)[1] in {j["captureID"] for j in mine}


# ------------------------------------------------------------------ queries


def test_events_query_filters(api_market: Market, round_trip: list[dict[str, Any]]) -> None:
    everything = _events(api_market)
    assert len(everything) >= 7  # the round trip alone

    transformations = _events(api_market, eventType="TransformationEvent")
    assert transformations and all(e["type"] == "TransformationEvent" for e in transformations)
    shipping = _events(api_market, EQ_bizStep="shipping")
    assert shipping and all(e["bizStep"] == "shipping" for e in shipping)
    both = _events(api_market, EQ_bizStep="shipping|receiving")
    assert len(both) == len(shipping) + len(_events(api_market, EQ_bizStep="receiving"))
    assert all(e["disposition"] == "in_transit" for e in _events(api_market, EQ_disposition="in_transit"))
    # Digital Links match whatever host prints them.
    (sold,) = _events(api_market, MATCH_epc=item_uri(GTIN, "EP-API-02-A", 1).replace("id.gs1.org", "market.example"))
    assert sold["bizStep"] == "retail_selling"
    located = _events(api_market, EQ_bizLocation=ORIGIN)
    assert located and all(e["bizLocation"] == {"id": ORIGIN} for e in located)
    assert {e["eventID"] for e in _events(api_market, MATCH_anyEPCClass=lot_uri(GTIN, "EP-API-02-A"))} >= {
        e["eventID"] for e in transformations if _lot("EP-API-02-A", 10) in e["outputQuantityList"]
    }
    last = everything[-1]["eventTime"]
    assert all(e["eventTime"] < last for e in _events(api_market, LT_eventTime=last))
    assert all(e["eventTime"] >= last for e in _events(api_market, GE_eventTime=last))
    assert len(_events(api_market, GE_eventTime=last)) + len(_events(api_market, LT_eventTime=last)) == len(everything)


def test_events_query_pages_with_link_headers(api_market: Market, round_trip: list[dict[str, Any]]) -> None:
    everything = _events(api_market)
    collected: list[dict[str, Any]] = []
    url: str | None = "/epcis/events?perPage=3"
    pages = 0
    while url:
        answer = api_market.client.get(url, headers=api_market.auth(api_market.authority_key))
        assert answer.status_code == 200
        page = answer.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        assert 1 <= len(page) <= 3
        collected += page
        link = answer.headers.get("Link")
        url = link[1 : link.index(">")] if link else None
        if url:
            assert link.endswith('rel="next"') and "perPage=3" in url and "nextPageToken=" in url
        pages += 1
        assert pages <= len(everything)
    assert [e["eventID"] for e in collected] == [e["eventID"] for e in everything]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"EQ_readPoint": "urn:x:y"}, "EQ_readPoint"),
        ({"GE_eventTime": "yesterday"}, "GE_eventTime"),
        ({"LT_eventTime": "2026-11-25T10:00:00"}, "LT_eventTime"),
        ({"perPage": "0"}, "perPage"),
        ({"perPage": "many"}, "perPage"),
        ({"nextPageToken": "not-a-token"}, "nextPageToken"),
        ({"eventType": "SaleEvent"}, "eventType"),
        ({"EQ_action": "CREATE"}, "EQ_action"),
        ({"EQ_bizStep": "|"}, "EQ_bizStep"),
    ],
)
def test_events_query_refuses_bad_parameters(api_market: Market, params: dict[str, str], parameter: str) -> None:
    answer = api_market.client.get("/epcis/events", params=params, headers=api_market.auth(api_market.authority_key))
    assert answer.status_code == 400
    problem = answer.json()
    assert problem["type"] == "epcisException:QueryParameterException"
    assert problem["parameter"] == parameter
    assert parameter in problem["detail"]


def test_export_endpoint_answers_a_lineage_document(api_market: Market, round_trip: list[dict[str, Any]]) -> None:
    auth = api_market.auth(api_market.authority_key)
    answer = api_market.client.get("/epcis/export", params={"lot": "EP-API-02-A", "gtin": GTIN}, headers=auth)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/ld+json")
    document = answer.json()
    assert validate_document(document) == []
    steps = [e.get("bizStep") for e in document["epcisBody"]["eventList"]]
    assert steps == ["commissioning", "shipping", "receiving", "repackaging", "shipping", "receiving", "retail_selling"]
    assert api_market.client.get("/epcis/export", params={"lot": "NO-SUCH"}, headers=auth).status_code == 404
    assert api_market.client.get("/epcis/export", params={"gtin": "123"}, headers=auth).status_code == 400
    assert api_market.client.get("/epcis/export", params={"since": "soon"}, headers=auth).status_code == 400
