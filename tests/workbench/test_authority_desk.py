"""The market authority's desk against the real app, chain and queue: API keys (issued once,
listed without their secret, revoked and refused by the API at once, through the key cache
too), the catalog (the GTIN check of ``PUT /products/{gtin}``, errors beside their field),
the floor plan (the check of ``PUT /market/layout``, every problem listed; oversized and
deep JSON refused before parsing; published once per form), and the participant forms going
through the write queue. A second submit of each form records nothing twice. Role gates and
CSRF refusals of these routes are checked route by route in ``test_access.py``."""

from __future__ import annotations

import json
import logging
import re

import httpx
import pytest
from markupsafe import escape
from sqlalchemy import func, select

from api.roles import KeyCache
from api.workbench.render import when
from ledger.demo.market import GREENS_GTIN
from ledger.store import models
from ledger.store.api_keys import keys_of
from ledger.store.intents import intents_of
from ledger.store.products import list_products
from tests.workbench.conftest import Bench, hidden_fields

_SECRET = re.compile(r"fl_[0-9a-f]{16}_[A-Za-z0-9_-]{40,}")
BAD_GTINS = ["06901234000015", "12345", "0690123400001X", "069012340000160"]


@pytest.fixture(scope="module")
def desk(bench: Bench) -> httpx.Client:
    return bench.sign_in("authority")


def _api(bench: Bench, key: str) -> httpx.Client:
    return httpx.Client(base_url=bench.base, timeout=90, headers={"Authorization": f"Bearer {key}"})


def _keys_path(bench: Bench, name: str) -> str:
    return f"/workbench/authority/participants/{bench.addresses[name]}/keys"


# ------------------------------------------------------------------ API keys


