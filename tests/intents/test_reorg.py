"""A reorganisation of the chain that takes back a mined sale, on a real anvil (``evm_revert``
to before the sale's block, then new blocks without it) and both databases: the submitter
sees the block's hash change, puts the sale back to sent, sends the very same signed bytes
again, and records it anew in its new block; the sender's next sale is not stuck behind the
nonce the dropped one left free, and each sale is on the chain once. The same after a
restart: the submitter looks at what it mined lately before it sends anything new."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from ledger.chain.freshledger import FreshLedgerContract, recall_args
from ledger.chain.node import rpc
from ledger.intents.pool import SubmitterPool
from ledger.intents.settings import QueueSettings
from ledger.store.intents import IntentRecord, TxRecord, get_intents, transactions_of
from tests.factories.chain import Chain
from tests.factories.market import at_stall
from tests.factories.queue import events_on_chain, queue, wait_final
from tests.support.databases import Databases

SETTINGS = QueueSettings(idle_exit_s=60.0, reorg_check_s=0.05)


def _pool(engine: Engine, chain: Chain) -> SubmitterPool:
    market = chain.market
    pool = SubmitterPool(
        engine,
        rpc_url=chain.node.rpc_url,
        contract=lambda client: FreshLedgerContract(client, market.ledger.address, market.ledger.abi),
        account_of={market.vendor.address: market.vendor}.get,
        settings=SETTINGS,
    )
    pool.start()
    return pool


def _sale(batch: str, price: int) -> dict:
    return {"batch_id": batch, "quantity": 1, "price": price, "currency": "CNY"}


def _wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.02)


def _take_back(chain: Chain, snapshot: str) -> None:
    """Replace the chain after `snapshot` with empty blocks, one more than it had (anvil drops
    the reverted blocks' transactions: they are in no block and no pool)."""
    url = chain.node.rpc_url
    head = int(str(rpc(url, "eth_blockNumber")), 16)
    assert rpc(url, "evm_revert", [snapshot]) is True
    while int(str(rpc(url, "eth_blockNumber")), 16) <= head:
        rpc(url, "evm_mine")


def _recorded_again(engine: Engine, intent: IntentRecord) -> bool:
    """Whether `intent` was reopened and recorded since (its outcome written anew)."""
    now = get_intents(engine, [intent.id])[intent.id]
    return now.status == "recorded" and now.updated_at > intent.updated_at


def _sell(engine: Engine, pool: SubmitterPool, chain: Chain, batch: str, price: int) -> IntentRecord:
    """Queue one sale of the market's vendor and wait until it is recorded."""
    vendor = chain.market.vendor
    (intent_id,) = queue(engine, vendor, "sale", [_sale(batch, price)])
    pool.wake(vendor.address)
    wait_final(engine, [intent_id], 30.0)
    intent = get_intents(engine, [intent_id])[intent_id]
    assert intent.status == "recorded", intent.error
    return intent


def _stocked(chain: Chain, databases: Databases) -> tuple[Engine, str, str]:
    """A database, a lot at the vendor's stall, and a snapshot of the chain taken after it
    (before any sale)."""
    batch = "0x" + at_stall(chain.market, quantity=100).hex()
    return databases.engine(), batch, str(rpc(chain.node.rpc_url, "evm_snapshot"))


def test_a_sale_a_reorganisation_drops_is_sent_again_and_recorded_once(chain: Chain, databases: Databases) -> None:
    market = chain.market
    engine, batch, snapshot = _stocked(chain, databases)
    pool = _pool(engine, chain)
    try:
        recorded = _sell(engine, pool, chain, batch, 101)
        old_block = market.ledger.client.receipt(recorded.tx_hash or "")["blockHash"]

        _take_back(chain, snapshot)
        _wait_for(lambda: _recorded_again(engine, recorded))

        second = _sell(engine, pool, chain, batch, 102).id
    finally:
        pool.stop()

    first = recorded.id
    again = get_intents(engine, [first, second])
    assert again[first].tx_hash == recorded.tx_hash  # the very same transaction, mined anew
    assert again[first].result["serial"] == recorded.result["serial"] == 1
    receipt = market.ledger.client.receipt(recorded.tx_hash or "")
    assert receipt["blockNumber"] == again[first].block_number and receipt["blockHash"] != old_block
    assert (again[second].status, again[second].result["serial"]) == ("recorded", 2)
    prices = Counter(e.args["price"] for e in events_on_chain(market.ledger, "SaleRecorded"))
    assert prices == {101: 1, 102: 1}
    assert {tx.status for tx in transactions_of(engine, market.vendor.address)} == {"mined"}


def test_after_a_restart_a_dropped_sale_is_sent_again_before_the_next_takes_its_nonce(
    chain: Chain, databases: Databases
) -> None:
    market = chain.market
    engine, batch, snapshot = _stocked(chain, databases)
    pool = _pool(engine, chain)
    try:
        recorded = _sell(engine, pool, chain, batch, 201)
    finally:
        pool.stop()
    _take_back(chain, snapshot)
    assert market.ledger.client.receipt(recorded.tx_hash or "") is None  # gone, and no submitter runs

    (second,) = queue(engine, market.vendor, "sale", [_sale(batch, 202)])  # written while no submitter ran
    pool = _pool(engine, chain)  # the restart
    try:
        pool.wake(market.vendor.address)
        _wait_for(lambda: _recorded_again(engine, recorded))
        wait_final(engine, [second], 30.0)
    finally:
        pool.stop()

    first = recorded.id
    again = get_intents(engine, [first, second])
    assert (again[first].tx_hash, again[first].result["serial"]) == (recorded.tx_hash, 1)
    assert (again[second].status, again[second].result["serial"]) == ("recorded", 2)  # not refused: serials in order
    first_tx, second_tx = (
        next(tx for tx in transactions_of(engine, market.vendor.address) if tx.tx_hash == again[i].tx_hash)
        for i in (first, second)
    )
    assert first_tx.nonce < second_tx.nonce  # the dropped one kept its nonce
    prices = Counter(e.args["price"] for e in events_on_chain(market.ledger, "SaleRecorded"))
    assert prices == {201: 1, 202: 1}


def _recall_ahead(chain: Chain, batch: str) -> None:
    """Send the regulator's recall of `batch` with a tip that puts it before the vendor's
    transactions in the next block (anvil orders a block by fees)."""
    market, url = chain.market, chain.node.rpc_url
    client, regulator = market.ledger.client, market.regulator
    base_fee = int(rpc(url, "eth_getBlockByNumber", ["latest", False])["baseFeePerGas"], 16)
    tip = 100 * 10**9
    signed = regulator.sign_transaction(
        {
            "to": market.ledger.address,
            "data": market.ledger.abi.encode_call("recall", recall_args([bytes.fromhex(batch[2:])], "reorg test")),
            "value": 0,
            "gas": 500_000,
            "nonce": client.nonce_of(regulator.address, "pending"),
            "chainId": client.chain_id,
            "maxFeePerGas": 2 * base_fee + tip,
            "maxPriorityFeePerGas": tip,
            "type": 2,
        }
    )
    client.send_raw(bytes(signed.raw_transaction))


def _transaction_of(chain: Chain, sender: str, nonce: int) -> dict:
    """The mined transaction of `sender` with `nonce`, found block by block from the head."""
    url = chain.node.rpc_url
    for number in range(int(str(rpc(url, "eth_blockNumber")), 16), -1, -1):
        for tx in rpc(url, "eth_getBlockByNumber", [hex(number), True])["transactions"]:
            if tx["from"].lower() == sender.lower() and int(tx["nonce"], 16) == nonce:
                return tx
    raise AssertionError(f"no transaction of {sender} with nonce {nonce}")


def _reverted_by_a_recall(
    engine: Engine, pool: SubmitterPool, chain: Chain, batch: str, prices: list[int]
) -> tuple[list[int], TxRecord]:
    """Queue sales of `prices` as one transaction and mine a recall of their lot ahead of it:
    the transaction reverts. Returns the sales' ids (final) and the reverted transaction."""
    url, vendor = chain.node.rpc_url, chain.market.vendor
    rpc(url, "evm_setAutomine", [False])
    try:
        ids = queue(engine, vendor, "sale", [_sale(batch, price) for price in prices])
        pool.wake(vendor.address)
        _wait_for(lambda: {i.status for i in get_intents(engine, ids).values()} == {"sent"})
        _recall_ahead(chain, batch)
        rpc(url, "evm_mine")
    finally:
        rpc(url, "evm_setAutomine", [True])
    wait_final(engine, ids, 30.0)
    assert {i.status for i in get_intents(engine, ids).values()} == {"refused"}
    (reverted,) = [tx for tx in transactions_of(engine, vendor.address) if tx.status == "reverted"]
    assert reverted.intent_count == len(prices)
    return ids, reverted


@pytest.mark.parametrize("restart", [False, True], ids=["running", "restarted"])
def test_a_reverted_group_a_reorganisation_drops_has_its_nonce_filled_not_sent_again(
    chain: Chain, databases: Databases, restart: bool
) -> None:
    """A group of two sales reverts in its block (a recall mined ahead of it); its sales go
    back to the queue and are refused one by one. A reorganisation then drops the group's
    block: its bytes are not sent again (its sales were handed back), its nonce is filled with
    a transfer of nothing, and the vendor's next sale is mined instead of waiting behind the
    free nonce; by the running submitter, or by one started after the reorganisation."""
    market, vendor = chain.market, chain.market.vendor
    engine, batch, snapshot = _stocked(chain, databases)
    pool = _pool(engine, chain)
    try:
        _ids, reverted = _reverted_by_a_recall(engine, pool, chain, batch, [301, 302])
        if restart:
            pool.stop()
        _take_back(chain, snapshot)  # the recall and the group's block with it
        if restart:
            pool = _pool(engine, chain)  # it starts with the next sale, and looks back first
        after = _sell(engine, pool, chain, batch, 303)
    finally:
        pool.stop()

    filler = _transaction_of(chain, vendor.address, reverted.nonce)
    assert filler["hash"] != reverted.tx_hash
    assert (filler["to"].lower(), int(filler["value"], 16), filler["input"]) == (vendor.address.lower(), 0, "0x")
    assert market.ledger.client.receipt(reverted.tx_hash) is None  # never sent again
    prices = Counter(e.args["price"] for e in events_on_chain(market.ledger, "SaleRecorded"))
    assert prices == {303: 1}
    assert after.status == "recorded"


def test_a_lone_sale_that_reverted_is_sent_again_when_a_reorganisation_drops_it(
    chain: Chain, databases: Databases
) -> None:
    """A lone sale's transaction reverts (a recall mined ahead of it) and the sale is refused
    by it alone; a reorganisation drops both: the very same transaction is sent again, and on
    the new chain, without the recall, it records the sale under its serial."""
    market = chain.market
    engine, batch, snapshot = _stocked(chain, databases)
    pool = _pool(engine, chain)
    try:
        (sale,), reverted = _reverted_by_a_recall(engine, pool, chain, batch, [401])
        _take_back(chain, snapshot)
        _wait_for(lambda: get_intents(engine, [sale])[sale].status == "recorded")
        after = _sell(engine, pool, chain, batch, 402)
    finally:
        pool.stop()

    again = get_intents(engine, [sale])[sale]
    assert (again.tx_hash, again.result["serial"]) == (reverted.tx_hash, 1)
    assert after.result["serial"] == 2
    prices = Counter(e.args["price"] for e in events_on_chain(market.ledger, "SaleRecorded"))
    assert prices == {401: 1, 402: 1}
