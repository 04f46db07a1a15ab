"""Backfill and follow on a real anvil, into SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from ledger.chain.accounts import dev_account
from ledger.chain.client import ChainClient
from ledger.chain.deploy import deploy
from ledger.chain.node import LocalNode, free_port, rpc
from ledger.errors import ChainMismatch, ChainReorganised
from ledger.indexer.sync import Indexer, Progress
from ledger.store.models import Base
from ledger.vocabulary import ROLE_IDS
from tests.factories.activity import run_activity
from tests.factories.chain import Chain, make_indexer
from tests.factories.market import at_stall
from tests.support.databases import Databases, projections


def test_backfill_mirrors_contract_state(chain: Chain, databases: Databases) -> None:
    run_activity(chain.market, rounds=4)
    engine = databases.engine()
    report = make_indexer(chain, engine).sync()
    assert report.events > 50
    ledger = chain.market.ledger
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT batch_id, status, remaining, custodian, pending_recipient, sale_count FROM batches")
        ).all()
        raw = conn.execute(text("SELECT count(*) FROM raw_events")).scalar()
        participants = conn.execute(text("SELECT address, roles, suspended, name FROM participants")).all()
    assert raw == report.events
    assert len(rows) > 10
    for batch_id, status, remaining, custodian, pending, sales in rows:
        on_chain = ledger.batch(bytes.fromhex(batch_id[2:]))
        shown = "active" if on_chain.status == "in_transit" else on_chain.status
        assert (status, remaining, custodian, pending, sales) == (
            shown,
            on_chain.remaining,
            on_chain.custodian,
            on_chain.pending_recipient,
            on_chain.sale_count,
        )
    by_address = {address: (roles, bool(suspended), name) for address, roles, suspended, name in participants}
    assert by_address[chain.market.vendor.address] == (8, False, "Stall A12")
    assert by_address[chain.market.lab.address] == (4, False, "Market Lab")


def test_sync_again_and_reindexing_a_range_change_nothing(chain: Chain, databases: Databases) -> None:
    run_activity(chain.market, rounds=2)
    engine = databases.engine()
    indexer = make_indexer(chain, engine)
    indexer.sync()
    before = projections(engine)
    assert indexer.sync().events == 0
    head = indexer.fetcher.head()
    assert indexer._index_range(chain.deployment.deploy_block, head, head) == 0
    assert projections(engine) == before


def _answers_changed(monkeypatch: pytest.MonkeyPatch, indexer: Indexer, change: Callable[[dict], None]) -> None:
    """The indexer's node, its answers to eth_getLogs changed log by log by `change`."""
    asked = indexer.rpc.call

    def call(method: str, params: list) -> object:
        answer = asked(method, params)
        if method == "eth_getLogs":
            for log in answer:
                change(log)
        return answer

    monkeypatch.setattr(indexer.rpc, "call", call)


def test_logs_without_their_block_time_take_it_from_the_block_headers(
    chain: Chain, databases: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A node that does not stamp logs with their block's time (before ``blockTimestamp``):
    the indexer reads the headers of those blocks and indexes the same times."""
    run_activity(chain.market, rounds=2)
    engine = databases.engine()
    indexer = make_indexer(chain, engine)
    _answers_changed(monkeypatch, indexer, lambda log: log.pop("blockTimestamp", None))
    assert indexer.sync().events > 20
    clean = databases.engine()
    make_indexer(chain, clean).sync()
    assert projections(engine) == projections(clean)


def test_logs_of_a_block_that_changed_while_read_index_nothing_of_it(
    chain: Chain, databases: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Logs that name another hash for their block than its header (the chain reorganised
    between the two reads) are refused again and again, and the sync stops before that block;
    the next sync, the node consistent again, indexes it."""
    run_activity(chain.market, rounds=2)
    engine = databases.engine()
    indexer = make_indexer(chain, engine)
    changed = indexer.fetcher.head()

    def other_hash(log: dict) -> None:
        if int(log["blockNumber"], 16) == changed:
            log["blockHash"] = "0x" + "ee" * 32

    _answers_changed(monkeypatch, indexer, other_hash)
    with pytest.raises(ChainReorganised, match=f"block {changed} changed while its logs were read"):
        indexer.sync()
    checkpoint = indexer.store.checkpoint()
    assert checkpoint is not None and checkpoint.block_number < changed
    with engine.connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM raw_events WHERE block_number >= :b"), {"b": changed}).scalar() == 0
        )
    monkeypatch.undo()
    indexer.sync()
    clean = databases.engine()
    make_indexer(chain, clean).sync()
    assert projections(engine) == projections(clean)


