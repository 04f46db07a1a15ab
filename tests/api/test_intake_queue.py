"""Declaration files through the write queue where the timing matters, on SQLite (the
database plays no part in what is tested):

- sent while the node is down: checked against the index, queued unchecked (202, its intents
  named), the same file again answers 409 naming them, and every part is recorded once when
  the node is back (the node keeps its chain in a state file across the stop and start,
  ``LocalNode`` with ``persist``, as a real node keeps its database);
- a part the chain refuses after the file was queued (the API's own submitters off, a
  submitter run by the test after the lot is taken): the answer says the declaration is
  partly recorded, and the corrected file finishes it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.main import create_app
from api.services import build_services
from ledger.chain.node import LocalNode
from ledger.indexer.fetch import JsonRpc
from ledger.indexer.sync import Indexer
from ledger.intake.payloads import LINES_PER_CALL
from ledger.store.api_keys import issue_key
from ledger.store.writer import IndexStore
from tests.factories.chain import deployed_node
from tests.factories.intake import as_csv, declaration_rows
from tests.factories.market import Market, harvest, register_market
from tests.factories.queue import events_on_chain, submit_until_final

NUMBER = "310120261000120001"
LINES = LINES_PER_CALL + 1  # two parts


@dataclass
class Outage:
    node: LocalNode
    market: Market
    client: TestClient
    auth: dict[str, str]
    engine: Engine


@contextmanager
def api(tmp_path: Path, *, submitters: bool) -> Iterator[Outage]:
    """Anvil (its chain persisted), the market registered, the API with customs' key (running
    its own submitters or not) and the participants indexed."""
    with deployed_node(tmp_path, persist=True) as chain:
        market = register_market(chain.ledger)
        settings = chain.api_settings(queue_submitters=submitters)
        services = build_services(settings)
        services.keys.create(market.customs.key)
        key = issue_key(services.engine, market.customs.address, "customs")
        indexer = Indexer(JsonRpc(chain.rpc_url), IndexStore(services.engine), chain.source())
        indexer.sync()  # the importer, for the check
        with TestClient(create_app(settings, services)) as client:
            services.ledger  # noqa: B018 - the deployment is resolved while the node answers
            yield Outage(chain.node, market, client, {"Authorization": f"Bearer {key}"}, services.engine)


@pytest.fixture
def outage(tmp_path: Path) -> Iterator[Outage]:
    with api(tmp_path, submitters=True) as running:
        yield running


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


def test_declaration_part_refused_after_queueing_answers_partly_recorded_and_is_finished(tmp_path: Path) -> None:
    with api(tmp_path, submitters=False) as running:
        client, auth, market = running.client, running.auth, running.market
        rows = declaration_rows(LINES, number=NUMBER, importer=market.supplier2.address)
        headers = {**auth, "Content-Type": "text/csv", "Prefer": "respond-async"}
        queued = client.post(
            "/customs/declarations", content=as_csv(rows), headers={**headers, "Idempotency-Key": "first"}
        )
        assert queued.status_code == 202, queued.text
        ids = queued.json()["intent_ids"]
        # Queued (both parts passed their eth_call), not yet sent: the last line's lot is taken.
        harvest(market, gtin=rows[-1]["gtin"], lot=rows[-1]["lot"], supplier=market.supplier)
        submit_until_final(running.engine, market.ledger, [market.customs], ids)

        answer = client.post(
            "/customs/declarations", content=as_csv(rows), headers={**headers, "Idempotency-Key": "first"}
        )
        assert answer.status_code == 409, answer.text
        body = answer.json()
        assert body["error"] == "RecordingInterrupted" and body["row"] == LINES + 1
        assert body["recorded_batch_ids"] == queued.json()["batch_ids"][:LINES_PER_CALL]
        assert f"{LINES_PER_CALL} lines were recorded, then: line {LINES_PER_CALL}:" in body["message"]
        assert market.ledger.declaration_lines(NUMBER) == (LINES_PER_CALL, LINES)

        rows[-1]["lot"] = "TH-120001-R201"
        finishing = client.post(
            "/customs/declarations", content=as_csv(rows), headers={**headers, "Idempotency-Key": "second"}
        )
        assert finishing.status_code == 202, finishing.text
        assert finishing.json()["resumed_at"] == LINES_PER_CALL and len(finishing.json()["intent_ids"]) == 1
        submit_until_final(running.engine, market.ledger, [market.customs], finishing.json()["intent_ids"])
        done = client.post(
            "/customs/declarations", content=as_csv(rows), headers={**headers, "Idempotency-Key": "second"}
        )
        assert done.status_code == 201, done.text
        assert done.json()["batch_ids"][:LINES_PER_CALL] == body["recorded_batch_ids"]
        assert market.ledger.declaration_lines(NUMBER) == (LINES, LINES)
