"""The write queue over HTTP: a write answers once mined with its intent id; ``Prefer:
respond-async`` answers 202 with the intent to follow; ``GET /intents/{id}`` for its sender,
regulators and the authority only; ``Idempotency-Key`` returns the first answer and records
nothing twice; a refusal found only by the submitter shows on the intent; ``POST /sales/bulk``
answers each sale."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from api.write_queue import wait_final
from ledger.chain.abi import ContractAbi
from ledger.chain.events import event_codec
from ledger.chain.node import rpc
from ledger.digital_link import DigitalLink, parse_path
from tests.api.conftest import Market
from tests.api.test_writes import GTIN, ago, block, deliver, harvest, lot

ASYNC = {"Prefer": "respond-async"}


def stocked(m: Market, cast: dict, quantity: int = 100) -> str:
    batch_id = harvest(m, cast["farm"][1], quantity=quantity)
    deliver(m, batch_id, cast["farm"], cast["vendor"])
    m.sync()
    return batch_id


def follow(m: Market, location: str, key: str, timeout: float = 30.0) -> dict:
    """GET the intent until it is recorded or refused."""
    deadline = time.monotonic() + timeout
    while True:
        answer = m.client.get(location, headers=m.auth(key))
        assert answer.status_code == 200, answer.text
        if answer.json()["status"] in ("recorded", "refused"):
            return answer.json()
        assert time.monotonic() < deadline, answer.json()
        time.sleep(0.05)


def sale(batch_id: str, quantity: int = 1) -> dict:
    return {"batch_id": batch_id, "quantity": quantity, "price": 800, "currency": "CNY"}


def test_a_write_answers_once_mined_with_its_intent(api_market: Market, cast: dict) -> None:
    m = api_market
    batch_id = stocked(m, cast)
    answer = m.client.post("/sales", json=sale(batch_id), headers=m.auth(cast["vendor"][1]))
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["qr_url"].startswith(f"https://market.example/01/{GTIN}/10/API-")
    intent = m.client.get(f"/intents/{body['intent_id']}", headers=m.auth(cast["vendor"][1])).json()
    assert intent["status"] == "recorded"
    assert intent["transaction_hash"] == body["transaction_hash"]
    assert intent["block_number"] == body["block_number"]
    assert intent["result"]["sale_id"] == body["sale_id"]
    assert intent["result"]["batch_ids"] == [batch_id]


def test_respond_async_answers_202_and_the_intent_tells_the_rest(api_market: Market, cast: dict) -> None:
    m = api_market
    batch_id = stocked(m, cast)
    answer = m.client.post("/sales", json=sale(batch_id, 3), headers={**m.auth(cast["vendor"][1]), **ASYNC})
    assert answer.status_code == 202, answer.text
    location = answer.headers["Location"]
    assert location == f"/intents/{answer.json()['intent_id']}"
    assert answer.json()["status"] in ("queued", "sent", "recorded")

    done = follow(m, location, cast["vendor"][1])
    assert done["status"] == "recorded"
    assert done["kind"] == "sale" and done["sender"] == cast["vendor"][0]
    assert done["events"][0]["name"] == "SaleRecorded"
    assert done["events"][0]["args"]["quantity"] == 3
    assert done["result"]["serial"] == 1
    # Only the sender, regulators and the authority see it; to anyone else it does not exist.
    assert m.client.get(location, headers=m.auth(cast["regulator"][1])).status_code == 200
    assert m.client.get(location, headers=m.auth(m.authority_key)).status_code == 200
    hidden = m.client.get(location, headers=m.auth(cast["vendor2"][1]))
    assert hidden.status_code == 404
    assert m.client.get(location).status_code == 401
    assert m.client.get("/intents/999999999", headers=m.auth(cast["vendor"][1])).status_code == 404
    assert m.client.get("/intents/0", headers=m.auth(cast["vendor"][1])).status_code == 422


def test_an_intent_asked_with_prefer_wait_is_answered_once_it_is_recorded(api_market: Market, cast: dict) -> None:
    """``Prefer: wait=N`` (RFC 7240) on ``GET /intents/{id}``: one request answers when the
    write is mined, or with the intent unfinished once N seconds pass; a malformed preference
    is ignored; a caller who may not see the intent is told at once that there is none."""
    m = api_market
    key = cast["vendor"][1]
    batch_id = stocked(m, cast)
    rpc(m.rpc_url, "evm_setAutomine", [False])  # the sale stays unmined until the test mines it
    try:
        queued = m.client.post("/sales", json=sale(batch_id), headers={**m.auth(key), **ASYNC})
        assert queued.status_code == 202, queued.text
        location = queued.headers["Location"]

        began = time.monotonic()
        unfinished = m.client.get(location, headers={**m.auth(key), "Prefer": "wait=1"})
        assert time.monotonic() - began >= 1.0
        assert unfinished.status_code == 200, unfinished.text
        assert unfinished.json()["status"] in ("queued", "sent")
        assert unfinished.headers["preference-applied"] == "wait=1"

        for ignored in ("wait=soon", "wait=-3", "wait=1.5"):
            answer = m.client.get(location, headers={**m.auth(key), "Prefer": ignored})
            assert answer.status_code == 200 and "preference-applied" not in answer.headers
        stranger = m.client.get(location, headers={**m.auth(cast["vendor2"][1]), "Prefer": "wait=30"})
        assert stranger.status_code == 404

        with ThreadPoolExecutor(max_workers=1) as pool:
            waiting = pool.submit(m.client.get, location, headers={**m.auth(key), "Prefer": "wait=60"})
            time.sleep(0.5)
            assert not waiting.done()  # nothing is mined: the request waits
            rpc(m.rpc_url, "evm_mine")
            recorded = waiting.result(timeout=30)  # well before its 60 s
        assert recorded.status_code == 200, recorded.text
        assert recorded.json()["status"] == "recorded"
        assert recorded.json()["result"]["serial"] == queued.json()["serial"]
        assert recorded.headers["preference-applied"] == "wait=60"
    finally:
        rpc(m.rpc_url, "evm_setAutomine", [True])


def test_a_refusal_only_the_submitter_finds_shows_on_the_intent(api_market: Market, cast: dict) -> None:
    """Two sales of all that is left, accepted together (each alone would pass): the second is
    refused by the submitter, with the contract's error and sentence."""
    m = api_market
    batch_id = stocked(m, cast, quantity=5)
    headers = {**m.auth(cast["vendor"][1]), **ASYNC}
    answer = m.client.post("/sales/bulk", json={"sales": [sale(batch_id, 5), sale(batch_id, 5)]}, headers=headers)
    assert answer.status_code == 202, answer.text
    first, second = (item["intent_id"] for item in answer.json()["data"])

    assert follow(m, f"/intents/{first}", cast["vendor"][1])["status"] == "recorded"
    refused = follow(m, f"/intents/{second}", cast["vendor"][1])
    assert refused["status"] == "refused"
    assert refused["error"]["error"] == "BatchSoldOut"
    assert refused["error"]["message"].startswith("nothing is left of batch API-")


