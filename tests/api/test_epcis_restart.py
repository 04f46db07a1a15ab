"""An EPCIS capture job survives a restart of the API: its events' calls are intents stored
with the job, so a process that accepted the document and stopped before sending anything
leaves a running job that the next process finishes, each event recorded once."""

from __future__ import annotations

import json
import time
from pathlib import Path

from eth_account import Account
from fastapi.testclient import TestClient

from api.main import create_app
from api.services import build_services
from api.settings import ApiSettings
from ledger.chain.accounts import dev_account
from ledger.chain.freshledger import batch_id_of
from ledger.store.api_keys import issue_key
from tests.api.test_epcis import GTIN, _document, _harvest
from tests.factories.chain import deployed_node
from tests.factories.queue import events_on_chain
from tests.support.databases import Databases


def test_a_capture_job_accepted_before_a_restart_is_finished_after_it(tmp_path: Path, databases: Databases) -> None:
    with deployed_node(tmp_path) as chain:
        client, ledger = chain.client, chain.ledger
        authority = dev_account(0)
        farm = Account.create()
        ledger.register_participant(authority, farm.address, "SUPPLIER", "Restart Farm", "6901234000016")
        client.fund(authority, farm.address, 10**18, abi=ledger.abi)

        url = databases.url()

        def settings(submitters: bool) -> ApiSettings:
            return chain.api_settings(url, queue_submitters=submitters)

        before = build_services(settings(False))  # the process that dies: it sends nothing
        before.keys.create(farm.key)
        key = issue_key(before.engine, farm.address, "farm")
        auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/ld+json"}
        document = json.dumps(_document(_harvest("EP-RESTART-1"), _harvest("EP-RESTART-2"))).encode()
        with TestClient(create_app(settings(False), before)) as api:
            answer = api.post("/epcis/capture", content=document, headers=auth)
            assert answer.status_code == 202, answer.text
            location = answer.headers["Location"]
            job = api.get(location, headers=auth).json()
            assert job["running"] is True
            assert [e["status"] for e in job["events"]] == ["queued", "queued"]
        assert events_on_chain(ledger, "HarvestRegistered") == []

        after = build_services(settings(True))  # the restart: a new process, same database
        with TestClient(create_app(settings(True), after)) as api:
            deadline = time.monotonic() + 60
            while (job := api.get(location, headers=auth).json())["running"]:
                assert time.monotonic() < deadline, job
                time.sleep(0.1)
        assert job["success"] is True and job["errors"] == []
        assert [e["status"] for e in job["events"]] == ["recorded", "recorded"]
        assert all(len(e["transactions"]) == 1 for e in job["events"])
        assert "finishedAt" in job
        lots = sorted(e.args["lot"] for e in events_on_chain(ledger, "HarvestRegistered"))
        assert lots == ["EP-RESTART-1", "EP-RESTART-2"]  # each once
        assert ledger.batch(batch_id_of(GTIN, "EP-RESTART-1")).remaining == 40
