"""Every write endpoint: success, validation failure, permission failure; end to end from
harvest to a sale whose QR link leads to its chain of custody."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from ledger.chain.node import rpc
from tests.api.conftest import Market

GTIN = "06901234000016"
_lots = itertools.count(1)


def lot() -> str:
    return f"API-{next(_lots):04d}"


def ago(hours: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours)).isoformat()


def harvest(m: Market, key: str, quantity: int = 100, gtin: str = GTIN) -> str:
    body = {
        "gtin": gtin,
        "lot": lot(),
        "quantity": quantity,
        "unit": "KGM",
        "harvested_at": ago(5),
        "origin": "geo:30.2336,119.7248",
    }
    answer = m.client.post("/harvests", json=body, headers=m.auth(key))
    assert answer.status_code == 201, answer.text
    return answer.json()["batch_ids"][0]


def deliver(m: Market, batch_id: str, sender: tuple[str, str], recipient: tuple[str, str]) -> None:
    shipped = m.client.post(f"/batches/{batch_id}/handoff", json={"to": recipient[0]}, headers=m.auth(sender[1]))
    assert shipped.status_code == 200, shipped.text
    accepted = m.client.post(f"/batches/{batch_id}/accept", headers=m.auth(recipient[1]))
    assert accepted.status_code == 200, accepted.text


def block(m: Market) -> int:
    return int(str(rpc(m.rpc_url, "eth_blockNumber")), 16)


def test_writes_need_an_api_key(api_market: Market) -> None:
    assert api_market.client.post("/harvests", json={}).status_code == 401
    answer = api_market.client.post("/harvests", json={}, headers=api_market.auth("fl_0000_wrong"))
    assert answer.status_code == 401
    assert "API key" in answer.json()["detail"]


def test_wrong_role_is_refused_before_any_transaction(api_market: Market, cast: dict) -> None:
    before = block(api_market)
    body = {"gtin": GTIN, "lot": lot(), "quantity": 5, "harvested_at": ago(1), "origin": "geo:1,2"}
    answer = api_market.client.post("/harvests", json=body, headers=api_market.auth(cast["vendor"][1]))
    assert answer.status_code == 403
    assert "supplier" in answer.json()["detail"]
    sale = {"batch_id": "0x" + "00" * 32, "quantity": 1, "price": 100}
    assert api_market.client.post("/sales", json=sale, headers=api_market.auth(cast["farm"][1])).status_code == 403
    assert (
        api_market.client.post(
            "/participants",
            json={"role": "LAB", "name": "x", "identifier": "y"},
            headers=api_market.auth(cast["regulator"][1]),
        ).status_code
        == 403
    )
    assert block(api_market) == before


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("gtin", "06901234000017", "not a valid GTIN"),
        ("quantity", 0, "greater than 0"),
        ("harvested_at", "2999-01-01T00:00:00+00:00", "future"),
        ("lot", "L" * 21, "pattern"),
        ("unit", "kg", "pattern"),
        ("origin", "", "at least 1"),
    ],
)
def test_harvest_validation(api_market: Market, cast: dict, field: str, value: object, fragment: str) -> None:
    body = {"gtin": GTIN, "lot": lot(), "quantity": 5, "unit": "KGM", "harvested_at": ago(1), "origin": "geo:1,2"}
    body[field] = value
    answer = api_market.client.post("/harvests", json=body, headers=api_market.auth(cast["farm"][1]))
    assert answer.status_code == 422
    assert fragment in answer.text
    assert field in answer.text


def test_import_validation_and_success(api_market: Market, cast: dict) -> None:
    body = {
        "gtin": "08850000000010",
        "lot": lot(),
        "quantity": 300,
        "importer": cast["wholesaler"][0],
        "origin_country": "XX",
        "declaration_number": "310120261000123456",
        "cleared_at": ago(2),
        "entry_port": "CNNGB",
    }
    refused = api_market.client.post("/imports", json=body, headers=api_market.auth(cast["customs"][1]))
    assert refused.status_code == 422
    assert "ISO 3166" in refused.text
    body["origin_country"] = "TH"
    answer = api_market.client.post("/imports", json=body, headers=api_market.auth(cast["customs"][1]))
    assert answer.status_code == 201, answer.text
    event = answer.json()["events"][0]
    assert event["name"] == "ImportRegistered"
    assert event["args"]["importer"] == cast["wholesaler"][0]
    # an import to a non-supplier is refused by the contract, with its reason
    body.update(lot=lot(), importer=cast["vendor"][0])
    answer = api_market.client.post("/imports", json=body, headers=api_market.auth(cast["customs"][1]))
    assert answer.status_code == 422
    assert answer.json()["error"] == "InvalidImporter"
    assert "not an active supplier" in answer.json()["message"]


def test_harvest_to_sale_and_back(api_market: Market, cast: dict) -> None:
    m = api_market
    parent = harvest(m, cast["farm"][1], quantity=200)
    deliver(m, parent, cast["farm"], cast["wholesaler"])
    split = m.client.post(
        f"/batches/{parent}/split",
        json={"parts": [{"lot": lot(), "quantity": 20}]},
        headers=m.auth(cast["wholesaler"][1]),
    )
    assert split.status_code == 201, split.text
    (child,) = split.json()["batch_ids"]
    tested = m.client.post(
        "/inspections",
        headers=m.auth(cast["lab"][1]),
        json={
            "batch_id": child,
            "passed": True,
            "residues": [{"substance": "chlorpyrifos", "measured": 3, "limit": 50}],
        },
    )
    assert tested.status_code == 201, tested.text
    deliver(m, child, cast["wholesaler"], cast["vendor"])
    m.sync()  # the sale's Digital Link needs the lot, which the indexer knows
    sold = m.client.post(
        "/sales",
        json={"batch_id": child, "quantity": 2, "price": 1200, "currency": "CNY"},
        headers=m.auth(cast["vendor"][1]),
    )
    assert sold.status_code == 201, sold.text
    answer = sold.json()
    assert answer["qr_url"].startswith(f"https://market.example/01/{GTIN}/10/API-")
    assert answer["qr_url"].endswith(f"/21/1?receipt={answer['receipt']}")  # the receipt's rating proof
    assert answer["block_number"] > 0 and answer["transaction_hash"].startswith("0x")

    m.sync()
    chain = m.client.get(f"/sales/{answer['sale_id']}").json()
    assert [e["kind"] for e in chain["events"]] == [
        "harvested",
        "shipped",
        "received",
        "split",
        "inspected",
        "shipped",
        "received",
        "sold",
    ]
    assert chain["sale"]["vendor"]["name"] == "Stall A12 (王丽)"
    assert chain["events"][4]["details"]["residues"][0]["exceeded"] is False
    assert chain["as_of_block"] >= answer["block_number"]
    history = m.client.get(f"/batches/{child}/history").json()
    assert history["origins"][0]["party"]["name"] == "Green Valley Farm"
    search = {"gtin": GTIN, "status": "active", "per_page": 100}
    assert m.client.get("/batches", params=search).status_code == 401  # a participant's read
    found = m.client.get("/batches", params=search, headers=m.auth(cast["vendor"][1])).json()
    assert child in {b["batch_id"] for b in found["data"]}
    stall = m.client.get(f"/stalls/{cast['vendor'][0]}").json()
    assert stall["recent_sales"][0]["price"] == 1200


def test_failed_inspection_blocks_the_sale_with_409(api_market: Market, cast: dict) -> None:
    m = api_market
    batch_id = harvest(m, cast["farm"][1])
    deliver(m, batch_id, cast["farm"], cast["vendor"])
    failed = m.client.post(
        "/inspections",
        headers=m.auth(cast["lab"][1]),
        json={
            "batch_id": batch_id,
            "passed": False,
            "residues": [{"substance": "carbofuran", "measured": 37, "limit": 20}],
        },
    )
    assert failed.status_code == 201
    m.sync()
    before = block(m)
    refused = m.client.post(
        "/sales", json={"batch_id": batch_id, "quantity": 1, "price": 100}, headers=m.auth(cast["vendor"][1])
    )
    assert refused.status_code == 409
    body = refused.json()
    assert body["error"] == "BatchQuarantined"
    assert "failed its residue test on 20" in body["message"]
    assert "only a regulator can release it" in body["message"]
    assert block(m) == before  # nothing was sent


def test_trace_is_for_regulators(api_market: Market, cast: dict) -> None:
    m = api_market
    batch_id = harvest(m, cast["farm"][1])
    m.sync()
    assert m.client.get(f"/batches/{batch_id}/trace").status_code == 401
    assert m.client.get(f"/batches/{batch_id}/trace", headers=m.auth(cast["vendor"][1])).status_code == 403
    traced = m.client.get(f"/batches/{batch_id}/trace", headers=m.auth(cast["regulator"][1]))
    assert traced.status_code == 200
    assert traced.json()["batch"]["batch_id"] == batch_id


def test_recall_and_release(api_market: Market, cast: dict) -> None:
    m = api_market
    batch_id = harvest(m, cast["farm"][1])
    recalled = m.client.post(
        "/recalls",
        json={"batch_ids": [batch_id], "reason": "E. coli at the packing shed"},
        headers=m.auth(cast["regulator"][1]),
    )
    assert recalled.status_code == 201
    again = m.client.post(
        f"/batches/{batch_id}/handoff", json={"to": cast["wholesaler"][0]}, headers=m.auth(cast["farm"][1])
    )
    assert again.status_code == 409
    assert again.json()["error"] == "BatchRecalled"
    release = m.client.post(f"/batches/{batch_id}/release", json={"reason": "x"}, headers=m.auth(cast["regulator"][1]))
    assert release.status_code == 409
    assert release.json()["error"] == "BatchNotQuarantined"


def test_self_signed_transaction(api_market: Market, cast: dict) -> None:
    """A participant may sign with its own key; a forged one still reverts on-chain."""
    from ledger.chain.freshledger import code

    services = api_market.client.app.state.services
    ledger = services.ledger
    farm = services.keys.account(cast["farm"][0])
    vendor = services.keys.account(cast["vendor"][0])

    def signed(account, lot_code: str) -> str:
        data = ledger.abi.encode_call("registerHarvest", [int(GTIN), lot_code, 5, code("KGM", 3), 1, "geo:1,2", b""])
        client = ledger.client
        nonce = client.w3.eth.get_transaction_count(account.address)
        tx = {
            "to": ledger.address,
            "data": data,
            "gas": 200_000,
            "nonce": nonce,
            "chainId": client.chain_id,
            "maxFeePerGas": 10**10,
            "maxPriorityFeePerGas": 10**6,
            "type": 2,
        }
        return "0x" + account.sign_transaction(tx).raw_transaction.hex()

    ok = api_market.client.post(
        "/transactions", json={"raw_transaction": signed(farm, lot())}, headers=api_market.auth(cast["farm"][1])
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["events"][0]["name"] == "HarvestRegistered"
    forged = api_market.client.post(
        "/transactions", json={"raw_transaction": signed(vendor, lot())}, headers=api_market.auth(cast["vendor"][1])
    )
    assert forged.status_code == 403
    assert forged.json()["error"] == "AccessControlUnauthorizedAccount"
    someone_else = api_market.client.post(
        "/transactions", json={"raw_transaction": signed(farm, lot())}, headers=api_market.auth(cast["vendor"][1])
    )
    assert someone_else.status_code == 403


def test_openapi_and_docs(api_market: Market) -> None:
    schema = api_market.client.get("/openapi.json").json()
    assert {"/harvests", "/imports", "/sales", "/recalls", "/merges", "/transactions"} <= set(schema["paths"])
    assert api_market.client.get("/docs").status_code == 200
