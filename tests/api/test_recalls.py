"""POST /recalls/lots end to end on the demo market: a real anvil, the indexer, SQLite, the
API in front. A regulator recalls a farm lot; every batch made from it is recalled on-chain,
the answer matches the forward trace, and every affected sale's Digital Link (JSON and the
shopper's page) shows the recall after one indexer poll."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.services import build_services
from api.settings import ApiSettings
from ledger import demo
from ledger.store.api_keys import issue_key
from tests.recall.demo_chain import GREENS_LOT, DemoChain, demo_chain
from tests.support.databases import Databases

REASON = "Listeria monocytogenes in GV-2611-01"


@dataclass
class RecallApi:
    market: DemoChain
    client: TestClient
    regulator_key: str
    vendor_key: str

    @staticmethod
    def auth(key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[RecallApi]:
    databases = Databases("sqlite", tmp_path)
    url = databases.url()
    try:
        with demo_chain(tmp_path, databases.engine(url)) as market:
            settings = ApiSettings(
                data_dir=market.data_dir, database_url=url, rpc_url=market.rpc_url, public_host="market.example"
            )
            services = build_services(settings)
            for account in (market.cast.regulator, market.cast.stall_a):
                services.keys.create(account.key)
            regulator = issue_key(services.engine, market.cast.regulator.address, "regulator")
            vendor = issue_key(services.engine, market.cast.stall_a.address, "stall A")
            with TestClient(create_app(settings, services)) as client:
                yield RecallApi(market, client, regulator, vendor)
    finally:
        databases.close()


def recall_body(lot: str = GREENS_LOT) -> dict[str, str]:
    return {"gtin": demo.GREENS_GTIN, "lot": lot, "reason": REASON}


def link(sale: dict) -> str:
    return f"/01/{sale['gtin']}/10/{sale['lot']}/21/{sale['serial']}"


def test_lot_recall_reaches_every_sale_page_after_one_poll(api: RecallApi) -> None:
    m, client = api.market, api.client
    traced = client.get(f"/batches/{m.greens()}/trace", headers=api.auth(api.regulator_key))
    assert traced.status_code == 200, traced.text
    trace = traced.json()
    batch_ids = [trace["batch"]["batch_id"], *(b["batch_id"] for b in trace["descendants"])]
    assert trace["sales"]

    answer = client.post("/recalls/lots", json=recall_body(), headers=api.auth(api.regulator_key))

    assert answer.status_code == 201, answer.text
    recall = answer.json()
    assert recall["batch_id"] == m.greens() and recall["lot"] == GREENS_LOT
    assert recall["recalled_batch_ids"] == batch_ids and recall["already_recalled_batch_ids"] == []
    assert len(recall["transaction_hashes"]) == 1
    assert recall["transactions"][0]["batch_ids"] == batch_ids
    assert [s["address"] for s in recall["stalls"]] == [s["address"] for s in trace["stalls"]]
    assert [s["sale_id"] for s in recall["sales"]] == [s["sale_id"] for s in trace["sales"]]
    assert all(m.status(b) == "recalled" for b in batch_ids)

    stale = client.get(link(recall["sales"][0]), headers={"Accept": "application/json"}).json()
    assert stale["batch"]["status"] != "recalled"  # the database has not seen the recall yet
    m.sync()  # one indexer poll
    for sale in recall["sales"]:
        custody = client.get(link(sale), headers={"Accept": "application/json"})
        assert custody.status_code == 200, custody.text
        alerts = [a for a in custody.json()["alerts"] if a["kind"] == "recalled"]
        assert {a["details"]["reason"] for a in alerts} == {REASON}
        assert {a["tx_hash"] for a in alerts} == set(recall["transaction_hashes"])
        assert custody.json()["batch"]["status"] == "recalled"
        page = client.get(link(sale), headers={"Accept": "text/html", "Accept-Language": "en"})
        assert page.status_code == 200
        assert 'class="banner banner-recalled"' in page.text and REASON in page.text


def test_lot_recall_needs_a_regulator(api: RecallApi) -> None:
    client = api.client
    assert client.post("/recalls/lots", json=recall_body()).status_code == 401
    refused = client.post("/recalls/lots", json=recall_body(), headers=api.auth(api.vendor_key))
    assert refused.status_code == 403
    assert refused.json()["detail"] == "this needs the regulator role"
    assert api.market.status(api.market.greens()) == "active"


def test_lot_recall_of_an_unknown_lot_is_404(api: RecallApi) -> None:
    answer = api.client.post("/recalls/lots", json=recall_body("NO-SUCH-LOT"), headers=api.auth(api.regulator_key))
    assert answer.status_code == 404
    assert answer.json()["message"] == f"no lot NO-SUCH-LOT of GTIN {demo.GREENS_GTIN} is recorded (as far as indexed)"


@pytest.mark.parametrize(
    ("field", "value"),
    [("gtin", "06901234000017"), ("lot", "lot with spaces"), ("reason", ""), ("reason", "x" * 201)],
)
def test_lot_recall_refuses_bad_input_with_422(api: RecallApi, field: str, value: str) -> None:
    body = {**recall_body(), field: value}
    answer = api.client.post("/recalls/lots", json=body, headers=api.auth(api.regulator_key))
    assert answer.status_code == 422
    assert any(error["loc"][-1] == field for error in answer.json()["detail"])
    assert api.market.status(api.market.greens()) == "active"


def test_lot_recall_again_sends_nothing(api: RecallApi) -> None:
    first = api.client.post("/recalls/lots", json=recall_body(), headers=api.auth(api.regulator_key))
    assert first.status_code == 201
    again = api.client.post("/recalls/lots", json=recall_body(), headers=api.auth(api.regulator_key))
    assert again.status_code == 201
    assert again.json()["transaction_hashes"] == [] and again.json()["recalled_batch_ids"] == []
    assert again.json()["already_recalled_batch_ids"] == first.json()["recalled_batch_ids"]


def test_a_recall_of_the_farm_lot_alone_puts_the_banner_on_its_repacks_sales(api: RecallApi) -> None:
    # The banner reads the whole lineage: the sold repack itself is not recalled here.
    m, client = api.market, api.client
    trace = client.get(f"/batches/{m.greens()}/trace", headers=api.auth(api.regulator_key)).json()
    answer = client.post(
        "/recalls", json={"batch_ids": [m.greens()], "reason": REASON}, headers=api.auth(api.regulator_key)
    )
    assert answer.status_code == 201, answer.text
    m.sync()
    for sale in trace["sales"]:
        assert sale["batch_id"] != m.greens()
        custody = client.get(link(sale), headers={"Accept": "application/json"}).json()
        assert custody["batch"]["status"] != "recalled"
        page = client.get(link(sale), headers={"Accept": "text/html", "Accept-Language": "en"})
        assert 'class="banner banner-recalled"' in page.text and REASON in page.text
