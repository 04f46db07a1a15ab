"""Quantity conservation under random repacking and selling (hypothesis on a real anvil).

Whatever sequence of splits, merges and sales a custodian attempts, valid or not, the
quantities on-chain match a simple model, and the sum of what remains in every batch plus
what was sold equals what entered the ledger: repacking never creates or loses produce.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.chain.node import rpc
from ledger.errors import ContractRevert
from tests.factories.market import Market, at_stall, new_lot

split_op = st.tuples(st.just("split"), st.integers(0, 20), st.lists(st.integers(1, 60), min_size=1, max_size=3))
merge_op = st.tuples(st.just("merge"), st.integers(0, 20), st.integers(0, 20))
sale_op = st.tuples(st.just("sale"), st.integers(0, 20), st.integers(1, 80))
operations = st.lists(st.one_of(split_op, merge_op, sale_op), min_size=1, max_size=12)


@dataclass
class Model:
    remaining: dict[bytes, int] = field(default_factory=dict)
    order: list[bytes] = field(default_factory=list)
    sold: int = 0
    entered: int = 0

    def pick(self, index: int) -> bytes:
        return self.order[index % len(self.order)]

    def add(self, batch_id: bytes, quantity: int) -> None:
        self.remaining[batch_id] = quantity
        self.order.append(batch_id)


def apply(market: Market, model: Model, op: tuple) -> None:
    """Attempt `op` on the chain and mirror it in `model` when the model says it is valid."""
    ledger, vendor = market.ledger, market.vendor
    kind = op[0]
    if kind == "split":
        parent, parts = model.pick(op[1]), op[2]
        valid = model.remaining[parent] > 0 and sum(parts) <= model.remaining[parent]
        lots = [new_lot("P") for _ in parts]
        try:
            result = ledger.split(vendor, parent, list(zip(lots, parts, strict=True)))
        except ContractRevert as refused:
            assert not valid, refused
            assert refused.name in {"InsufficientQuantity", "BatchSoldOut"}
            return
        assert valid
        model.remaining[parent] -= sum(parts)
        for event in result.events_named("BatchSplit"):
            model.add(event.args["childId"], event.args["quantity"])
    elif kind == "merge":
        first, second = model.pick(op[1]), model.pick(op[2])
        valid = first != second and model.remaining[first] > 0 and model.remaining[second] > 0
        try:
            result = ledger.merge(vendor, [first, second], new_lot("M"))
        except ContractRevert as refused:
            assert not valid, refused
            assert refused.name == "BatchSoldOut"
            return
        assert valid
        total = model.remaining[first] + model.remaining[second]
        model.remaining[first] = model.remaining[second] = 0
        model.add(result.event("BatchesMerged").args["childId"], total)
    else:
        batch_id, quantity = model.pick(op[1]), op[2]
        valid = 0 < quantity <= model.remaining[batch_id]
        try:
            ledger.record_sale(vendor, batch_id, quantity=quantity, price=quantity * 100, currency="CNY")
        except ContractRevert as refused:
            assert not valid, refused
            assert refused.name in {"InsufficientQuantity", "BatchSoldOut"}
            return
        assert valid
        model.remaining[batch_id] -= quantity
        model.sold += quantity


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(starts=st.lists(st.integers(1, 120), min_size=1, max_size=3), ops=operations)
def test_split_merge_sale_conserve_quantity(market: Market, starts: list[int], ops: list[tuple]) -> None:
    url = market.ledger.client.rpc_url
    snapshot = rpc(url, "evm_snapshot")
    try:
        model = Model()
        for quantity in starts:
            model.add(at_stall(market, quantity=quantity), quantity)
            model.entered += quantity
        for op in ops:
            apply(market, model, op)
        on_chain = {batch_id: market.ledger.batch(batch_id).remaining for batch_id in model.order}
        assert on_chain == model.remaining
        assert sum(on_chain.values()) + model.sold == model.entered
        for batch_id, remaining in on_chain.items():
            status = market.ledger.batch(batch_id).status
            assert (status == "sold_out") == (remaining == 0)
    finally:
        rpc(url, "evm_revert", [snapshot])
        market.ledger.client.forget_nonces()
