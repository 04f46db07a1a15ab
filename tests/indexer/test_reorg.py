"""Reorgs with anvil's ``anvil_reorg``: afterwards the database equals a fresh index of the
canonical chain, table by table."""

from __future__ import annotations

import threading

import pytest

from ledger.chain.node import rpc
from ledger.errors import ReorgTooDeep
from ledger.indexer import sync
from tests.factories.activity import harvest_requests, run_activity
from tests.factories.chain import Chain, make_indexer
from tests.support.databases import Databases, projections


def reorg(chain: Chain, depth: int, replacements: int = 3) -> None:
    """Replace the newest `depth` blocks with blocks holding other transactions."""
    requests = list(harvest_requests(chain.market, replacements))
    offsets = sorted({0, depth // 2, depth - 1})[: len(requests)]
    rpc(
        chain.node.rpc_url,
        "anvil_reorg",
        [depth, [[tx, offset] for tx, offset in zip(requests, offsets, strict=False)]],
    )
    chain.market.ledger.client.forget_nonces()


def assert_matches_fresh_index(chain: Chain, databases: Databases, engine) -> None:
    fresh = databases.engine()
    make_indexer(chain, fresh).sync()
    assert projections(engine) == projections(fresh)


@pytest.mark.parametrize("depth", [1, 2, 5, 20, 64])
def test_reconcile_reorg_matches_fresh_index(chain: Chain, databases: Databases, depth: int) -> None:
    run_activity(chain.market, rounds=6)  # > 64 blocks of every kind of event
    engine = databases.engine()
    indexer = make_indexer(chain, engine)
    indexer.sync()
    before_events = projections(engine)["raw_events"]

    reorg(chain, depth)
    run_activity(chain.market, rounds=1, seed=depth)  # the chain moves on after the reorg
    report = indexer.sync()

    assert report.reorgs == 1
    assert report.removed_events > 0 or depth <= 2
    assert projections(engine) != {} and projections(engine)["raw_events"] != before_events
    assert_matches_fresh_index(chain, databases, engine)


def test_reorgs_while_following(chain: Chain, databases: Databases) -> None:
    run_activity(chain.market, rounds=3)
    engine = databases.engine()
    indexer = make_indexer(chain, engine)
    stop = threading.Event()
    follower = threading.Thread(target=indexer.follow, kwargs={"poll_interval": 0.05, "stop": stop})
    follower.start()
    try:
        for depth in (3, 1, 7, 2):
            run_activity(chain.market, rounds=1, seed=depth)
            reorg(chain, depth)
    finally:
        stop.set()
        follower.join(timeout=30)
    assert not follower.is_alive()
    indexer.sync()
    assert_matches_fresh_index(chain, databases, engine)


def test_reconcile_reorg_rejects_reorg_deeper_than_kept_hashes(
    chain: Chain, databases: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync, "MAX_REORG_DEPTH", 4)
    run_activity(chain.market, rounds=2)
    engine = databases.engine()
    indexer = make_indexer(chain, engine)
    indexer.sync()
    reorg(chain, 10)
    with pytest.raises(ReorgTooDeep, match="re-index into a fresh database"):
        indexer.sync()