def test_issued_key_is_shown_once_works_and_is_refused_at_once_after_revoking(
    bench: Bench, desk: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    path = _keys_path(bench, "lab")
    page = desk.get(path)
    assert page.status_code == 200 and "API keys of Market Lab" in page.text
    fields = hidden_fields(page.text, path)
    with caplog.at_level(logging.DEBUG):
        issued = desk.post(path, data={**fields, "label": "the lab's LIMS"})
    assert issued.status_code == 200 and issued.headers["cache-control"] == "no-store"
    (secret,) = set(_SECRET.findall(issued.text))
    key_id = secret.split("_")[1]
    assert f"Key {key_id} issued for Market Lab." in issued.text
    assert all(secret not in record.getMessage() for record in caplog.records)
    # listed by its id, never with its secret
    listing = desk.get(path)
    assert f"fl_{key_id}_…" in listing.text and "the lab&#39;s LIMS" in listing.text
    assert _SECRET.search(listing.text) is None
    # the same form again issues nothing
    again = desk.post(path, data={**fields, "label": "the lab's LIMS"})
    assert again.status_code == 409 and f"This form already issued key {key_id}" in again.text
    assert _SECRET.search(again.text) is None
    assert [k.key_id for k in keys_of(bench.services.engine, bench.addresses["lab"])].count(key_id) == 1
    # the API takes it, and keeps the answer in its key cache ...
    cached = bench.services.api_keys
    bench.services.api_keys = KeyCache(300.0)
    try:
        with _api(bench, secret) as api:
            assert api.get("/batches").status_code == 200
            # ... which the revocation empties: refused on the very next request
            action = f"{path}/{key_id}/revoke"
            revoked = desk.post(action, data=hidden_fields(desk.get(path).text, action))
            assert revoked.status_code == 303
            notice = desk.get(revoked.headers["location"])
            assert f"Key {key_id} revoked: the API refuses it from now on." in notice.text
            refused = api.get("/batches")
            assert refused.status_code == 401 and "revoked" in refused.text
    finally:
        bench.services.api_keys = cached
    (record,) = [k for k in keys_of(bench.services.engine, bench.addresses["lab"]) if k.key_id == key_id]
    assert record.revoked and record.last_used_at is not None  # used once through the API
    listing = desk.get(path).text
    assert f'action="{path}/{key_id}/revoke"' not in listing  # no button for a revoked key
    row = listing[listing.index(f"fl_{key_id}_…") :]
    assert row.index(when(record.last_used_at)) < row.index("</tr>")


def test_key_form_without_a_label_says_so_beside_the_field(bench: Bench, desk: httpx.Client) -> None:
    path = _keys_path(bench, "vendor")
    before = keys_of(bench.services.engine, bench.addresses["vendor"])
    answer = desk.post(path, data={**hidden_fields(desk.get(path).text, path), "label": "  "})
    assert answer.status_code == 422
    assert 'aria-invalid="true"' in answer.text and 'id="f-label-error">Fill this in.' in answer.text
    assert keys_of(bench.services.engine, bench.addresses["vendor"]) == before


def test_keys_of_an_unknown_participant_are_not_found(desk: httpx.Client) -> None:
    assert desk.get(f"/workbench/authority/participants/0x{'34' * 20}/keys").status_code == 404


def test_api_lists_and_revokes_a_key_and_refuses_it_at_once(bench: Bench) -> None:
    address = bench.addresses["regulator"]
    with _api(bench, bench.authority_key) as authority:
        made = authority.post(f"/participants/{address}/keys")
        assert made.status_code == 201
        key = made.json()["api_key"]
        key_id = key.split("_")[1]
        listed = authority.get(f"/participants/{address}/keys").json()
        (entry,) = [k for k in listed["data"] if k["key_id"] == key_id]
        assert entry["revoked_at"] is None and "secret" not in json.dumps(listed) and key not in json.dumps(listed)
        cached = bench.services.api_keys
        bench.services.api_keys = KeyCache(300.0)
        try:
            with _api(bench, key) as regulator:
                assert regulator.get("/batches").status_code == 200
                # another participant's key may not list or revoke keys
                assert regulator.get(f"/participants/{address}/keys").status_code == 403
                assert regulator.delete(f"/participants/{address}/keys/{key_id}").status_code == 403
                revoked = authority.delete(f"/participants/{address}/keys/{key_id}")
                assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
                assert regulator.get("/batches").status_code == 401
        finally:
            bench.services.api_keys = cached
        again = authority.delete(f"/participants/{address}/keys/{key_id}")
        assert again.status_code == 200 and again.json()["revoked_at"] == revoked.json()["revoked_at"]
        assert authority.delete(f"/participants/{address}/keys/{'0' * 16}").status_code == 404
        assert authority.delete(f"/participants/{address}/keys/NOT-AN-ID").status_code == 422


# ------------------------------------------------------------------ the catalog

CATALOG = "/workbench/authority/catalog"


@pytest.mark.parametrize("gtin", BAD_GTINS)
def test_catalog_refuses_a_bad_gtin_beside_its_field_as_the_api_does(
    bench: Bench, desk: httpx.Client, gtin: str
) -> None:
    before = list_products(bench.services.engine)
    data = {"gtin": gtin, "name": "Bok choy", "name_zh": "小白菜"}
    answer = desk.post(CATALOG, data={**hidden_fields(desk.get(CATALOG).text, CATALOG), **data})
    assert answer.status_code == 422
    assert 'id="f-gtin-error">Not a GTIN: 8, 12, 13 or 14 digits with a right check digit.' in answer.text
    assert 'value="小白菜"' in answer.text  # what was typed stays
    assert list_products(bench.services.engine) == before
    with _api(bench, bench.authority_key) as api:
        assert api.put(f"/products/{gtin}", json={"name": "Bok choy"}).status_code == 422


def test_catalog_adds_and_edits_a_product_once_per_form(bench: Bench, desk: httpx.Client) -> None:
    gtin = "06901234000115"  # check digit 5
    fields = hidden_fields(desk.get(CATALOG).text, CATALOG)
    data = {"gtin": gtin, "name": "Bok choy", "name_en": "Bok choy", "name_zh": "小白菜", "name_ko": "청경채"}
    saved = desk.post(CATALOG, data={**fields, **data})
    assert saved.status_code == 303
    assert "Bok choy (06901234000115) saved." in desk.get(saved.headers["location"]).text
    first = [p for p in list_products(bench.services.engine) if p.gtin == gtin]
    assert desk.post(CATALOG, data={**fields, **data}).status_code == 303  # the same form again
    assert [p for p in list_products(bench.services.engine) if p.gtin == gtin] == [
        type(first[0])(gtin, "Bok choy", {"en": "Bok choy", "zh": "小白菜", "ko": "청경채"}, p.updated_at)
        for p in list_products(bench.services.engine)
        if p.gtin == gtin
    ]
    # edit: the form comes filled; a name in a language without a field is kept
    with _api(bench, bench.authority_key) as api:
        names = {"zh": "小白菜", "ko": "청경채", "ja": "チンゲンサイ"}
        assert api.put(f"/products/{gtin}", json={"name": "Bok choy", "names": names}).status_code == 200
    edit = desk.get(f"{CATALOG}?edit={gtin}")
    assert "Edit product 06901234000115" in edit.text and 'value="청경채"' in edit.text
    changed = {**data, "name": "Baby bok choy", "name_ko": ""}
    assert desk.post(CATALOG, data={**hidden_fields(edit.text, CATALOG), **changed}).status_code == 303
    (product,) = [p for p in list_products(bench.services.engine) if p.gtin == gtin]
    assert product.name == "Baby bok choy" and product.names == {"en": "Bok choy", "zh": "小白菜", "ja": "チンゲンサイ"}


def test_catalog_refuses_an_overlong_name_beside_its_field(bench: Bench, desk: httpx.Client) -> None:
    before = list_products(bench.services.engine)
    data = {"gtin": GREENS_GTIN, "name": "Greens", "name_en": "x" * 121}
    answer = desk.post(CATALOG, data={**hidden_fields(desk.get(CATALOG).text, CATALOG), **data})
    assert answer.status_code == 422 and 'id="f-name_en-error">At most 120 characters' in answer.text
    assert list_products(bench.services.engine) == before


# ------------------------------------------------------------------ the floor plan

FLOOR = "/workbench/authority/floor-plan"


def _layouts(bench: Bench) -> int:
    bench.sync()
    with bench.services.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(models.Layout.__table__)).scalar_one())


