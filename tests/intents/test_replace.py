"""A stuck transaction is replaced on a real anvil with mining under the test's control: the
base fee is pushed above the transaction's fee cap so it sits, the submitter signs a
replacement (same nonce, tip and fee cap both raised by at least 10%), and the intent is
recorded exactly once by whichever of the two the node mines: the replacement (the usual
case), or the replaced one (after a restart, through reconciling)."""

from __future__ import annotations

import time

from sqlalchemy import Engine

from ledger.chain.freshledger import FreshLedgerContract
from ledger.chain.node import rpc
from ledger.intents.pool import SubmitterPool
from ledger.intents.replace import bumped_fees, fees_of
from ledger.intents.settings import QueueSettings
from ledger.store.intents import TxRecord, get_intents, transactions_of
from tests.factories.chain import Chain
from tests.factories.market import harvest
from tests.factories.queue import events_on_chain, queue, wait_final
from tests.support.databases import Databases

SETTINGS = QueueSettings(idle_exit_s=60.0, bump_after_blocks=2, bump_check_s=0.05)


def _pool(engine: Engine, ledger: FreshLedgerContract, chain: Chain) -> SubmitterPool:
    regulator = chain.market.regulator
    pool = SubmitterPool(
        engine,
        rpc_url=ledger.client.rpc_url,
        contract=lambda client: FreshLedgerContract(client, ledger.address, ledger.abi),
        account_of={regulator.address: regulator}.get,
        settings=SETTINGS,
    )
    pool.start()
    return pool


def _rows(engine: Engine, count: int, timeout: float = 30.0) -> list[TxRecord]:
    deadline = time.monotonic() + timeout
    while len(rows := transactions_of(engine)) < count:
        assert time.monotonic() < deadline, f"{count} transactions expected, {len(rows)} stored"
        time.sleep(0.05)
    return sorted(rows, key=lambda tx: tx.created_at)


def _stuck(chain: Chain, engine: Engine) -> tuple[int, TxRecord, TxRecord]:
    """A recall intent whose transaction sits under a base fee above its cap until replaced."""
    url, market = chain.node.rpc_url, chain.market
    batch = "0x" + harvest(market).hex()
    rpc(url, "evm_setAutomine", [False])
    (intent_id,) = queue(engine, market.regulator, "recall", [{"batch_ids": [batch], "reason": "stuck"}])
    pool = _pool(engine, market.ledger, chain)
    try:
        (first,) = _rows(engine, 1)
        cap, _tip = fees_of(first.raw)
        rpc(url, "anvil_setNextBlockBaseFeePerGas", [hex(cap * 10)])
        deadline = time.monotonic() + 30
        while len(transactions_of(engine)) < 2:  # a block at a time: none after the replacement
            assert time.monotonic() < deadline, "no replacement"
            rpc(url, "evm_mine")
            time.sleep(0.4)
        old, new = _rows(engine, 2)
    finally:
        pool.stop()
    assert market.ledger.client.receipt(first.tx_hash) is None  # it sat: its cap is under the base fee
    return intent_id, old, new


def test_a_stuck_transaction_is_replaced_with_higher_fees_and_the_replacement_is_recorded(
    chain: Chain, databases: Databases
) -> None:
    engine, url, ledger = databases.engine(), chain.node.rpc_url, chain.market.ledger
    intent_id, old, new = _stuck(chain, engine)

    assert (new.nonce, new.sender, new.kind) == (old.nonce, old.sender, old.kind)
    (old_cap, old_tip), (new_cap, new_tip) = fees_of(old.raw), fees_of(new.raw)
    assert new_tip >= old_tip * 1.1 and new_cap >= old_cap * 1.1  # what an EIP-1559 node requires
    assert {tx.tx_hash: tx.status for tx in transactions_of(engine)} == {old.tx_hash: "bumped", new.tx_hash: "sent"}
    assert get_intents(engine, [intent_id])[intent_id].tx_hash == new.tx_hash

    pool = _pool(engine, ledger, chain)
    try:
        rpc(url, "evm_mine")
        wait_final(engine, [intent_id], timeout=30)
    finally:
        pool.stop()
    intent = get_intents(engine, [intent_id])[intent_id]
    assert (intent.status, intent.tx_hash) == ("recorded", new.tx_hash)
    assert ledger.client.receipt(old.tx_hash) is None
    assert len(events_on_chain(ledger, "RecallIssued")) == 1
    assert {tx.tx_hash: tx.status for tx in transactions_of(engine)} == {old.tx_hash: "bumped", new.tx_hash: "mined"}


