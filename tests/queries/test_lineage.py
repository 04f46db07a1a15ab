"""Recursive lineage walks over diamonds (split then merge back) and deep chains."""

from __future__ import annotations

from ledger.queries import chain_of_custody, trace_forward
from ledger.queries.lineage import ancestors, descendants
from tests.factories.chain import Chain, make_indexer
from tests.factories.market import record_diamond
from tests.queries.expected_trace import expected_trace
from tests.support.databases import Databases


def test_diamond_and_depth(chain: Chain, databases: Databases) -> None:
    root, left, right, joined, current, sale = record_diamond(chain.market, generations=8)
    engine = databases.engine()
    make_indexer(chain, engine).sync()

    hexed = lambda b: "0x" + b.hex()  # noqa: E731
    with engine.connect() as conn:
        back = ancestors(conn, hexed(current))
        forward = descendants(conn, hexed(root))
    assert back[hexed(root)] == 10  # current <- 7 more splits <- joined <- left/right <- root
    assert back[hexed(left)] == back[hexed(right)] == 9
    assert len(back) == 12
    assert forward[hexed(current)] == 10
    assert len(forward) == 12

    chain_view = chain_of_custody(engine, hexed(sale.args["saleId"]))
    assert [o.batch_id for o in chain_view.origins] == [hexed(root)]
    assert sum(1 for e in chain_view.events if e.kind == "harvested") == 1  # the diamond is walked once
    assert sum(1 for e in chain_view.events if e.kind == "merged") == 2
    traced = trace_forward(engine, hexed(root))
    assert len(traced.sales) == 1
    # Each batch once, nearest first: the joined batch is reached by two paths of two steps.
    assert [b.batch_id for b in traced.descendants[:3]] == [hexed(left), hexed(right), hexed(joined)]
    assert len({b.batch_id for b in traced.descendants}) == len(traced.descendants) == 11
    assert traced.descendants[-1].batch_id == hexed(current)
    for batch in (root, left, joined, current):  # the whole results, from each place in the diamond
        assert trace_forward(engine, hexed(batch)) == expected_trace(engine, hexed(batch))
