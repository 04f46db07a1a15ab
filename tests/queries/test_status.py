"""checkpoint and indexed_block: the one read of how far the database is."""

from __future__ import annotations

from sqlalchemy import text

from ledger.queries.status import checkpoint, indexed_block
from tests.queries.conftest import DemoMarket


def test_checkpoint_and_indexed_block_read_the_indexers_checkpoint(demo_market: DemoMarket) -> None:
    engine = demo_market.engine
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT block_number, block_hash FROM checkpoint")).one()
        assert checkpoint(conn) == (stored.block_number, stored.block_hash)
        assert indexed_block(conn) == stored.block_number
    assert checkpoint(engine) == (stored.block_number, stored.block_hash)
    assert indexed_block(engine) == stored.block_number > 0