def test_idempotency_key_returns_the_first_answer_and_records_once(api_market: Market, cast: dict) -> None:
    m = api_market
    body = {"gtin": GTIN, "lot": lot(), "quantity": 10, "unit": "KGM", "harvested_at": ago(3), "origin": "geo:1,2"}
    headers = {**m.auth(cast["farm"][1]), "Idempotency-Key": f"harvest-{body['lot']}"}
    first = m.client.post("/harvests", json=body, headers=headers)
    assert first.status_code == 201, first.text
    head = block(m)

    again = m.client.post("/harvests", json=body, headers=headers)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert block(m) == head  # nothing sent
    later = m.client.post("/harvests", json=body, headers={**headers, **ASYNC})
    assert later.status_code == 201  # already recorded: the first answer, even when async is preferred
    assert later.json()["intent_id"] == first.json()["intent_id"]

    changed = m.client.post("/harvests", json={**body, "quantity": 11}, headers=headers)
    assert changed.status_code == 422
    assert "Idempotency-Key" in changed.json()["detail"]
    for bad in ("", "x" * 201, "two words"):
        refused = m.client.post("/harvests", json=body, headers={**m.auth(cast["farm"][1]), "Idempotency-Key": bad})
        assert refused.status_code == 422, bad
        assert "Idempotency-Key" in refused.json()["detail"]
    logs = rpc(m.rpc_url, "eth_getLogs", [{"fromBlock": "0x0", "toBlock": "latest"}])
    harvests = [log for log in logs if log["transactionHash"] == first.json()["transaction_hash"]]
    assert len(harvests) == 1
    assert block(m) == head


