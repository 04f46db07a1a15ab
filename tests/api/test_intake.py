"""POST /customs/declarations and POST /harvests/bulk on a real anvil and a real index, on
SQLite and PostgreSQL: a good file goes through the write queue and is recorded in one
transaction (a long declaration in several under its number; a sheet's lots packed), answered
with its intents; a bad one answers 422 with every problem and queues nothing (a line the
contract would refuse in a later transaction included), a declaration sent again answers 409
naming the recorded one, a retry with the same Idempotency-Key the first answer; the templates
download and read back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ledger.chain.node import rpc
from ledger.intake import DECLARATION, read_table
from ledger.intake.columns import MAX_FILE_BYTES
from ledger.intake.payloads import LINES_PER_CALL
from ledger.intake.read import XLSX_MEDIA_TYPE
from tests.api.conftest import Market, market_at
from tests.factories.intake import as_csv, as_json, as_xlsx, declaration_rows, harvest_rows
from tests.support.databases import KINDS

MEDIA = {"csv": "text/csv", "xlsx": XLSX_MEDIA_TYPE, "json": "application/json"}
IMPORTER_GLN = "6901234000047"


@pytest.fixture(scope="module", params=KINDS)
def market(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Market]:
    with market_at(tmp_path_factory.mktemp(f"intake-{request.param}"), request.param) as market:
        yield market


@pytest.fixture(scope="module")
def cast(market: Market) -> dict[str, tuple[str, str]]:
    admitted = {
        "importer": market.admit("SUPPLIER", "Siam Fruit Import", IMPORTER_GLN),
        "farm": market.admit("SUPPLIER", "Green Valley Farm", "6901234000054"),
        "customs": market.admit("CUSTOMS", "Ningbo Customs", "CN-NGB-3100"),
        "vendor": market.admit("VENDOR", "Stall A12", "JY33010600012345"),
    }
    market.sync()
    return admitted


def block(m: Market) -> int:
    return int(str(rpc(m.rpc_url, "eth_blockNumber")), 16)


def post(m: Market, path: str, data: bytes, file_format: str, key: str):
    return m.client.post(path, content=data, headers={**m.auth(key), "Content-Type": MEDIA[file_format]})


@pytest.mark.parametrize("file_format", ["csv", "xlsx", "json"])
def test_import_declaration_records_every_line(market: Market, cast: dict, file_format: str) -> None:
    number = {"csv": "310120261000100011", "xlsx": "310120261000100012", "json": "310120261000100013"}[file_format]
    rows = declaration_rows(3, number=number, importer=cast["importer"][0])
    data = {"csv": as_csv, "xlsx": as_xlsx, "json": as_json}[file_format](rows)
    answer = post(market, "/customs/declarations", data, file_format, cast["customs"][1])
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["declaration_number"] == number and body["lines"] == 3
    assert len(body["batch_ids"]) == 3 and len(body["transactions"]) == 1  # one registerImports
    market.sync()
    for batch_id, row in zip(body["batch_ids"], rows, strict=True):
        batch = market.client.get(f"/batches/{batch_id}").json()["data"]
        assert batch["lot"] == row["lot"] and batch["quantity"] == int(row["quantity"])
    history = market.client.get(f"/batches/{body['batch_ids'][0]}/history").json()
    assert history["origins"][0]["party"]["name"] == "Siam Fruit Import"
    assert history["origins"][0]["details"]["hs_code"] == rows[0]["hs_code"]  # recorded, not only checked

    again = post(market, "/customs/declarations", data, file_format, cast["customs"][1])
    assert again.status_code == 409, again.text
    assert again.json()["error"] == "DeclarationExists"
    assert again.json()["recorded"] == {
        "declaration_number": number,
        "tx_hash": body["transactions"][0],
        "block_number": body["first_block"],
        "lines": 3,
    }


def test_import_declaration_longer_than_one_transaction_is_all_or_nothing(market: Market, cast: dict) -> None:
    number = "310120261000100021"
    rows = declaration_rows(LINES_PER_CALL + 5, number=number, importer=cast["importer"][0])
    key = cast["customs"][1]
    before = block(market)
    bad = [dict(r) for r in rows]
    bad[LINES_PER_CALL + 2]["gtin"] = "08850000000011"  # in the second transaction's share
    refused = post(market, "/customs/declarations", as_csv(bad), "csv", key)
    assert refused.status_code == 422, refused.text
    assert [(p["row"], p["column"]) for p in refused.json()["problems"]] == [(LINES_PER_CALL + 4, "gtin")]
    assert block(market) == before  # the whole file was checked before anything was sent

    answer = post(market, "/customs/declarations", as_csv(rows), "csv", key)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["lines"] == len(body["batch_ids"]) == LINES_PER_CALL + 5
    assert len(body["transactions"]) == 2 and body["resumed_at"] == 0
    head = block(market)

    unindexed = post(market, "/customs/declarations", as_csv(rows), "csv", key)  # the chain refuses it
    assert unindexed.status_code == 409, unindexed.text
    assert unindexed.json()["error"] == "DeclarationExists"
    market.sync()
    again = post(market, "/customs/declarations", as_csv(rows), "csv", key)  # the check refuses it
    assert again.status_code == 409, again.text
    assert again.json()["recorded"] == {
        "declaration_number": number,
        "tx_hash": body["transactions"][0],
        "block_number": body["first_block"],
        "lines": LINES_PER_CALL + 5,
    }
    assert block(market) == head  # nothing doubled
    last = market.client.get(f"/batches/{body['batch_ids'][-1]}").json()["data"]
    assert last["lot"] == rows[-1]["lot"]


def test_import_declaration_line_the_contract_refuses_is_a_problem_of_its_row(market: Market, cast: dict) -> None:
    harvested = harvest_rows(1, prefix="RACE")
    assert post(market, "/harvests/bulk", as_csv(harvested), "csv", cast["farm"][1]).status_code == 201
    # Not indexed yet: the check cannot know the lot is taken; the contract refuses the line.
    rows = declaration_rows(3, number="310120261000100031", importer=cast["importer"][0])
    rows[1]["gtin"], rows[1]["lot"] = harvested[0]["gtin"], harvested[0]["lot"]
    before = block(market)
    answer = post(market, "/customs/declarations", as_csv(rows), "csv", cast["customs"][1])
    assert answer.status_code == 422, answer.text
    (problem,) = answer.json()["problems"]
    assert (problem["row"], problem["column"]) == (3, None)
    assert problem["reason"] == "refused by the contract: a batch with this GTIN and lot is already registered"
    assert block(market) == before


def test_import_declaration_names_the_importer_by_gln(market: Market, cast: dict) -> None:
    rows = declaration_rows(2, number="310120261000200001", importer=IMPORTER_GLN)
    answer = post(market, "/customs/declarations", as_csv(rows), "csv", cast["customs"][1])
    assert answer.status_code == 201, answer.text
    market.sync()
    batch = market.client.get(f"/batches/{answer.json()['batch_ids'][1]}").json()["data"]
    assert batch["custodian"]["address"] == cast["importer"][0]


def test_import_declaration_refuses_a_bad_file_with_every_problem_and_sends_nothing(market: Market, cast: dict) -> None:
    rows = declaration_rows(5, number="310120261000300001", importer=cast["importer"][0])
    rows[0]["gtin"] = "08850000000011"
    rows[1]["cleared_at"] = "2099-01-01T00:00:00Z"
    rows[2]["unit"] = "kg"
    rows[3]["origin_country"] = "XX"
    rows[4]["lot"] = rows[3]["lot"]
    rows[4]["gtin"] = rows[3]["gtin"]
    before = block(market)
    answer = post(market, "/customs/declarations", as_csv(rows), "csv", cast["customs"][1])
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["error"] == "InvalidFile" and "nothing was recorded" in body["message"]
    assert [(p["row"], p["column"]) for p in body["problems"]] == [
        (2, "gtin"),
        (3, "cleared_at"),
        (4, "unit"),
        (5, "origin_country"),
        (6, "lot"),
    ]
    assert block(market) == before


def test_import_declaration_refuses_an_importer_that_cannot_receive(market: Market, cast: dict) -> None:
    before = block(market)
    for importer, fragment in [
        (cast["vendor"][0], "is not a supplier"),
        ("0x" + "12" * 20, "no participant of this market is registered under the address"),
        ("6901234000993", "no participant of this market is registered under the GLN"),
    ]:
        rows = declaration_rows(2, number="310120261000400001", importer=importer)
        answer = post(market, "/customs/declarations", as_csv(rows), "csv", cast["customs"][1])
        assert answer.status_code == 422, answer.text
        assert [(p["row"], p["column"]) for p in answer.json()["problems"]] == [(2, "importer")]
        assert fragment in answer.json()["problems"][0]["reason"]
    assert block(market) == before


def test_import_declaration_refuses_lots_already_registered(market: Market, cast: dict) -> None:
    first = declaration_rows(2, number="310120261000500001", importer=cast["importer"][0])
    assert post(market, "/customs/declarations", as_csv(first), "csv", cast["customs"][1]).status_code == 201
    market.sync()
    second = declaration_rows(3, number="310120261000500002", importer=cast["importer"][0])
    second[1]["lot"], second[1]["gtin"] = first[0]["lot"], first[0]["gtin"]
    answer = post(market, "/customs/declarations", as_csv(second), "csv", cast["customs"][1])
    assert answer.status_code == 422
    assert answer.json()["problems"] == [
        {"row": 3, "column": "lot", "reason": f"lot {first[0]['lot']} of GTIN {first[0]['gtin']} is already registered"}
    ]


def test_import_declaration_needs_the_customs_role_and_a_known_format(market: Market, cast: dict) -> None:
    data = as_csv(declaration_rows(1, number="310120261000600001", importer=cast["importer"][0]))
    assert (
        market.client.post("/customs/declarations", content=data, headers={"Content-Type": "text/csv"}).status_code
        == 401
    )
    refused = post(market, "/customs/declarations", data, "csv", cast["farm"][1])
    assert refused.status_code == 403 and "customs" in refused.json()["detail"]
    odd = market.client.post(
        "/customs/declarations", content=data, headers={**market.auth(cast["customs"][1]), "Content-Type": "text/plain"}
    )
    assert odd.status_code == 415 and "text/csv" in odd.json()["detail"]


def test_import_declaration_refuses_unreadable_and_oversized_files(market: Market, cast: dict) -> None:
    key = cast["customs"][1]
    latin1 = "declaration_number,entry_port\nÄ,x\n".encode("latin-1")
    answer = post(market, "/customs/declarations", latin1, "csv", key)
    assert answer.status_code == 422
    assert "not UTF-8" in answer.json()["problems"][0]["reason"]
    assert post(market, "/customs/declarations", b"PK\x03\x04broken", "xlsx", key).status_code == 422
    deep = b"[" * 5000 + b"]" * 5000
    assert "nested" in post(market, "/customs/declarations", deep, "json", key).json()["problems"][0]["reason"]
    too_big = post(market, "/customs/declarations", b"x" * (MAX_FILE_BYTES + 1), "csv", key)
    assert too_big.status_code == 413


def test_harvest_sheet_records_every_lot_and_refuses_a_bad_one(market: Market, cast: dict) -> None:
    rows = harvest_rows(4, prefix="HS")
    answer = post(market, "/harvests/bulk", as_xlsx(rows), "xlsx", cast["farm"][1])
    assert answer.status_code == 201, answer.text
    assert answer.json()["lots"] == 4 and len(answer.json()["batch_ids"]) == 4
    assert len(answer.json()["transactions"]) == 1  # one registerHarvests
    market.sync()
    batch = market.client.get(f"/batches/{answer.json()['batch_ids'][3]}").json()["data"]
    assert batch["lot"] == "HS-00004" and batch["custodian"]["address"] == cast["farm"][0]

    before = block(market)
    again = post(market, "/harvests/bulk", as_csv(rows), "csv", cast["farm"][1])
    assert again.status_code == 422
    assert [p["row"] for p in again.json()["problems"]] == [2, 3, 4, 5]
    assert all("already registered" in p["reason"] for p in again.json()["problems"])
    assert (
        post(market, "/harvests/bulk", as_csv(harvest_rows(1, prefix="HX")), "csv", cast["customs"][1]).status_code
        == 403
    )
    assert block(market) == before


@pytest.mark.parametrize(
    ("path", "columns"), [("/customs/declarations/template", DECLARATION.columns), ("/harvests/template", None)]
)
@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_templates_download_and_read_back(market: Market, path: str, columns: tuple | None, extension: str) -> None:
    answer = market.client.get(f"{path}.{extension}")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(MEDIA[extension])
    assert "attachment" in answer.headers["content-disposition"]
    table = read_table(answer.content, extension)
    assert len(table.rows) == 1
    if columns:
        assert tuple(table.columns) == columns


def test_import_declaration_goes_through_the_queue_and_a_key_retry_answers_the_same(market: Market, cast: dict) -> None:
    rows = declaration_rows(3, number="310120261000110001", importer=cast["importer"][0])
    headers = {**market.auth(cast["customs"][1]), "Content-Type": "text/csv", "Idempotency-Key": "decl-110001"}
    answer = market.client.post("/customs/declarations", content=as_csv(rows), headers=headers)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    (intent_id,) = body["intent_ids"]  # one registerImports call: one declaration_part intent
    intent = market.client.get(f"/intents/{intent_id}", headers=market.auth(cast["customs"][1])).json()
    assert (intent["kind"], intent["status"]) == ("declaration_part", "recorded")
    assert intent["transaction_hash"] == body["transactions"][0]
    assert intent["result"]["batch_ids"] == body["batch_ids"]
    head = block(market)

    retried = market.client.post("/customs/declarations", content=as_csv(rows), headers=headers)
    assert retried.status_code == 201, retried.text
    assert retried.json() == body  # the first answer, nothing queued again
    other = declaration_rows(2, number="310120261000110002", importer=cast["importer"][0])
    reused = market.client.post("/customs/declarations", content=as_csv(other), headers=headers)
    assert reused.status_code == 422 and "Idempotency-Key" in reused.json()["detail"]
    assert block(market) == head


def test_harvest_sheet_goes_through_the_queue_as_harvest_intents(market: Market, cast: dict) -> None:
    rows = harvest_rows(3, prefix="HQ")
    answer = post(market, "/harvests/bulk", as_csv(rows), "csv", cast["farm"][1])
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert len(body["intent_ids"]) == 3 and len(body["transactions"]) == 1  # packed into one registerHarvests
    for intent_id, batch_id in zip(body["intent_ids"], body["batch_ids"], strict=True):
        intent = market.client.get(f"/intents/{intent_id}", headers=market.auth(cast["farm"][1])).json()
        assert (intent["kind"], intent["status"], intent["result"]["batch_ids"]) == ("harvest", "recorded", [batch_id])
