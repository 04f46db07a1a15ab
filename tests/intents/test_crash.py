"""kill -9 of a real ``freshledger submit`` at each step of a transaction's life, then a
restart: every intent ends recorded exactly once, counted against the chain.

The process kills itself with SIGKILL at the named step (``FRESHLEDGER_TEST_CRASH_AT``, see
``ledger.intents.crash``): the same as ``kill -9`` from outside at that instant, but at a
known one."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.intents.crash import STEPS
from ledger.store.intents import final_among, get_intents, transactions_of
from tests.factories.chain import Chain, data_dir_with_keys
from tests.factories.market import at_stall
from tests.factories.queue import events_on_chain, queue, submit_process, wait_final
from tests.support.databases import Databases

SALES = 8


@pytest.mark.parametrize("step", STEPS)
def test_kill_9_at_each_step_loses_nothing_and_doubles_nothing(
    chain: Chain, databases: Databases, tmp_path: Path, step: str
) -> None:
    market = chain.market
    url = databases.url()
    engine = databases.engine(url)
    data = data_dir_with_keys(chain.deployment, tmp_path, market.vendor)
    batch = "0x" + at_stall(market, quantity=1000).hex()
    ids = queue(
        engine, market.vendor, "sale", [{"batch_id": batch, "quantity": 1, "price": 90, "currency": "CNY"}] * SALES
    )

    crashed = submit_process(chain, data, url, crash_at=step)
    assert crashed.wait(timeout=60) == -9, crashed.stderr.read().decode() if crashed.stderr else ""
    assert len(final_among(engine, ids)) < SALES  # it died with work left
    unsettled = [tx for tx in transactions_of(engine) if tx.status == "sent"]
    assert unsettled  # stored before sending: the one in hand when it died (and any after it)
    stored = min(unsettled, key=lambda tx: tx.nonce)

    restarted = submit_process(chain, data, url, crash_at=None)
    try:
        wait_final(engine, ids, timeout=60)
    finally:
        restarted.terminate()
        restarted.wait(timeout=30)

    intents = get_intents(engine, ids)
    assert {i.status for i in intents.values()} == {"recorded"}
    on_chain = [e.args for e in events_on_chain(market.ledger, "SaleRecorded")]
    assert len(on_chain) == SALES  # none lost, none doubled
    assert sorted(e["serial"] for e in on_chain) == list(range(1, SALES + 1))
    assert sorted(i.result["sale_id"] for i in intents.values()) == sorted("0x" + e["saleId"].hex() for e in on_chain)
    txs = {tx.tx_hash: tx for tx in transactions_of(engine)}
    assert txs[stored.tx_hash].status == "mined"  # the very bytes stored before the crash
    assert [tx.status for tx in txs.values()] == ["mined"] * len(txs)
    assert market.ledger.batch(bytes.fromhex(batch[2:])).remaining == 1000 - SALES