def _plan(bench: Bench, **changes: object) -> dict:
    plan = {
        "width": 40,
        "height": 24,
        "stalls": [{"stall": bench.addresses["vendor"], "x": 2, "y": 2, "w": 6, "h": 4}],
        "empty": [{"label": "C07", "x": 30, "y": 2, "w": 6, "h": 4}],
        "entrances": [{"label": "North gate", "x": 20, "y": 0}],
        "lab": {"x": 32, "y": 16, "w": 6, "h": 6},
    }
    return {**plan, **changes}


def _send_plan(desk: httpx.Client, text: str, fields: dict | None = None) -> httpx.Response:
    fields = fields or hidden_fields(desk.get(FLOOR).text, FLOOR)
    return desk.post(FLOOR, data={**fields, "plan": text})


def test_floor_plan_lists_every_problem_the_api_finds_and_publishes_nothing(bench: Bench, desk: httpx.Client) -> None:
    before = _layouts(bench)
    bad = _plan(bench, stalls=[], lab={"x": 39, "y": 20, "w": 6, "h": 6}, entrances=[{"label": "Gate", "x": 5, "y": 5}])
    bad["stalls"] = [{"stall": "0x" + "56" * 20, "x": 0, "y": 0, "w": 3, "h": 3}, {"stall": "not an address"}]
    with _api(bench, bench.authority_key) as api:
        problems = api.put("/market/layout", json=bad).json()["problems"]
    assert len(problems) >= 2
    answer = _send_plan(desk, json.dumps(bad))
    assert answer.status_code == 422
    assert f'id="f-plan-error">\n      <p>{len(problems)} problems: nothing was published.' in answer.text
    for problem in problems:
        assert f"<li>{escape(problem)}</li>" in answer.text
    assert 'aria-invalid="true" autofocus' in answer.text
    assert _layouts(bench) == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 100_000, "The plan nests too deep (at most 64 levels)."),
        ('{"width": 40, "pad": "' + "x" * 270_000 + '"}', "The plan is too large (at most 256 KB)."),
        ('{"width": 40,', "Not JSON: Expecting property name enclosed in double quotes (line 1, column 14)."),
        ("[1, 2]", "1 problems: nothing was published."),
        ('{"width": ' + "9" * 5000 + "}", "A number in the plan is too long."),
        ("", "Fill this in."),
    ],
    ids=["deep", "oversized", "not-json", "not-an-object", "long-number", "empty"],
)
def test_floor_plan_refuses_hostile_text_before_parsing(
    bench: Bench, desk: httpx.Client, text: str, message: str
) -> None:
    before = _layouts(bench)
    answer = _send_plan(desk, text)
    assert answer.status_code == 422, answer.text[:300]
    assert message in answer.text
    assert len(answer.content) < 200_000  # an oversized plan is not sent back
    assert _layouts(bench) == before
    assert desk.get(FLOOR).status_code == 200  # the server lives on


