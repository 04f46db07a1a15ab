"""``lineage_graph``: a lot's lineage to draw (back to the harvest, forward to the stalls'
sales), nearest lots first, cut and saying so when it is larger than the picture's bounds."""

from __future__ import annotations

from ledger.queries.lineage_graph import lineage_graph
from tests.factories.chain import Chain, make_indexer
from tests.factories.market import record_diamond
from tests.support.databases import Databases


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def test_lineage_graph_walks_a_diamond_both_ways_and_cuts_a_large_one(chain: Chain, databases: Databases) -> None:
    market = chain.market
    root, left, right, joined, current, _ = record_diamond(market, generations=4)
    engine = databases.engine()
    make_indexer(chain, engine).sync()

    whole = lineage_graph(engine, _hex(joined))
    depths = {n.batch_id: n.depth for n in whole.nodes}
    assert depths[_hex(root)] == -2 and depths[_hex(left)] == depths[_hex(right)] == -1
    assert depths[_hex(joined)] == 0 and depths[_hex(current)] == 4 and len(whole.nodes) == 8
    assert whole.nodes[0].batch_id == _hex(root)  # oldest first
    merge_steps = [(s.parent, s.kind, s.quantity) for s in whole.steps if s.child == _hex(joined)]
    assert sorted(merge_steps) == sorted([(_hex(left), "merge", 40), (_hex(right), "merge", 40)])
    assert len(whole.steps) == 8
    (sold,) = whole.sales
    assert (sold.batch_id, sold.vendor.address, sold.sales, sold.quantity) == (
        _hex(current),
        market.vendor.address,
        1,
        1,
    )
    assert not whole.cut

    near = lineage_graph(engine, _hex(joined), max_side=2, max_stalls=0)
    assert near.cut and near.sales == []
    assert {n.depth for n in near.nodes} == {-1, 0, 1, 2}  # 2 each way and the lot
    assert all(s.parent in {n.batch_id for n in near.nodes} for s in near.steps)
