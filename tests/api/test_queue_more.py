"""The market authority's writes, the lot recall and relayed transactions go through the write
queue like every other write: each answer names its intents, ``Prefer: respond-async``
answers 202, an ``Idempotency-Key`` retry answers the first write, and a relayed
transaction's nonce problems are answered 409 before anything is stored."""

from __future__ import annotations

from eth_account import Account

from ledger.chain.accounts import dev_account
from ledger.chain.freshledger import code, gtin_number
from ledger.store.intents import intents_of
from tests.api.conftest import Market
from tests.api.test_queue import ASYNC, follow
from tests.api.test_writes import GTIN, ago, block, harvest, lot
from tests.factories.api_writes import sign_call


def _services(m: Market):
    return m.client.app.state.services


def test_admission_is_queued_with_gas_money_and_a_retry_answers_the_same_participant(api_market: Market) -> None:
    m = api_market
    body = {"role": "SUPPLIER", "name": "Queue Farm", "identifier": "6901234000061"}
    headers = {**m.auth(m.authority_key), "Idempotency-Key": "admit-queue-farm"}
    first = m.client.post("/participants", json=body, headers=headers)
    assert first.status_code == 201, first.text
    address = first.json()["address"]
    intent = m.client.get(f"/intents/{first.json()['intent_id']}", headers=m.auth(m.authority_key)).json()
    assert (intent["kind"], intent["status"]) == ("participant", "recorded")
    kinds = [
        i.kind for i in intents_of(_services(m).engine) if i.payload.get("to", i.payload.get("address")) == address
    ]
    assert sorted(kinds) == ["participant", "payment"]  # the gas money went through the queue too
    assert _services(m).ledger.client.balance(address) >= _services(m).settings.participant_funding_wei

    before = block(m)
    again = m.client.post("/participants", json=body, headers=headers)
    assert again.status_code == 201, again.text
    assert (again.json()["address"], again.json()["intent_id"]) == (address, first.json()["intent_id"])
    assert again.json()["api_key"] != first.json()["api_key"]  # the lost answer's key, issued anew
    assert block(m) == before  # nothing registered or paid twice
    # the new key works
    assert harvest(m, again.json()["api_key"]).startswith("0x")


def test_suspension_answers_202_with_respond_async(api_market: Market) -> None:
    m = api_market
    address, _key = m.admit("VENDOR", "Async Stall", "JY33010600019999")
    answer = m.client.post(
        f"/participants/{address}/suspend",
        json={"reason": "licence expired"},
        headers={**m.auth(m.authority_key), **ASYNC},
    )
    assert answer.status_code == 202, answer.text
    done = follow(m, answer.headers["location"], m.authority_key)
    assert done["status"] == "recorded"
    assert [e["name"] for e in done["events"]] == ["ParticipantSuspended"]


