"""The gas bound of packed sales (:mod:`ledger.intents.gas`) on a real anvil: the worst
groups the submitter can send (every sale on a batch cold in the transaction, the largest
values, the largest group, batches sold out by their group) use no more than the bound and
are mined with it as their gas limit; the submitter sends sales with the bound, without an
estimate, and still names a refused sale in a group of many batches and records the others."""

from __future__ import annotations

import pytest

from ledger.chain.abi import ContractAbi
from ledger.chain.client import ChainClient
from ledger.chain.freshledger import Sale, sale_groups
from ledger.hexes import to_hex
from ledger.intents.gas import gas_bound, intrinsic_gas, record_sales_gas
from ledger.intents.kinds import kind_of
from ledger.intents.settings import QueueSettings
from ledger.store.intents import transactions_of
from tests.factories.chain import Chain
from tests.factories.market import Market, at_stall
from tests.factories.queue import events_on_chain, queue, submit_until_final
from tests.support.databases import Databases

pytestmark = pytest.mark.skipif(
    not ContractAbi.load().has_function("recordSales"), reason="the contract of this build has no recordSales"
)

#: The contract's largest price and batch quantity (type(uint64).max >> 1).
LARGEST = (2**64 - 1) >> 1
MAX_GROUP = kind_of("sale").max_group


