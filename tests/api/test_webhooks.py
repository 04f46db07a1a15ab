"""/webhooks: stalls register, list and delete webhooks (vendors only), and a registered
webhook receives the signed notification of a recall made through the API, over real HTTP,
retried after a failure and visible in the webhook's deliveries."""

from __future__ import annotations

import time

import pytest

from ledger.notify import SIGNATURE_HEADER, Backoff, Notifier, TargetPolicy, verify_signature
from tests.api.conftest import Market
from tests.api.test_writes import GTIN, ago, deliver
from tests.notify.receiver import receiver


def register(m: Market, key: str, url: str = "https://stall.example/hooks/recall") -> dict:
    answer = m.client.post("/webhooks", json={"url": url, "description": "till"}, headers=m.auth(key))
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_a_vendor_registers_lists_and_deletes_webhooks(api_market: Market, cast: dict) -> None:
    m = api_market
    vendor, other = cast["vendor"][1], cast["vendor2"][1]
    created = register(m, vendor)
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 40
    assert created["url"] == "https://stall.example/hooks/recall" and created["description"] == "till"

    listed = m.client.get("/webhooks", headers=m.auth(vendor)).json()
    assert [h["id"] for h in listed["data"]] == [created["id"]] and listed["count"] == 1
    assert "secret" not in listed["data"][0]  # shown once
    assert m.client.get("/webhooks", headers=m.auth(other)).json() == {"data": [], "count": 0}

    assert m.client.delete(f"/webhooks/{created['id']}", headers=m.auth(other)).status_code == 404
    assert m.client.delete(f"/webhooks/{created['id']}", headers=m.auth(vendor)).status_code == 204
    assert m.client.get("/webhooks", headers=m.auth(vendor)).json()["count"] == 0
    gone = m.client.delete(f"/webhooks/{created['id']}", headers=m.auth(vendor))
    assert gone.status_code == 404 and created["id"] in gone.json()["detail"]


def test_webhooks_need_a_vendor_key(api_market: Market, cast: dict) -> None:
    m = api_market
    body = {"url": "https://stall.example/hook"}
    assert m.client.post("/webhooks", json=body).status_code == 401
    assert m.client.get("/webhooks").status_code == 401
    assert m.client.delete("/webhooks/wh_0").status_code == 401
    assert m.client.get("/webhooks/wh_0/deliveries").status_code == 401
    for role in ("farm", "regulator", "lab"):
        key = cast[role][1]
        refused = m.client.post("/webhooks", json=body, headers=m.auth(key))
        assert refused.status_code == 403 and refused.json()["detail"] == "this needs the vendor role"
        assert m.client.get("/webhooks", headers=m.auth(key)).status_code == 403


@pytest.mark.parametrize(
    "url", ["ftp://stall.example/hook", "stall.example/hook", "https://", "https://user:pw@stall.example/hook"]
)
def test_webhook_urls_are_absolute_http_without_credentials(api_market: Market, cast: dict, url: str) -> None:
    answer = api_market.client.post("/webhooks", json={"url": url}, headers=api_market.auth(cast["vendor"][1]))
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "url"]


def test_a_recall_through_the_api_notifies_the_stall_that_sold_it(
    api_market: Market, cast: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = api_market
    services = m.client.app.state.services
    engine = services.engine
    # The receiver listens on loopback: allowed here as an operator's FRESHLEDGER_WEBHOOK_ALLOW would.
    monkeypatch.setattr(services, "webhook_targets", TargetPolicy.parse("127.0.0.1"))
    lot = "WH-RECALL-1"
    harvest = {"gtin": GTIN, "lot": lot, "quantity": 40, "harvested_at": ago(5), "origin": "geo:30.2,119.7"}
    answer = m.client.post("/harvests", json=harvest, headers=m.auth(cast["farm"][1]))
    assert answer.status_code == 201, answer.text
    batch_id = answer.json()["batch_ids"][0]
    deliver(m, batch_id, cast["farm"], cast["vendor"])
    sold = m.client.post(
        "/sales", json={"batch_id": batch_id, "quantity": 2, "price": 1200}, headers=m.auth(cast["vendor"][1])
    )
    assert sold.status_code == 201, sold.text
    m.sync()
    with receiver() as inbox:
        hook = register(m, cast["vendor"][1], inbox.url("/stall-a12"))
        register(m, cast["vendor2"][1], inbox.url("/stall-b03"))  # sold none of it
        inbox.script["/stall-a12"] = [503]  # the stall's server is restarting: one retry
        reason = "Carbofuran over its limit in a retained sample"
        recalled = m.client.post(
            "/recalls/lots", json={"gtin": GTIN, "lot": lot, "reason": reason}, headers=m.auth(cast["regulator"][1])
        )
        assert recalled.status_code == 201, recalled.text
        m.sync()

        clock = [time.time()]
        notifier = Notifier(
            engine,
            box=services.webhook_box,
            targets=services.webhook_targets,
            clock=lambda: clock[0],
            backoff=Backoff(base_s=30),
        )
        notifier.run_once()
        deliveries = m.client.get(f"/webhooks/{hook['id']}/deliveries", headers=m.auth(cast["vendor"][1])).json()
        (pending,) = deliveries["data"]
        assert (pending["status"], pending["attempts"], pending["last_outcome"]) == ("pending", 1, "5xx")
        assert pending["next_attempt_at"] == int(clock[0]) + 30
        clock[0] += 30
        notifier.run_once()
        notifier.run_once()  # a third run sends nothing more
        notifier.close()

        deliveries = m.client.get(f"/webhooks/{hook['id']}/deliveries", headers=m.auth(cast["vendor"][1])).json()
        (done,) = deliveries["data"]
        assert (done["status"], done["attempts"], done["last_outcome"]) == ("delivered", 2, "2xx")
        assert done["recall_tx"] == recalled.json()["transaction_hashes"][0]
        other = m.client.get(f"/webhooks/{hook['id']}/deliveries", headers=m.auth(cast["vendor2"][1]))
        assert other.status_code == 404
        first, message = inbox.requests
        assert first.body == message.body and first.path == message.path == "/stall-a12"
        assert verify_signature(hook["secret"], message.body, message.headers[SIGNATURE_HEADER], now=int(clock[0]))
        body = message.json()
        assert body["reason"] == reason and body["stall"] == cast["vendor"][0]
        assert body["sale_ids"] == [sold.json()["sale_id"]]
        assert body["tx_hash"] == recalled.json()["transaction_hashes"][0]
        assert body["lot"] == {"batch_id": batch_id, "gtin": GTIN, "lot": lot}
