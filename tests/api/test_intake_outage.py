"""A declaration file sent while the node is down: checked against the index, queued
unchecked (202, its intents named), the same file again answers 409 naming them, and every
part is recorded once when the node is back.

The node keeps its chain in a state file across the stop and start (``LocalNode`` with
``persist``), as a real node keeps its database. SQLite only: the database plays no part in
the outage."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.services import build_services
from api.settings import ApiSettings
from ledger.chain.accounts import dev_account
from ledger.chain.client import ChainClient
from ledger.chain.deploy import deploy, save
from ledger.chain.freshledger import FreshLedgerContract
from ledger.chain.node import LocalNode, free_port
from ledger.indexer.fetch import JsonRpc
from ledger.indexer.sync import Indexer, Source
from ledger.intake.queued import LINES_PER_CALL
from ledger.store.api_keys import issue_key
from ledger.store.writer import IndexStore
from tests.factories.intake import as_csv, declaration_rows
from tests.factories.market import Market, register_market
from tests.factories.queue import events_on_chain

NUMBER = "310120261000120001"
LINES = LINES_PER_CALL + 1  # two parts


@dataclass
class Outage:
    node: LocalNode
    market: Market
    client: TestClient
    auth: dict[str, str]


@pytest.fixture
def outage(tmp_path: Path) -> Iterator[Outage]:
    node = LocalNode(tmp_path / "anvil", port=free_port(), persist=True)
    info = node.start()
    try:
        chain = ChainClient(info.rpc_url)
        deployment = deploy(chain, dev_account(0))
        save(deployment, tmp_path / "data")
        market = register_market(FreshLedgerContract(chain, deployment.address))
        settings = ApiSettings(
            data_dir=tmp_path / "data",
            database_url=f"sqlite:///{tmp_path / 'api.db'}",
            rpc_url=info.rpc_url,
            public_host="market.example",
        )
        services = build_services(settings)
        services.keys.create(market.customs.key)
        key = issue_key(services.engine, market.customs.address, "customs")
        source = Source(deployment.chain_id, deployment.genesis_hash, deployment.address, deployment.deploy_block)
        Indexer(JsonRpc(info.rpc_url), IndexStore(services.engine), source).sync()  # the importer, for the check
        with TestClient(create_app(settings, services)) as client:
            services.ledger  # noqa: B018 - the deployment is resolved while the node answers
            yield Outage(node, market, client, {"Authorization": f"Bearer {key}"})
    finally:
        node.stop()


def test_declaration_sent_while_the_node_is_down_waits_and_is_recorded_once(outage: Outage) -> None:
    client, auth, market = outage.client, outage.auth, outage.market
    rows = declaration_rows(LINES, number=NUMBER, importer=market.supplier2.address)
    headers = {**auth, "Content-Type": "text/csv"}
    # The officer's role is known to the API (read from the chain while it answered).
    earlier = declaration_rows(1, number="310120261000120000", importer=market.supplier2.address)
    for row in earlier:
        row["lot"] = "TH-120000-0001"
    assert client.post("/customs/declarations", content=as_csv(earlier), headers=headers).status_code == 201

    outage.node.stop()
    answer = client.post("/customs/declarations", content=as_csv(rows), headers={**headers, "Prefer": "respond-async"})
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert body["declaration_number"] == NUMBER and body["lines"] == LINES
    assert len(body["intent_ids"]) == 2 and answer.headers["Location"] == f"/intents/{body['intent_ids'][0]}"
    assert [i["status"] for i in body["intents"]] == ["queued"] * 2
    again = client.post("/customs/declarations", content=as_csv(rows), headers=headers)
    assert again.status_code == 409, again.text
    assert again.json()["error"] == "DeclarationPending"
    assert again.json()["pending"]["intent_ids"] == body["intent_ids"]  # nothing queued twice
    assert client.get("/health").json()["queue"]["queued"] == 2

    outage.node.start()
    deadline = time.monotonic() + 60
    for intent_id in body["intent_ids"]:
        while (state := client.get(f"/intents/{intent_id}", headers=auth).json())["status"] not in (
            "recorded",
            "refused",
        ):
            assert time.monotonic() < deadline, state
            time.sleep(0.1)
        assert state["status"] == "recorded", state
    assert market.ledger.declaration_lines(NUMBER) == (LINES, LINES)
    lines = [e for e in events_on_chain(market.ledger, "ImportLineRegistered") if e.args["lot"] != "TH-120000-0001"]
    assert [e.args["line"] for e in lines] == list(range(LINES))  # every line once
    assert ["0x" + e.args["batchId"].hex() for e in lines] == body["batch_ids"]