@pytest.fixture
def estimates(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The estimates every client asks the node for (the submitter pool makes its own
    clients): each is counted, then asked of the node as before."""
    asked: list[int] = []
    real = ChainClient.estimate

    def estimate(self: ChainClient, *args: object, **kwargs: object) -> int:
        gas = real(self, *args, **kwargs)  # type: ignore[arg-type]
        asked.append(gas)
        return gas

    monkeypatch.setattr(ChainClient, "estimate", estimate)
    return asked


def _send(market: Market, sales: list[Sale]) -> tuple[int, int, int]:
    """Record `sales` in one transaction with the bound as its gas limit: (gas used, bound,
    intrinsic gas)."""
    ledger = market.ledger
    data = ledger.abi.encode_call("recordSales", [sale_groups(sales)])
    bound = gas_bound(ledger.abi, data)
    assert bound is not None
    result = ledger.client.transact(market.vendor, to=ledger.address, data=data, abi=ledger.abi, gas=bound)
    return result.gas_used, bound, intrinsic_gas(data)


def _sales(serials: dict[bytes, int], batch: bytes, count: int, *, quantity: int = 1, price: int = 5) -> list[Sale]:
    """`count` sales of `batch` pinning the batch's next serials (as the queue reserves them)."""
    sales = []
    for _ in range(count):
        serials[batch] = serials.get(batch, 0) + 1
        sales.append(Sale(batch, quantity, price, "CNY", serials[batch]))
    return sales


def test_the_worst_groups_use_no_more_than_the_bound(market: Market) -> None:
    batches = [at_stall(market, quantity=LARGEST) for _ in range(MAX_GROUP)]
    sold_out = [at_stall(market, quantity=3) for _ in range(MAX_GROUP // 2)]
    serials: dict[bytes, int] = {}
    shapes = {
        # Every sale on its own batch, cold in the transaction, the largest price: the most
        # storage and call data a group of the largest size carries.
        "each sale its own batch": [
            s for b in batches for s in _sales(serials, b, 1, quantity=LARGEST >> 20, price=LARGEST)
        ],
        "one batch": _sales(serials, batches[0], MAX_GROUP, price=LARGEST),
        "two sales a batch": [s for b in batches[: MAX_GROUP // 2] for s in _sales(serials, b, 2)],
        # Each group takes what its batch holds: the batch's status changes to sold out.
        "batches sold out": [s for b in sold_out for s in _sales(serials, b, 1, quantity=3)],
        "one sale": _sales(serials, batches[1], 1),
        # Without pinned serials (a contract client's own call), each group takes the next.
        "serials not pinned": [Sale(b, 1, LARGEST, "CNY") for b in batches],
    }
    for name, sales in shapes.items():
        used, bound, intrinsic = _send(market, sales)
        assert used <= bound, name
        # Not far over either: a loose bound takes block space from the transactions after it.
        assert bound - intrinsic <= (used - intrinsic) * 1.06 + 6_000, (name, used, bound)


def test_a_group_over_the_gas_bound_of_the_queue_is_halved_until_it_fits(
    chain: Chain, databases: Databases, estimates: list[int]
) -> None:
    """Sales on 200 batches at once, with the submitter's gas bound room for about 50 of them
    a transaction: each transaction is under it, every sale is recorded under its serial, and
    not one estimate was asked for."""
    engine, market = databases.engine(), chain.market
    batches = [to_hex(at_stall(market, quantity=10)) for _ in range(200)]
    payloads = [{"batch_id": b, "quantity": 1, "price": 7 + n, "currency": "CNY"} for n, b in enumerate(batches)]
    data = market.ledger.abi.encode_call(
        "recordSales", [sale_groups([Sale(bytes.fromhex(b[2:]), 1, 7, "CNY", 1) for b in batches[:50]])]
    )
    max_gas = record_sales_gas(data)
    ids = queue(engine, market.vendor, "sale", payloads)

    done = submit_until_final(
        engine, market.ledger, [market.vendor], ids, settings=QueueSettings(idle_exit_s=1.0, max_gas=max_gas)
    )

    assert [done[i].status for i in ids] == ["recorded"] * len(ids)
    assert [done[i].result["serial"] for i in ids] == [1] * len(ids)  # type: ignore[index]
    txs = transactions_of(engine, market.vendor.address)
    assert 4 <= len(txs) <= 8 and sum(tx.intent_count for tx in txs) == len(ids)
    for tx in txs:
        sent = market.ledger.client.rpc.call("eth_getTransactionByHash", [tx.tx_hash])
        assert int(sent["gas"], 16) == gas_bound(market.ledger.abi, bytes.fromhex(sent["input"][2:])) <= max_gas
    assert estimates == []
    assert len(events_on_chain(market.ledger, "SaleRecorded")) == len(ids)


def test_refused_sales_in_a_group_of_many_batches_stand_alone(chain: Chain, databases: Databases) -> None:
    """A group of sales on many batches, one of them on a recalled batch, one on another
    vendor's, one selling more than its batch holds: each of those is refused with its own
    error, the others are recorded."""
    engine, market = databases.engine(), chain.market
    batches = [at_stall(market, quantity=5) for _ in range(12)]
    market.ledger.recall(market.regulator, [batches[3]], "Listeria at the packing house")
    market.ledger.hand_off(market.vendor, batches[7], market.vendor2.address)
    market.ledger.accept_hand_off(market.vendor2, batches[7])
    payloads = [{"batch_id": to_hex(b), "quantity": 2, "price": 9, "currency": "CNY"} for b in batches]
    payloads[10] = {**payloads[10], "quantity": 6}
    ids = queue(engine, market.vendor, "sale", payloads)

    done = submit_until_final(engine, market.ledger, [market.vendor], ids)

    refused = {ids[3]: "BatchRecalled", ids[7]: "NotCustodian", ids[10]: "InsufficientQuantity"}
    assert {i: done[i].error["name"] for i in refused} == refused  # type: ignore[index]
    assert all(done[i].status == "refused" and done[i].tx_hash is None for i in refused)
    assert [done[i].status for i in ids if i not in refused] == ["recorded"] * 9
    assert len(events_on_chain(market.ledger, "SaleRecorded")) == 9


def test_a_bound_that_falls_short_is_not_a_refusal(
    chain: Chain, databases: Databases, estimates: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A contract that costs more than the bound's figures (here: figures made too small) runs
    the bounded call out of gas on the node. That is no contract error: the submitter asks for
    an estimate instead, and every sale is recorded, none refused."""
    engine, market = databases.engine(), chain.market
    monkeypatch.setattr("ledger.intents.gas.RECORD_SALES_SALE", 10)
    monkeypatch.setattr("ledger.intents.gas.RECORD_SALES_GROUP", 10)
    batches = [to_hex(at_stall(market, quantity=10)) for _ in range(20)]
    payloads = [{"batch_id": b, "quantity": 1, "price": 11 + n, "currency": "CNY"} for n, b in enumerate(batches)]
    ids = queue(engine, market.vendor, "sale", payloads)

    done = submit_until_final(engine, market.ledger, [market.vendor], ids)

    assert [done[i].status for i in ids] == ["recorded"] * len(ids)
    assert estimates, "the submitter fell back to an estimate"
    assert len(events_on_chain(market.ledger, "SaleRecorded")) == len(ids)