def test_when_the_replaced_transaction_is_mined_instead_it_settles_the_intent_after_a_restart(
    chain: Chain, databases: Databases
) -> None:
    engine, url, ledger = databases.engine(), chain.node.rpc_url, chain.market.ledger
    intent_id, old, new = _stuck(chain, engine)
    # Another node mined the first one: here, the replacement leaves the pool and the first
    # comes back under a low base fee.
    rpc(url, "anvil_dropTransaction", [new.tx_hash])
    rpc(url, "anvil_setNextBlockBaseFeePerGas", [hex(1)])
    rpc(url, "eth_sendRawTransaction", [old.raw])
    rpc(url, "evm_mine")
    assert ledger.client.receipt(old.tx_hash)["status"] == 1

    pool = _pool(engine, ledger, chain)  # the restart: it reconciles with the node
    try:
        wait_final(engine, [intent_id], timeout=30)
    finally:
        pool.stop()
    intent = get_intents(engine, [intent_id])[intent_id]
    assert (intent.status, intent.tx_hash) == ("recorded", old.tx_hash)
    assert [e["name"] for e in intent.result["events"]] == ["RecallIssued"]
    assert len(events_on_chain(ledger, "RecallIssued")) == 1
    assert {tx.tx_hash: tx.status for tx in transactions_of(engine)} == {old.tx_hash: "mined", new.tx_hash: "replaced"}


def test_replacement_fees_rise_by_the_percentage_and_cover_the_base_fee() -> None:
    assert bumped_fees(100, 10, 1, 10) == (110, 11)
    assert bumped_fees(100, 1, 1, 10) == (110, 2)  # the tip rises by at least one wei
    assert bumped_fees(100, 10, 500, 12) == (1012, 12)  # twice the base fee plus the tip


def test_later_transactions_under_the_replacements_fee_cap_are_replaced_with_the_oldest(
    chain: Chain, databases: Databases
) -> None:
    engine, url, market = databases.engine(), chain.node.rpc_url, chain.market
    batches = ["0x" + harvest(market).hex() for _ in range(2)]
    rpc(url, "evm_setAutomine", [False])
    # Two reasons: two transactions (recalls pack only under one reason).
    ids = queue(
        engine, market.regulator, "recall", [{"batch_ids": [b], "reason": f"r{n}"} for n, b in enumerate(batches)]
    )
    pool = _pool(engine, market.ledger, chain)
    try:
        first = _rows(engine, 2)
        rpc(url, "anvil_setNextBlockBaseFeePerGas", [hex(fees_of(first[0].raw)[0] * 10)])
        deadline = time.monotonic() + 30
        while len(transactions_of(engine)) < 4:
            assert time.monotonic() < deadline, "no replacements"
            rpc(url, "evm_mine")
            time.sleep(0.4)
        rpc(url, "evm_mine")
        wait_final(engine, ids, timeout=30)
    finally:
        pool.stop()
    txs = transactions_of(engine)
    assert sorted(tx.status for tx in txs) == ["bumped", "bumped", "mined", "mined"]
    assert sorted(tx.nonce for tx in txs if tx.status == "mined") == sorted(tx.nonce for tx in first)
    assert {i.status for i in get_intents(engine, ids).values()} == {"recorded"}
    assert len(events_on_chain(market.ledger, "RecallIssued")) == 2
