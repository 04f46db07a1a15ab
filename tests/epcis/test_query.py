"""EPCIS queries over the ledger (SQLite and PostgreSQL): filters, time windows, paging that
stays stable, and parameters refused with their name."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ledger.epcis import identifiers as ids
from ledger.epcis.query import QueryError, canonical_epc, decode_token, encode_token, parse_query, run_query
from tests.epcis.conftest import HARVEST_LOT, MERGED_LOT, ORIGIN, SPLIT_LOTS, EpcisMarket
from tests.factories.market import GTIN


def _all(market: EpcisMarket, **params: str) -> list[dict]:
    return run_query(market.engine, parse_query({"perPage": "500", **params})).events


def test_run_query_filters_by_type_step_disposition_and_location(epcis_market: EpcisMarket) -> None:
    everything = _all(epcis_market)
    assert len(everything) == 18
    assert {e["type"] for e in _all(epcis_market, eventType="TransformationEvent")} == {"TransformationEvent"}
    assert len(_all(epcis_market, eventType="TransformationEvent")) == 2
    assert len(_all(epcis_market, EQ_bizStep="shipping|void_shipping")) == 5
    assert len(_all(epcis_market, EQ_disposition="recalled")) == 1
    assert len(_all(epcis_market, EQ_action="ADD")) == 3
    assert len(_all(epcis_market, EQ_bizLocation=ORIGIN)) == 2
    (first,) = _all(epcis_market, EQ_eventID=everything[0]["eventID"])
    assert first == everything[0]


def test_run_query_matches_lots_and_items_in_either_spelling(epcis_market: EpcisMarket) -> None:
    merged = _all(epcis_market, MATCH_epcClass=ids.lot_uri(GTIN, MERGED_LOT))
    assert [e.get("bizStep") for e in merged] == ["inspecting", "inspecting", "holding"]
    with_transformations = _all(epcis_market, MATCH_anyEPCClass=ids.lot_uri(GTIN, MERGED_LOT))
    assert len(with_transformations) == len(merged) + 1
    # An lgtin URN with a 7-digit company prefix names the same lot as the Digital Link.
    urn = f"urn:epc:class:lgtin:{GTIN[1:8]}.{GTIN[0]}{GTIN[8:13]}.{HARVEST_LOT}"
    assert canonical_epc(urn) == ids.lot_uri(GTIN, HARVEST_LOT)
    assert _all(epcis_market, MATCH_epcClass=urn) == _all(epcis_market, MATCH_epcClass=ids.lot_uri(GTIN, HARVEST_LOT))
    (sale,) = _all(epcis_market, MATCH_epc=f"https://shop.example/01/{GTIN}/10/{SPLIT_LOTS[0]}/21/1")
    assert sale["bizStep"] == "retail_selling"


def test_run_query_time_window(epcis_market: EpcisMarket) -> None:
    everything = _all(epcis_market)
    middle = everything[len(everything) // 2]["eventTime"]
    before = _all(epcis_market, LT_eventTime=middle)
    after = _all(epcis_market, GE_eventTime=middle)
    assert before + after == everything
    # The same instant in the market's time zone selects the same events.
    local = datetime.fromisoformat(middle.replace("Z", "+00:00")).astimezone(timezone(timedelta(hours=8)))
    assert _all(epcis_market, GE_eventTime=local.isoformat()) == after


def test_run_query_pages_cover_everything_once_in_chain_order(epcis_market: EpcisMarket) -> None:
    everything = _all(epcis_market)
    seen: list[dict] = []
    token = None
    while True:
        params = {"perPage": "4", **({"nextPageToken": token} if token else {})}
        page = run_query(epcis_market.engine, parse_query(params))
        seen += page.events
        token = page.next_token
        if token is None:
            break
    assert seen == everything
    filtered = run_query(epcis_market.engine, parse_query({"perPage": "1", "EQ_bizStep": "inspecting"}))
    assert len(filtered.events) == 1 and filtered.next_token is not None
    rest = run_query(
        epcis_market.engine, parse_query({"EQ_bizStep": "inspecting", "nextPageToken": filtered.next_token})
    )
    assert len(rest.events) == 2


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"WD_bizLocation": ORIGIN}, "WD_bizLocation"),
        ({"GE_eventTime": "2026-13-01T00:00:00Z"}, "GE_eventTime"),
        ({"LT_eventTime": "2026-11-01T00:00:00"}, "LT_eventTime"),
        ({"perPage": "-3"}, "perPage"),
        ({"nextPageToken": encode_token((1, 2))[:-2] + "!!"}, "nextPageToken"),
        ({"nextPageToken": encode_token((2**70, 0))}, "nextPageToken"),
        ({"eventType": "ObjectEvent|Nope"}, "eventType"),
    ],
)
def test_parse_query_names_the_bad_parameter(params: dict[str, str], parameter: str) -> None:
    with pytest.raises(QueryError) as refused:
        parse_query(params)
    assert refused.value.parameter == parameter
    assert str(refused.value).startswith(parameter)


def test_page_tokens_round_trip_and_per_page_is_capped() -> None:
    assert decode_token(encode_token((123, 4))) == (123, 4)
    assert parse_query({"perPage": "100000"}).per_page == 500
    assert parse_query({"EQ_bizStep": "urn:epcglobal:cbv:bizstep:shipping"}).lists["EQ_bizStep"] == {"shipping"}


@pytest.mark.parametrize("window", [1, 2, 3, 7])
def test_run_query_in_small_windows_finds_the_same_pages(epcis_market: EpcisMarket, window: int) -> None:
    """Windows smaller than the page, and windows that cut a split's edges apart, change nothing."""
    for params in ({}, {"eventType": "TransformationEvent"}, {"EQ_bizLocation": ORIGIN}, {"EQ_bizStep": "receiving"}):
        expected = _all(epcis_market, **params)
        seen: list[dict] = []
        token = None
        while True:
            query = parse_query({"perPage": "3", **params, **({"nextPageToken": token} if token else {})})
            page = run_query(epcis_market.engine, query, window=window)
            seen += page.events
            token = page.next_token
            if token is None:
                break
        assert seen == expected, params


def test_run_query_reads_only_matching_tables_yet_misses_nothing(epcis_market: EpcisMarket) -> None:
    everything = _all(epcis_market)
    for field, parameter in (
        ("bizStep", "EQ_bizStep"),
        ("disposition", "EQ_disposition"),
        ("action", "EQ_action"),
        ("type", "eventType"),
    ):
        for value in {e.get(field) for e in everything} - {None}:
            expected = [e for e in everything if e.get(field) == value]
            assert _all(epcis_market, **{parameter: value}) == expected, (parameter, value)


def test_run_query_by_location_finds_every_event_there(epcis_market: EpcisMarket) -> None:
    """Every place an export names (origins, ports, GLNs, participants) selects exactly its events."""
    everything = _all(epcis_market)
    places = {e["bizLocation"]["id"] for e in everything if "bizLocation" in e}
    assert {ORIGIN, "urn:freshledger:port:CNNGB", "https://id.gs1.org/414/6901234000047"} <= places
    for place in places:
        expected = [e for e in everything if e.get("bizLocation", {}).get("id") == place]
        for window in (None, 1):
            query = parse_query({"perPage": "500", "EQ_bizLocation": place})
            assert run_query(epcis_market.engine, query, window=window).events == expected, place
    both = parse_query({"perPage": "500", "EQ_bizLocation": f"{ORIGIN}|urn:freshledger:port:CNNGB"})
    assert len(run_query(epcis_market.engine, both).events) == 3