def test_an_idempotent_retry_of_a_refused_write_is_refused_the_same(api_market: Market, cast: dict) -> None:
    m = api_market
    batch_id = stocked(m, cast, quantity=2)
    headers = {**m.auth(cast["vendor"][1]), "Idempotency-Key": f"sale-{batch_id[:12]}"}
    m.client.post("/sales", json=sale(batch_id, 2), headers=m.auth(cast["vendor"][1]))
    first = m.client.post("/sales", json=sale(batch_id, 1), headers=headers)
    again = m.client.post("/sales", json=sale(batch_id, 1), headers=headers)
    assert first.status_code == again.status_code == 409
    assert first.json()["error"] == again.json()["error"] == "BatchSoldOut"


def test_sales_bulk_answers_each_sale(api_market: Market, cast: dict) -> None:
    m = api_market
    batch_id = stocked(m, cast, quantity=10)
    sales = [sale(batch_id, 1), sale(batch_id, 2), sale(batch_id, 50), sale(batch_id, 1), sale("0x" + "cd" * 32, 1)]
    answer = m.client.post("/sales/bulk", json={"sales": sales}, headers=m.auth(cast["vendor"][1]))
    assert answer.status_code == 200, answer.text
    items = answer.json()["data"]
    assert [i["status"] for i in items] == [201, 201, 409, 201, 404]
    assert items[2]["error"] == "InsufficientQuantity"
    assert items[4]["error"] == "BatchNotFound"
    recorded = [items[n] for n in (0, 1, 3)]
    assert sorted(i["sale_id"] for i in recorded) == sorted({i["sale_id"] for i in recorded})
    assert all(i["qr_url"].startswith("https://market.example/01/") for i in recorded)
    for item in recorded:  # each QR: the sale's own serial on its lot's link, with its proof
        serial = follow(m, f"/intents/{item['intent_id']}", cast["vendor"][1])["result"]["serial"]
        link, proof = item["qr_url"].removeprefix("https://market.example").split("?receipt=")
        assert parse_path(link) == DigitalLink(GTIN, lot=parse_path(link).lot, serial=str(serial))
        assert proof == item["receipt"]
    m.sync()
    for item in recorded:
        assert m.client.get(f"/sales/{item['sale_id']}").json()["sale"]["quantity"] in (1, 2)

    headers = {**m.auth(cast["vendor"][1]), **ASYNC, "Idempotency-Key": f"bulk-{batch_id[:12]}"}
    queued = m.client.post("/sales/bulk", json={"sales": [sale(batch_id, 1)] * 3}, headers=headers)
    assert queued.status_code == 202
    for item in queued.json()["data"]:
        assert item["status"] in (201, 202)
        if item["status"] == 202:
            assert follow(m, item["location"], cast["vendor"][1])["status"] == "recorded"
    retried = m.client.post("/sales/bulk", json={"sales": [sale(batch_id, 1)] * 3}, headers=headers)
    assert {i["intent_id"] for i in retried.json()["data"]} == {i["intent_id"] for i in queued.json()["data"]}
    assert m.client.post("/sales/bulk", json={"sales": []}, headers=m.auth(cast["vendor"][1])).status_code == 422
    assert m.client.post("/sales/bulk", json={"sales": sales}, headers=m.auth(cast["farm"][1])).status_code == 403


