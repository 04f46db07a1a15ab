"""recall_lot on the demo market: anvil, the indexer and SQLite / PostgreSQL, no fakes.

A farm lot is traced forward in the database and every batch made from it is recalled
on-chain; the chain, the indexed rows and the answer must agree with trace_forward.
"""

from __future__ import annotations

import math

import pytest
from sqlalchemy import select

from ledger import demo
from ledger.chain.client import GAS_MARGIN
from ledger.errors import ContractRevert
from ledger.queries import chain_of_custody
from ledger.queries.views import TraceResult
from ledger.recall import RecallTooLarge, recall_lot
from ledger.store import models
from tests.recall.demo_chain import DemoChain

REASON = "Listeria monocytogenes in GV-2611-01 (retained sample, lab report CMA-2026-0417-0190)"


def ids(trace: TraceResult) -> list[str]:
    return [trace.batch.batch_id, *(b.batch_id for b in trace.descendants)]


def recalls_in_db(market: DemoChain) -> dict[str, tuple[str, str]]:
    """Indexed RecallIssued rows: batch id -> (tx hash, reason)."""
    table = models.Recall.__table__
    with market.engine.connect() as conn:
        return {r.batch_id: (r.tx_hash, r.reason) for r in conn.execute(select(table))}


def test_recall_lot_recalls_every_descendant_in_one_transaction(market: DemoChain) -> None:
    before = market.trace(market.greens())
    assert before.descendants and before.sales  # the demo repacks and sells this lot
    already = recalls_in_db(market)

    result = recall_lot(before, market.sender(), REASON)

    assert len(result.tx_hashes) == 1  # four batches fit half a block many times over
    assert result.recalled_batch_ids == ids(before)
    assert result.already_recalled_batch_ids == []
    assert all(market.status(b) == "recalled" for b in ids(before))
    assert result.stalls == before.stalls and result.sales == before.sales
    assert {s.vendor.address for s in result.sales} <= {p.address for p in result.stalls}

    market.sync()  # one indexer poll
    after = market.trace(market.greens())
    assert [b.status for b in [after.batch, *after.descendants]] == ["recalled"] * len(ids(before))
    assert after.sales == before.sales and after.stalls == before.stalls
    rows = recalls_in_db(market)
    assert {b: rows[b] for b in ids(before)} == {b: (result.tx_hashes[0], REASON) for b in ids(before)}
    assert set(rows) - set(ids(before)) == set(already)  # nothing else recalled