def test_role_changes_are_mirrored(chain: Chain, databases: Databases) -> None:
    market = chain.market
    market.ledger.grant_role(market.admin, "VENDOR", market.supplier2.address)
    market.ledger.transact(market.admin, "revokeRole", ROLE_IDS["SUPPLIER"], market.supplier.address)
    engine = databases.engine()
    make_indexer(chain, engine).sync()
    with engine.connect() as conn:
        roles = dict(conn.execute(text("SELECT address, roles FROM participants")).all())
    assert roles[market.supplier2.address] == 1 | 8
    assert roles[market.supplier.address] == 0


def test_confirmations_hold_back_the_newest_blocks(chain: Chain, databases: Databases) -> None:
    run_activity(chain.market, rounds=1)
    engine = databases.engine()
    indexer = make_indexer(chain, engine, confirmations=3)
    indexer.sync()
    head = indexer.fetcher.head()
    assert indexer.store.checkpoint().block_number == head - 3


def test_a_node_of_another_chain_is_refused(chain: Chain, databases: Databases, tmp_path: Path) -> None:

    url = databases.url()
    engine = databases.engine(url)
    make_indexer(chain, engine).sync()
    other = LocalNode(tmp_path / "other", port=free_port(), persist=False)
    info = other.start()
    try:
        client = ChainClient(info.rpc_url)
        # Two fresh local chains started in the same second have the same genesis block;
        # mining first moves the other deployment to another block (and address).
        for _ in range(3):
            rpc(info.rpc_url, "evm_mine")
        other_chain = Chain(info, deploy(client, dev_account(0)), chain.market)
        with pytest.raises(ChainMismatch, match="refusing to mix"):
            make_indexer(other_chain, engine)
    finally:
        other.stop()


def test_follow_shows_a_new_sale_within_one_poll(chain: Chain, databases: Databases) -> None:
    batch_id = at_stall(chain.market, quantity=10)
    engine = databases.engine()
    indexer = make_indexer(chain, engine)
    indexer.sync()
    stop = threading.Event()
    synced = threading.Event()

    def on_progress(progress: Progress) -> None:
        if progress.events:
            synced.set()

    follower = threading.Thread(
        target=indexer.follow, kwargs={"poll_interval": 0.2, "stop": stop, "on_progress": on_progress}
    )
    follower.start()
    try:
        chain.market.ledger.record_sale(chain.market.vendor, batch_id, quantity=1, price=500, currency="CNY")
        assert synced.wait(timeout=10), "the follower did not index the sale"
    finally:
        stop.set()
        follower.join(timeout=10)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT quantity, price FROM sales")).one() == (1, 500)


def test_backfill_of_fresh_database_builds_its_indexes_at_the_end(chain: Chain, databases: Databases) -> None:
    run_activity(chain.market, rounds=1)
    engine = databases.engine()
    indexer = make_indexer(chain, engine)
    seen_during: list[bool] = []
    indexer.sync(on_progress=lambda _progress: seen_during.append(indexer.store.bulk_loading()))
    assert seen_during and all(seen_during)  # the ranges were written without the deferred indexes
    assert not indexer.store.bulk_loading()
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []

    run_activity(chain.market, rounds=1, seed=8)
    seen_during.clear()
    indexer.sync(on_progress=lambda _progress: seen_during.append(indexer.store.bulk_loading()))
    assert seen_during and not any(seen_during)  # a database already indexed keeps its indexes


class _Stopped(Exception):
    """Raised from a progress callback to stop a sync after its first range."""


def _stop(_progress: Progress) -> None:
    raise _Stopped


def test_interrupted_bulk_load_resumes_and_ends_with_the_indexes(chain: Chain, databases: Databases) -> None:
    run_activity(chain.market, rounds=2)
    engine = databases.engine()
    stopped = make_indexer(chain, engine)
    stopped.fetcher.range = stopped.fetcher.max_range = 3
    with pytest.raises(_Stopped):
        stopped.sync(on_progress=_stop)
    assert stopped.store.checkpoint() is not None and stopped.store.bulk_loading()  # as a kill -9 leaves it

    make_indexer(chain, engine).sync()

    assert not stopped.store.bulk_loading()
    clean = databases.engine()
    make_indexer(chain, clean).sync()
    assert projections(engine) == projections(clean)