def test_floor_plan_from_a_file_is_checked_as_typed_text_is(bench: Bench, desk: httpx.Client) -> None:
    before = _layouts(bench)
    fields = hidden_fields(desk.get(FLOOR).text, FLOOR)
    bad = json.dumps(_plan(bench, lab={"x": 39, "y": 20, "w": 6, "h": 6})).encode()
    answer = desk.post(FLOOR, data={**fields, "plan": ""}, files={"plan_file": ("plan.json", bad, "application/json")})
    assert answer.status_code == 422
    assert "<li>lab reaches outside the 40x24 hall</li>" in answer.text
    assert escape(bad.decode()) in answer.text  # the file's text comes back in the field, to correct
    big = b'{"pad": "' + b"x" * 300_000 + b'"}'
    too_big = desk.post(FLOOR, data=fields, files={"plan_file": ("plan.json", big, "application/json")})
    assert too_big.status_code == 422 and "The plan is too large (at most 256 KB)." in too_big.text
    assert _layouts(bench) == before


def test_floor_plan_form_over_the_body_limit_is_refused_whole(bench: Bench, desk: httpx.Client) -> None:
    before = _layouts(bench)
    answer = _send_plan(desk, "[" * 1_200_000)
    assert answer.status_code == 413 and "limited to 1048576 bytes" in answer.text
    assert _layouts(bench) == before


def test_floor_plan_is_published_once_per_form_and_drawn(bench: Bench, desk: httpx.Client) -> None:
    before = _layouts(bench)
    fields = hidden_fields(desk.get(FLOOR).text, FLOOR)
    text = json.dumps(_plan(bench), indent=2)
    first = _send_plan(desk, text, fields)
    assert first.status_code == 200, first.text[-500:]
    (block,) = re.findall(r"Floor plan published on the ledger in block (\d+)\.", first.text)
    again = _send_plan(desk, text, fields)  # the same form, sent twice
    assert f"Floor plan published on the ledger in block {block}." in again.text
    assert _layouts(bench) == before + 1
    fresh = _send_plan(desk, text)  # a new form with the same plan
    assert "This plan is already the market&#39;s floor plan: nothing was published again." in fresh.text
    assert _layouts(bench) == before + 1
    page = desk.get(FLOOR)
    assert re.search(r"<svg[^>]* class=\"floor-map\"", page.text), page.text[page.text.find("current-heading") :][:600]
    assert f"Published in block {block}." in page.text
    assert bench.addresses["vendor"] in page.text
    assert bench.client().get("/board/map").status_code == 200


# ------------------------------------------------------------------ participants, through the queue


def test_registering_a_participant_goes_through_the_queue_once_per_form(bench: Bench, desk: httpx.Client) -> None:
    page = desk.get("/workbench/authority")
    action = "/workbench/authority/participants"
    fields = hidden_fields(page.text, action)
    data = {**fields, "role": "LAB", "name": "Second Lab", "identifier": "CMA-2026-0999"}
    first = desk.post(action, data=data)
    assert first.status_code == 303 and first.headers["location"].startswith("/workbench/intents/")
    second = desk.post(action, data=data)
    assert second.headers["location"] == first.headers["location"]
    result = desk.get(first.headers["location"])
    assert "Participant registered" in result.text and "On the ledger" in result.text
    assert 'href="/workbench/authority"' in result.text
    authority = bench.addresses["authority"]
    mine = [i for i in intents_of(bench.services.engine, authority) if i.kind == "participant"]
    assert [i.payload["name"] for i in mine].count("Second Lab") == 1
    bench.sync()
    assert "Second Lab" in desk.get("/workbench/authority").text
    missing = desk.post(action, data={**data, "name": ""})
    assert missing.status_code == 422 and 'id="f-name-error">Fill this in.' in missing.text