def test_recall_lot_chunks_to_a_small_gas_budget(market: DemoChain) -> None:
    trace = market.trace(market.greens())
    batches = [bytes.fromhex(b.removeprefix("0x")) for b in ids(trace)]
    sender = market.sender()
    model = sender.plan(batches, REASON).model
    assert model is not None and model.per_batch > 0
    # Room for exactly two batches a transaction: the gas limit (estimate x margin) of three is over.
    budget = math.ceil(model.cost(2) * GAS_MARGIN) + 1
    assert model.cost(3) * GAS_MARGIN > budget

    plan = sender.plan(batches, REASON, max_gas=budget)
    assert [len(c) for c in plan.chunks] == [2] * (len(batches) // 2) + [1] * (len(batches) % 2)
    result = recall_lot(trace, sender, REASON, max_gas=budget)

    assert len(result.tx_hashes) == math.ceil(len(batches) / 2)
    assert result.recalled_batch_ids == ids(trace)
    w3 = market.ledger.client.w3
    for tx in result.outcome.transactions:
        assert w3.eth.get_transaction(tx.tx_hash)["gas"] == tx.gas_limit <= budget
        assert tx.gas_used <= tx.gas_limit
    assert all(market.status(b) == "recalled" for b in ids(trace))


def test_recall_lot_refuses_a_budget_without_room_for_one_batch(market: DemoChain) -> None:
    trace = market.trace(market.greens())
    with pytest.raises(RecallTooLarge):
        recall_lot(trace, market.sender(), REASON, max_gas=30_000)
    assert market.status(market.greens()) == "active"


def test_recall_lot_leaves_out_batches_the_chain_already_recalled(market: DemoChain) -> None:
    trace = market.trace(market.greens())
    first_child = trace.descendants[0].batch_id
    market.ledger.recall(market.cast.regulator, [bytes.fromhex(first_child[2:])], "earlier recall of one repack")

    result = recall_lot(trace, market.sender(), REASON)

    assert result.already_recalled_batch_ids == [first_child]
    assert result.recalled_batch_ids == [b for b in ids(trace) if b != first_child]
    market.sync()
    assert recalls_in_db(market)[first_child][1] == "earlier recall of one repack"  # not recalled twice


def test_recall_lot_of_a_lot_recalled_in_full_sends_nothing(market: DemoChain) -> None:
    berries = market.batch_id(demo.STRAWBERRY_GTIN, "SB-2611-07")  # the demo's own recall
    trace = market.trace(berries)
    head = market.ledger.client.block_number()

    result = recall_lot(trace, market.sender(), REASON)

    assert result.tx_hashes == [] and result.recalled_batch_ids == []
    assert result.already_recalled_batch_ids == ids(trace)
    assert market.ledger.client.block_number() == head


def test_recall_lot_recalls_a_sold_out_batch(market: DemoChain) -> None:
    # The contract recalls sold-out batches too (their sales must show it), so they are sent.
    trace = market.trace(market.greens())
    held = next(b for b in trace.descendants if b.custodian.address == market.cast.stall_a.address)
    stall = market.cast.stall_a
    sale = market.ledger.record_sale(
        stall, bytes.fromhex(held.batch_id[2:]), quantity=held.remaining, price=100, currency="CNY"
    )
    assert market.status(held.batch_id) == "sold_out"
    market.sync()

    result = recall_lot(market.trace(market.greens()), market.sender(), REASON)

    assert held.batch_id in result.recalled_batch_ids
    assert market.status(held.batch_id) == "recalled"
    sale_id = "0x" + sale.event("SaleRecorded").args["saleId"].hex()
    assert sale_id in {s.sale_id for s in result.sales}


def test_recall_lot_by_a_vendor_reverts_before_sending(market: DemoChain) -> None:
    trace = market.trace(market.greens())
    head = market.ledger.client.block_number()
    with pytest.raises(ContractRevert) as refused:
        recall_lot(trace, market.sender(market.cast.stall_a), REASON)
    assert refused.value.name == "AccessControlUnauthorizedAccount"
    assert refused.value.args_by_name["account"] == market.cast.stall_a.address
    assert market.ledger.client.block_number() == head
    assert market.status(market.greens()) == "active"


def test_sale_pages_show_the_recall_after_one_poll_even_for_an_ancestor_only_recall(market: DemoChain) -> None:
    # Only the farm lot is recalled, not its repacks: each sale of a repack still carries it.
    trace = market.trace(market.greens())
    market.ledger.recall(market.cast.regulator, [bytes.fromhex(trace.batch.batch_id[2:])], REASON)
    market.sync()
    for sale in trace.sales:
        chain = chain_of_custody(market.engine, sale.sale_id)
        assert chain.batch.status != "recalled"
        recalls = [e for e in chain.alerts if e.kind == "recalled"]
        assert [(e.batch_id, e.details["reason"]) for e in recalls] == [(trace.batch.batch_id, REASON)]


def test_a_batch_recalled_between_plan_and_send_is_reported_as_already_recalled(market: DemoChain) -> None:
    trace = market.trace(market.greens())
    sender = market.sender()
    plan = sender.plan([bytes.fromhex(b[2:]) for b in ids(trace)], REASON)
    last = ids(trace)[-1]
    market.ledger.recall(market.cast.regulator, [bytes.fromhex(last[2:])], "a recall in between")

    outcome = sender.send(plan, REASON)

    assert outcome.recalled == ids(trace)[:-1]  # the contract skipped it: no second RecallIssued
    assert outcome.already_recalled == [last]
    assert outcome.transactions[0].sent_batch_ids == ids(trace)
