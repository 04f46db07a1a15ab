"""The node down for 30 s behind a running API: reads and /health stay up (``degraded``, the
queue's depth), writes are queued (202), and every one is recorded once the node is back.

The node keeps its chain in a state file across the stop and start (``LocalNode`` with
``persist``), as a real node keeps its database. SQLite only: the database plays no part
in the outage, and the 30 s are paid once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.services import build_services
from ledger.chain.node import LocalNode
from ledger.store.api_keys import issue_key
from tests.factories.chain import deployed_node
from tests.factories.market import Market, at_stall, register_market
from tests.factories.queue import events_on_chain

OUTAGE_S = 30.0


@pytest.fixture
def persisted(tmp_path: Path) -> Iterator[tuple[LocalNode, Market, TestClient, str]]:
    with deployed_node(tmp_path, persist=True) as chain:
        market = register_market(chain.ledger)
        settings = chain.api_settings()
        services = build_services(settings)
        services.keys.create(market.vendor.key)
        key = issue_key(services.engine, market.vendor.address, "stall")
        with TestClient(create_app(settings, services)) as client:
            yield chain.node, market, client, key


def test_node_down_30_s_writes_wait_and_are_all_recorded(persisted: tuple) -> None:
    node, market, client, key = persisted
    auth = {"Authorization": f"Bearer {key}"}
    batch = "0x" + at_stall(market, quantity=100).hex()
    sale = {"batch_id": batch, "quantity": 1, "price": 700, "currency": "CNY"}
    assert client.post("/sales", json=sale, headers=auth).status_code == 201
    assert client.get("/health").json()["status"] == "ok"  # its connection to the node is kept alive

    node.stop()
    down_at = time.monotonic()
    health = client.get("/health").json()
    assert health["status"] == "degraded"
    assert health["node"] == {"reachable": False, "block_number": None}
    accepted = []
    for _ in range(5):
        answer = client.post("/sales", json=sale, headers={**auth, "Prefer": "respond-async"})
        assert answer.status_code == 202, answer.text
        accepted.append(answer.headers["Location"])
    waiting = client.get("/health").json()["queue"]
    assert waiting["queued"] + waiting["sent"] == 5
    assert waiting["oldest_s"] is not None
    assert client.get(accepted[0], headers=auth).json()["status"] in ("queued", "sent")

    time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - down_at)))
    assert client.get("/health").json()["node"]["reachable"] is False
    node.start()

    deadline = time.monotonic() + 60
    for location in accepted:
        while (state := client.get(location, headers=auth).json())["status"] not in ("recorded", "refused"):
            assert time.monotonic() < deadline, state
            time.sleep(0.1)
        assert state["status"] == "recorded", state
    sales = events_on_chain(market.ledger, "SaleRecorded")
    assert sorted(e.args["serial"] for e in sales) == [1, 2, 3, 4, 5, 6]
    health = client.get("/health").json()
    assert health["status"] == "ok"
    assert health["queue"] == {"queued": 0, "sent": 0, "oldest_s": None}
