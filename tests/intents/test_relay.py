"""Relayed transactions (signed by a participant that keeps its key) on a real chain and both
databases: a relay stored but never sent (the process died in between) is sent after the
restart, the very same bytes, and recorded once; one whose nonce the signer used meanwhile is
refused naming the nonce the node expects."""

from __future__ import annotations

import time

from eth_account.signers.local import LocalAccount

from ledger.chain.freshledger import FreshLedgerContract, code, gtin_number
from ledger.hexes import to_hex
from ledger.intents.accept import accept
from ledger.intents.relay import KIND, decode
from ledger.store import intents as store
from ledger.store.intents import TxRecord
from tests.factories.chain import Chain
from tests.factories.queue import events_on_chain, submit_until_final
from tests.support.databases import Databases

GTIN = "06901234000016"


def _signed(ledger: FreshLedgerContract, account: LocalAccount, lot: str, nonce: int) -> bytes:
    data = ledger.abi.encode_call("registerHarvest", [gtin_number(GTIN), lot, 5, code("KGM", 3), 1, "geo:1,2", b""])
    tx = {
        "to": ledger.address,
        "data": data,
        "gas": 500_000,
        "nonce": nonce,
        "chainId": ledger.client.chain_id,
        "maxFeePerGas": 10**10,
        "maxPriorityFeePerGas": 10**6,
        "type": 2,
    }
    return bytes(account.sign_transaction(tx).raw_transaction)


def test_a_relay_stored_but_never_sent_is_sent_after_a_restart_and_recorded_once(
    chain: Chain, databases: Databases
) -> None:
    engine, market = databases.engine(), chain.market
    ledger, signer = market.ledger, market.supplier
    call = decode(_signed(ledger, signer, "RELAY-1", ledger.client.nonce_of(signer.address, "pending")))
    ((intent, _),) = accept(engine, call.sender, KIND, [(call.payload, None)])
    stored = TxRecord(call.tx_hash, call.sender, call.nonce, KIND, to_hex(call.raw), 1, "sent", time.time(), None)
    store.mark_sent(engine, [intent.id], stored)  # and the process died before sending
    assert not ledger.client.knows(call.tx_hash)

    done = submit_until_final(engine, ledger, [], [intent.id])  # a pool holding no key: the relayer

    relayed = done[intent.id]
    assert (relayed.status, relayed.tx_hash) == ("recorded", call.tx_hash)  # the very same bytes
    (event,) = [e for e in relayed.result["events"] if e["name"] == "HarvestRegistered"]
    assert relayed.result["batch_ids"] == [event["args"]["batchId"]]
    lots = [e.args["lot"] for e in events_on_chain(ledger, "HarvestRegistered")]
    assert lots.count("RELAY-1") == 1


def test_a_relay_whose_nonce_was_used_meanwhile_is_refused_naming_the_expected_nonce(
    chain: Chain, databases: Databases
) -> None:
    engine, market = databases.engine(), chain.market
    ledger, signer = market.ledger, market.supplier
    nonce = ledger.client.nonce_of(signer.address, "pending")
    late = decode(_signed(ledger, signer, "RELAY-LATE", nonce))
    ((intent, _),) = accept(engine, late.sender, KIND, [(late.payload, None)])
    first = ledger.client.send_raw(_signed(ledger, signer, "RELAY-FIRST", nonce))  # the signer's other wallet
    while ledger.client.receipt(first) is None:
        time.sleep(0.05)

    done = submit_until_final(engine, ledger, [], [intent.id])

    refused = done[intent.id]
    assert refused.status == "refused"
    assert refused.error["name"] == "NonceTooLow"
    assert refused.error["args"] == {"nonce": nonce, "expected": nonce + 1}
    assert [e.args["lot"] for e in events_on_chain(ledger, "HarvestRegistered")].count("RELAY-LATE") == 0
