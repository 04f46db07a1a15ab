"""The submitter on a real chain and both databases: group commit packs the intents that
arrived together into one transaction (and those arriving while one is in flight into the
next, within the group window), a guilty intent is found by halving the group and
refused with the contract's error while the rest go through, and intents of one sender that
depend on each other go out in order."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from ledger.chain.abi import ContractAbi
from ledger.chain.freshledger import FreshLedgerContract
from ledger.chain.node import rpc
from ledger.intents.accept import accept
from ledger.intents.lock import try_lock
from ledger.intents.pool import SubmitterPool
from ledger.intents.settings import QueueSettings
from ledger.intents.submitter import Submitter
from ledger.store.intents import IntentRecord, get_intents, intents_of, transaction_intents, transactions_of
from tests.factories.chain import Chain
from tests.factories.market import at_stall, harvest
from tests.factories.queue import events_on_chain, queue, submit_until_final, wait_final
from tests.support.databases import Databases

REASON = "Listeria at the packing house"


def _hex(batch: bytes) -> str:
    return "0x" + batch.hex()


def test_group_commit_packs_the_intents_that_arrived_together(chain: Chain, databases: Databases) -> None:
    engine, market = databases.engine(), chain.market
    batches = [_hex(harvest(market)) for _ in range(7)]
    # Five recalls of one regulator with one reason, one of them naming two batches.
    payloads = [{"batch_ids": [b], "reason": REASON} for b in batches[:4]]
    payloads.append({"batch_ids": batches[4:6], "reason": REASON})
    ids = queue(engine, market.regulator, "recall", payloads)

    done = submit_until_final(engine, market.ledger, [market.regulator], ids)

    assert {i.status for i in done.values()} == {"recorded"}
    (tx,) = transactions_of(engine)
    assert tx.intent_count == 5 and tx.status == "mined"
    assert {i.tx_hash for i in done.values()} == {tx.tx_hash}
    for intent_id, payload in zip(ids, payloads, strict=True):
        intent = done[intent_id]
        assert intent.result["batch_ids"] == payload["batch_ids"]
        assert [e["args"]["batchId"] for e in intent.result["events"]] == payload["batch_ids"]
        assert {e["name"] for e in intent.result["events"]} == {"RecallIssued"}
    recalled = [e.args["batchId"] for e in events_on_chain(market.ledger, "RecallIssued")]
    assert sorted(_hex(b) for b in recalled) == sorted(batches[:6])


def test_a_guilty_intent_is_found_by_halving_and_refused_alone(chain: Chain, databases: Databases) -> None:
    engine, market = databases.engine(), chain.market
    batches = [_hex(harvest(market)) for _ in range(6)]
    batches[2] = "0x" + "ab" * 32  # no such batch
    ids = queue(engine, market.regulator, "recall", [{"batch_ids": [b], "reason": REASON} for b in batches])

    done = submit_until_final(engine, market.ledger, [market.regulator], ids)

    guilty = done[ids[2]]
    assert guilty.status == "refused"
    assert guilty.error["name"] == "BatchNotFound"
    assert guilty.error["args"] == {"batchId": batches[2]}
    assert guilty.tx_hash is None  # refused at the estimate: never in a transaction
    assert all(done[i].status == "recorded" for i in ids if i != ids[2])
    assert max(tx.intent_count for tx in transactions_of(engine)) > 1  # the innocent still packed
    recalled = [_hex(e.args["batchId"]) for e in events_on_chain(market.ledger, "RecallIssued")]
    assert sorted(recalled) == sorted(b for b in batches if b != batches[2])  # each exactly once


def test_a_packed_recall_skipping_a_batch_shares_its_events_by_batch(chain: Chain, databases: Databases) -> None:
    """The contract skips a batch already recalled (no event): each intent still gets the
    events of its own batches."""
    engine, market = databases.engine(), chain.market
    batches = [_hex(harvest(market)) for _ in range(3)]
    payloads = [
        {"batch_ids": [batches[0], batches[1]], "reason": REASON},
        {"batch_ids": [batches[1], batches[2]], "reason": REASON},
    ]
    ids = queue(engine, market.regulator, "recall", payloads)

    done = submit_until_final(engine, market.ledger, [market.regulator], ids)

    assert done[ids[0]].tx_hash == done[ids[1]].tx_hash
    assert [e["args"]["batchId"] for e in done[ids[0]].result["events"]] == batches[:2]
    assert [e["args"]["batchId"] for e in done[ids[1]].result["events"]] == [batches[2]]


def test_dependent_intents_of_one_sender_go_out_in_order(chain: Chain, databases: Databases) -> None:
    """A sale of a batch the vendor accepts in the intent before: sent while the acceptance is
    in flight it would revert at the estimate; it waits for it instead and is recorded."""
    engine, market = databases.engine(), chain.market
    batch = harvest(market, quantity=10)
    market.ledger.hand_off(market.supplier, batch, market.vendor.address)
    accept(engine, market.vendor.address, "accept", [({"batch_id": _hex(batch)}, None)])
    sales = [{"batch_id": _hex(batch), "quantity": 1, "price": 100, "currency": "CNY"} for _ in range(5)]
    ids = [i.id for i in intents_of(engine)] + queue(engine, market.vendor, "sale", sales)

    done = submit_until_final(engine, market.ledger, [market.vendor], ids)

    assert [done[i].status for i in ids] == ["recorded"] * 6
    assert sorted(done[i].result["serial"] for i in ids[1:]) == [1, 2, 3, 4, 5]
    assert market.ledger.batch(batch).remaining == 5


def test_many_sales_in_flight_keep_their_nonces_in_order(chain: Chain, databases: Databases) -> None:
    engine, market = databases.engine(), chain.market
    batch = _hex(at_stall(market, quantity=1000))
    ids = queue(
        engine, market.vendor, "sale", [{"batch_id": batch, "quantity": 2, "price": 50, "currency": "CNY"}] * 30
    )

    done = submit_until_final(engine, market.ledger, [market.vendor], ids)

    assert sorted(done[i].result["serial"] for i in ids) == list(range(1, 31))
    nonces = [tx.nonce for tx in transactions_of(engine, market.vendor.address)]
    assert nonces == list(range(nonces[0], nonces[0] + len(nonces)))
    # One a transaction on a contract without recordSales; packed (in few) with it.
    assert len(nonces) == 30 if not market.ledger.abi.has_function("recordSales") else len(nonces) <= 3
    assert len(events_on_chain(market.ledger, "SaleRecorded")) == 30


def test_one_lock_per_sender(databases: Databases) -> None:
    engine = databases.engine()
    other = databases.engine(engine.url.render_as_string(hide_password=False))
    sender = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    first = try_lock(engine, sender)
    assert first is not None
    assert try_lock(other, sender) is None  # another connection (another process would be the same)
    assert try_lock(other, "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC") is not None  # other senders are free
    first.release()
    again = try_lock(other, sender)
    assert again is not None
    again.release()
    time.sleep(0)  # nothing to wait for: locks never block


@pytest.mark.skipif(
    not ContractAbi.load().has_function("recordSales"), reason="the contract of this build has no recordSales"
)
def test_sales_pack_into_record_sales_and_a_refused_one_stands_alone(chain: Chain, databases: Databases) -> None:
    engine, market = databases.engine(), chain.market
    batch = _hex(at_stall(market, quantity=40))
    sales = [{"batch_id": batch, "quantity": 2, "price": 50, "currency": "CNY"}] * 20
    sales[7] = {**sales[7], "quantity": 1000}  # more than the batch holds
    ids = queue(engine, market.vendor, "sale", sales)

    done = submit_until_final(engine, market.ledger, [market.vendor], ids)

    assert done[ids[7]].status == "refused"
    assert done[ids[7]].error["name"] == "InsufficientQuantity"
    good = [done[i] for i in ids if i != ids[7]]
    assert {i.status for i in good} == {"recorded"}
    # Each sale keeps the serial reserved when it was queued: the refused one's (8) is a gap.
    assert [i.result["serial"] for i in good] == [n for n in range(1, 21) if n != 8]
    assert [i.result["serial"] for i in good] == [i.payload["serial"] for i in good]
    assert len(transactions_of(engine, market.vendor.address)) <= 4
    assert len(events_on_chain(market.ledger, "SaleRecorded")) == 19


@pytest.mark.skipif(
    not ContractAbi.load().has_function("registerHarvests"), reason="the contract of this build has no registerHarvests"
)
def test_harvests_pack_into_register_harvests_and_a_refused_one_stands_alone(
    chain: Chain, databases: Databases
) -> None:
    engine, market = databases.engine(), chain.market
    taken = {lot: _hex(harvest(market, lot=lot)) for lot in ("QH-TAKEN", "QH-LAST")}  # refused when queued
    lots = [f"QH-{n:03d}" for n in range(12)]
    lots[5], lots[11] = "QH-TAKEN", "QH-LAST"  # one inside the group, one its last
    payloads = [
        {
            "gtin": "06901234000016",
            "lot": lot,
            "quantity": 10 + n,
            "unit": "KGM",
            "harvested_at": int(time.time()) - 3600,
            "origin": "geo:30.2336,119.7248",
            "document_cid": None,
        }
        for n, lot in enumerate(lots)
    ]
    ids = queue(engine, market.supplier, "harvest", payloads)

    done = submit_until_final(engine, market.ledger, [market.supplier], ids)

    guilty = {ids[5]: "QH-TAKEN", ids[11]: "QH-LAST"}
    for intent_id, lot in guilty.items():
        assert done[intent_id].status == "refused"
        assert done[intent_id].error["name"] == "BatchAlreadyExists"
        assert done[intent_id].error["args"] == {"batchId": taken[lot]}
    good = [i for i in ids if i not in guilty]
    assert {done[i].status for i in good} == {"recorded"}
    txs = transactions_of(engine, market.supplier.address)
    assert len(txs) <= 3 and max(tx.intent_count for tx in txs) > 1  # packed
    registered = {e.args["lot"]: _hex(e.args["batchId"]) for e in events_on_chain(market.ledger, "HarvestRegistered")}
    for intent_id, payload in zip(ids, payloads, strict=True):
        if intent_id not in guilty:
            assert done[intent_id].result["batch_ids"] == [registered[payload["lot"]]]  # its own batch
    assert len(registered) == 12  # 10 lots and the two registered before: each once


def test_writes_arriving_while_a_transaction_is_in_flight_share_the_next(chain: Chain, databases: Databases) -> None:
    engine, market = databases.engine(), chain.market
    batch = _hex(at_stall(market, quantity=1000))
    sale = {"batch_id": batch, "quantity": 1, "price": 50, "currency": "CNY"}
    rpc(chain.node.rpc_url, "evm_setAutomine", [False])  # the first stays in flight until mined below
    pool = SubmitterPool(
        engine,
        rpc_url=chain.node.rpc_url,
        contract=lambda client: FreshLedgerContract(client, market.ledger.address, market.ledger.abi),
        account_of={market.vendor.address: market.vendor}.get,
        settings=QueueSettings(idle_exit_s=30.0, group_window_s=60.0),
    )
    pool.start()
    try:
        first = queue(engine, market.vendor, "sale", [sale])
        pool.wake(market.vendor.address)
        _wait_for(lambda: get_intents(engine, first)[first[0]].status == "sent")
        # Five bursts, each waking the submitter, while the first transaction is in flight:
        # they wait (the window outlasts the test) until the first is mined, then go together.
        later = []
        for _ in range(5):
            later += queue(engine, market.vendor, "sale", [sale, sale])
            pool.wake(market.vendor.address)
            time.sleep(0.02)
        assert {i.status for i in get_intents(engine, later).values()} == {"queued"}
        rpc(chain.node.rpc_url, "evm_mine", [])
        _wait_for(lambda: all(i.status == "sent" for i in get_intents(engine, later).values()))
        rpc(chain.node.rpc_url, "evm_mine", [])
        wait_final(engine, first + later, 30.0)
    finally:
        pool.stop()

    done = get_intents(engine, first + later)
    assert {i.status for i in done.values()} == {"recorded"}
    assert len({done[i].tx_hash for i in later}) == 1 and done[later[0]].tx_hash != done[first[0]].tx_hash
    assert [tx.intent_count for tx in transactions_of(engine, market.vendor.address)] == [1, 10]
    assert len(events_on_chain(market.ledger, "SaleRecorded")) == 11


def _wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.02)


def test_a_sale_oversold_by_what_is_in_flight_is_refused_alone_and_later_sales_keep_their_serials(
    chain: Chain, databases: Databases
) -> None:
    """Sales pin the serials the queue reserved, so a group of sales that reverted in its
    block could never be retried once a later transaction took higher serials of the lot. The
    submitter estimates on the node's pending state (its transactions in flight included): a
    sale that takes more than the sales in flight leave is found before anything is sent,
    refused alone once they are mined, and every other sale is recorded under its serial."""
    engine, market = databases.engine(), chain.market
    batch = _hex(at_stall(market, quantity=12))

    def sale(quantity: int) -> dict:
        return {"batch_id": batch, "quantity": quantity, "price": 50 * quantity, "currency": "CNY"}

    url = chain.node.rpc_url
    rpc(url, "evm_setAutomine", [False])  # everything stays in flight until mined below
    pool = SubmitterPool(
        engine,
        rpc_url=url,
        contract=lambda client: FreshLedgerContract(client, market.ledger.address, market.ledger.abi),
        account_of={market.vendor.address: market.vendor}.get,
        settings=QueueSettings(idle_exit_s=30.0, group_window_s=0.05),
    )
    pool.start()
    try:
        first = queue(engine, market.vendor, "sale", [sale(8)])  # 4 left once mined
        pool.wake(market.vendor.address)
        _wait_for(lambda: get_intents(engine, first)[first[0]].status == "sent")
        second = queue(engine, market.vendor, "sale", [sale(5), sale(1), sale(1)])  # the 5 is too much
        pool.wake(market.vendor.address)
        time.sleep(1.0)  # several group windows: sent by now unless held back
        third = queue(engine, market.vendor, "sale", [sale(1)])
        pool.wake(market.vendor.address)
        time.sleep(1.0)
        rpc(url, "evm_mine", [])  # one block for whatever is in flight
        rpc(url, "evm_setAutomine", [True])
        ids = first + second + third
        wait_final(engine, ids, 30.0)
    finally:
        pool.stop()

    done = get_intents(engine, ids)
    assert [done[i].status for i in ids] == ["recorded", "refused", "recorded", "recorded", "recorded"], [
        (done[i].status, done[i].error, done[i].payload) for i in ids
    ]
    assert done[second[0]].error["name"] == "InsufficientQuantity"  # type: ignore[index]
    assert [done[i].result["serial"] for i in ids if done[i].status == "recorded"] == [1, 3, 4, 5]  # type: ignore[index]
    assert market.ledger.batch(bytes.fromhex(batch[2:])).remaining == 12 - 8 - 1 - 1 - 1


def test_a_transaction_settles_from_the_intents_its_submitter_carried(chain: Chain, databases: Databases) -> None:
    """The submitter settles a transaction it sent from the intents it marked sent, without
    reading them back: they are the ones the database says the transaction carries, in order,
    with the same payloads; a transaction it did not carry (after a restart) is read back, and
    both record each sale under its reserved serial."""
    engine, market = databases.engine(), chain.market
    batch = _hex(at_stall(market, quantity=100))
    sale = {"batch_id": batch, "quantity": 1, "price": 7, "currency": "CNY"}
    submitter = Submitter(
        engine, market.ledger, market.vendor, QueueSettings(), stop=threading.Event(), wake=threading.Event()
    )
    submitter._resume()
    settled: list[list[IntentRecord]] = []
    for forget in (False, True):
        ids = queue(engine, market.vendor, "sale", [{**sale, "price": n} for n in range(1, 13)])
        assert submitter.fill()
        (tx,) = submitter.in_flight
        carried = submitter._carried[tx.tx_hash]
        stored = transaction_intents(engine, tx.tx_hash)
        assert [(i.id, i.payload) for i in carried] == [(i.id, i.payload) for i in stored]
        assert [i.id for i in carried] == ids
        if forget:
            submitter._carried.clear()  # as after a restart: settled from the database
        submitter._head_checked = -float("inf")
        deadline = time.monotonic() + 30
        while submitter.in_flight and time.monotonic() < deadline:
            submitter.settle_mined()
            submitter._head_checked = -float("inf")
            time.sleep(0.05)
        assert not submitter.in_flight and not submitter._carried
        settled.append([get_intents(engine, ids)[i] for i in ids])
    for intents in settled:
        assert {i.status for i in intents} == {"recorded"}
        assert [i.result["serial"] for i in intents] == [i.payload["serial"] for i in intents]
        assert [[e["name"] for e in i.result["events"]] for i in intents] == [["SaleRecorded"]] * len(intents)
    assert [i.result["serial"] for i in settled[0] + settled[1]] == list(range(1, 25))


def test_a_block_of_several_transactions_settles_one_a_step_and_the_queue_goes_out_between(
    chain: Chain, databases: Databases
) -> None:
    """A busy sender's block holds several of its transactions. They settle one a step (the
    oldest first), and a fill between two steps sends what was queued meanwhile: it does not
    wait until the whole block is settled."""
    engine, market = databases.engine(), chain.market
    batch = _hex(at_stall(market, quantity=100))
    sale = {"batch_id": batch, "quantity": 1, "price": 5, "currency": "CNY"}
    submitter = Submitter(
        engine,
        market.ledger,
        market.vendor,
        QueueSettings(group_window_s=0.0),
        stop=threading.Event(),
        wake=threading.Event(),
    )
    submitter._resume()
    rpc(chain.node.rpc_url, "evm_setAutomine", [False])
    try:
        for price in (1, 2, 3):
            queue(engine, market.vendor, "sale", [{**sale, "price": price}])
            assert submitter.fill()
        mined = [tx.tx_hash for tx in submitter.in_flight]
        rpc(chain.node.rpc_url, "evm_mine", [])  # all three in one block

        assert submitter.settle_mined()
        assert [tx.tx_hash for tx in submitter.in_flight] == mined[1:]
        later = queue(engine, market.vendor, "sale", [{**sale, "price": 4}])
        assert submitter.fill()  # sent while two of the block are still to settle
        assert get_intents(engine, later)[later[0]].status == "sent"
        assert submitter.settle_mined() and submitter.settle_mined()
        assert len(submitter.in_flight) == 1 and submitter.in_flight[0].tx_hash not in mined
        assert not submitter.settle_mined()  # the last one is in no block yet
    finally:
        rpc(chain.node.rpc_url, "evm_setAutomine", [True])
    rpc(chain.node.rpc_url, "evm_mine", [])
    submitter._head_checked = -float("inf")
    assert submitter.settle_mined() and not submitter.in_flight
    assert [tx.status for tx in transactions_of(engine, market.vendor.address)] == ["mined"] * 4