def test_a_write_settled_before_its_request_waits_is_still_answered(api_market: Market, cast: dict) -> None:
    """A waiting request does not read its just-accepted intent before it waits (that read was
    a quarter of a waiting sale's CPU): when the intent is settled in between, before the
    request's callback is registered, the watcher's look at the database still finds it,
    instead of the request waiting out ``queue_wait_s`` (60 s) for a wake that already passed."""
    m = api_market
    answer = m.client.post("/sales", json=sale(stocked(m, cast)), headers=m.auth(cast["vendor"][1]))
    assert answer.status_code == 201, answer.text
    intent_id = answer.json()["intent_id"]
    services = m.client.app.state.services
    assert services.settings.queue_wait_s > 30

    async def wait() -> dict:
        return await asyncio.wait_for(wait_final(services, [intent_id], unfinished=True), 30)

    final = asyncio.run(wait())  # TimeoutError here: the settled intent's wake was lost
    assert final[intent_id].status == "recorded"
    assert final[intent_id].result["sale_id"] == answer.json()["sale_id"]


def test_a_price_is_recorded_to_the_unit_up_to_63_bits_and_refused_beyond(api_market: Market, cast: dict) -> None:
    """The largest price the contract takes (2**63 - 1 minor units: the index holds prices in
    signed 64-bit integers) is queued, recorded on chain and indexed exactly; a larger one is a
    422 naming the field, before anything is queued."""
    m = api_market
    batch_id = stocked(m, cast)
    headers = {**m.auth(cast["vendor"][1]), **ASYNC}
    refused = m.client.post("/sales", json={**sale(batch_id), "price": 2**63}, headers=headers)
    assert refused.status_code == 422, refused.text
    assert "price" in refused.text
    bulk = m.client.post(
        "/sales/bulk", json={"sales": [sale(batch_id), {**sale(batch_id), "price": 2**100}]}, headers=headers
    )
    assert bulk.status_code == 422, bulk.text
    price = 2**63 - 1
    answer = m.client.post("/sales", json={**sale(batch_id), "price": price}, headers=m.auth(cast["vendor"][1]))
    assert answer.status_code == 201, answer.text
    receipt = rpc(m.rpc_url, "eth_getTransactionReceipt", [answer.json()["transaction_hash"]])
    events = event_codec(ContractAbi.load(), "abi").decode_logs(receipt["logs"])
    assert [e.args["price"] for e in events if e.name == "SaleRecorded"] == [price]
    m.sync()
    shown = m.client.get(urlsplit(answer.json()["qr_url"]).path, headers={"Accept": "application/json"})
    assert shown.status_code == 200, shown.text
    assert shown.json()["sale"]["price"] == price


def test_a_sale_accepted_but_not_indexed_answers_its_digital_link_as_being_recorded(
    api_market: Market, cast: dict
) -> None:
    m = api_market
    batch_id = stocked(m, cast)
    vendor = m.auth(cast["vendor"][1])
    queued = m.client.post("/sales", json=sale(batch_id), headers={**vendor, **ASYNC})
    assert queued.status_code == 202, queued.text
    serial = queued.json()["serial"]  # reserved on acceptance: the Digital Link is known now
    recorded = follow(m, queued.json()["location"], cast["vendor"][1])
    assert recorded["result"]["serial"] == serial
    body = m.client.post("/sales", json=sale(batch_id), headers=vendor).json()  # waits for its block
    path = urlsplit(body["qr_url"]).path
    assert path.endswith(f"/21/{serial + 1}")
    # Mined, not indexed yet (this market's indexer runs when the test says): being recorded.
    page = m.client.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 202
    assert page.headers["retry-after"] == "2" and page.headers["cache-control"] == "no-store"
    assert "Sale being recorded" in page.text
    as_json = m.client.get(path, headers={"Accept": "application/json"})
    assert (as_json.status_code, as_json.json()["status"]) == (202, "pending")
    # A serial never reserved is no sale at all.
    assert m.client.get(path.replace(f"/21/{serial + 1}", f"/21/{serial + 50}")).status_code == 404
    m.sync()
    assert m.client.get(path, headers={"Accept": "text/html"}).status_code == 200