def test_a_lot_recall_is_queued_and_answers_its_intents(api_market: Market, cast: dict) -> None:
    m = api_market
    the_lot = lot()
    harvested = {"gtin": GTIN, "lot": the_lot, "quantity": 9, "harvested_at": ago(2), "origin": "geo:1,2"}
    answer = m.client.post("/harvests", json=harvested, headers=m.auth(cast["farm"][1]))
    assert answer.status_code == 201, answer.text
    batch_id = answer.json()["batch_ids"][0]
    m.sync()
    body = {"gtin": GTIN, "lot": the_lot, "reason": "Listeria in the retained sample"}
    headers = {**m.auth(cast["regulator"][1]), "Idempotency-Key": f"recall-{the_lot}"}
    answer = m.client.post("/recalls/lots", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    recalled = answer.json()
    assert recalled["recalled_batch_ids"] == [batch_id]
    (intent_id,) = recalled["intent_ids"]
    (tx,) = recalled["transactions"]
    assert tx["gas_used"] > 0 and tx["gas_limit"] >= tx["gas_used"]
    intent = m.client.get(f"/intents/{intent_id}", headers=m.auth(cast["regulator"][1])).json()
    assert (intent["kind"], intent["transaction_hash"]) == ("recall", tx["transaction_hash"])

    before = block(m)
    again = m.client.post("/recalls/lots", json=body, headers=headers)
    assert again.status_code == 201, again.text
    assert again.json()["intent_ids"] == [intent_id]
    assert again.json()["recalled_batch_ids"] == [batch_id]
    assert block(m) == before


def _own_key_supplier(m: Market, identifier: str) -> tuple[Account, str]:
    wallet = Account.create()
    admitted = m.client.post(
        "/participants",
        json={"role": "SUPPLIER", "name": "Own Key", "identifier": identifier, "address": wallet.address},
        headers=m.auth(m.authority_key),
    )
    assert admitted.status_code == 201, admitted.text
    ledger = _services(m).ledger
    authority = _services(m).keys.account(dev_account(0).address)
    ledger.client.fund(authority, wallet.address, 10**17, abi=ledger.abi)
    return wallet, admitted.json()["api_key"]


def _harvest_call(m: Market, wallet: Account) -> bytes:
    args = [gtin_number(GTIN), lot(), 5, code("KGM", 3), 1, "geo:1,2", b""]
    return sign_call(m, wallet, "registerHarvest", args)


def test_a_relayed_transaction_is_an_intent_and_the_same_bytes_answer_the_first(api_market: Market) -> None:
    m = api_market
    wallet, key = _own_key_supplier(m, "6901234000078")
    raw = _harvest_call(m, wallet)
    relayed = m.client.post("/transactions", json={"raw_transaction": "0x" + raw.hex()}, headers=m.auth(key))
    assert relayed.status_code == 200, relayed.text
    intent = m.client.get(f"/intents/{relayed.json()['intent_id']}", headers=m.auth(key)).json()
    assert (intent["kind"], intent["status"]) == ("relay", "recorded")
    assert intent["transaction_hash"] == relayed.json()["transaction_hash"]
    assert relayed.json()["batch_ids"] == [relayed.json()["events"][0]["args"]["batchId"]]

    before = block(m)
    again = m.client.post("/transactions", json={"raw_transaction": "0x" + raw.hex()}, headers=m.auth(key))
    assert again.status_code == 200, again.text
    assert again.json()["intent_id"] == relayed.json()["intent_id"]
    assert block(m) == before

    # Signed again with the nonce just used: 409 with the nonce to use, nothing stored.
    ledger = _services(m).ledger
    tx = {
        "to": ledger.address,
        "data": ledger.abi.encode_call("registerHarvest", [gtin_number(GTIN), lot(), 5, code("KGM", 3), 1, "g", b""]),
        "gas": 500_000,
        "nonce": 0,
        "chainId": ledger.client.chain_id,
        "maxFeePerGas": 10**10,
        "maxPriorityFeePerGas": 10**6,
        "type": 2,
    }
    stale = bytes(wallet.sign_transaction(tx).raw_transaction)
    count = len(intents_of(_services(m).engine))
    refused = m.client.post("/transactions", json={"raw_transaction": "0x" + stale.hex()}, headers=m.auth(key))
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"] == (
        f"nonce 0 is already used: the node expects nonce 1 from {wallet.address}; sign the transaction again with it"
    )
    gap = bytes(wallet.sign_transaction({**tx, "nonce": 5}).raw_transaction)
    skipped = m.client.post("/transactions", json={"raw_transaction": "0x" + gap.hex()}, headers=m.auth(key))
    assert skipped.status_code == 409, skipped.text
    assert "leaves a gap: the node expects nonce 1" in skipped.json()["detail"]
    assert len(intents_of(_services(m).engine)) == count


def test_a_participant_whose_key_the_market_holds_relays_in_its_submitters_turn(api_market: Market) -> None:
    """Its nonces are its submitter's: the relayed bytes go out as that nonce's transaction."""
    m = api_market
    address, key = m.admit("SUPPLIER", "Managed Farm", "6901234000085")
    raw = _harvest_call(m, _services(m).keys.account(address))
    answer = m.client.post("/transactions", json={"raw_transaction": "0x" + raw.hex()}, headers=m.auth(key))
    assert answer.status_code == 200, answer.text
    intent = m.client.get(f"/intents/{answer.json()['intent_id']}", headers=m.auth(key)).json()
    assert (intent["kind"], intent["status"]) == ("relay", "recorded")
    assert [e["name"] for e in answer.json()["events"]] == ["HarvestRegistered"]
    # and the managed writes after it take the next nonces
    assert harvest(m, key).startswith("0x")
