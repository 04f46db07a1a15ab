"""Accepting single writes in bursts, on a real chain and both databases: a burst is checked
with one call of the batch function and stored in one database transaction; a refusal the
contract gives now still answers its own request (and stores nothing of it) while the rest
are stored; Idempotency-Keys keep working inside a burst; a burst whose insert fails stores
none of its intents and answers every request with the error; and the stored intents are then
recorded exactly once."""

from __future__ import annotations

import threading
from concurrent.futures import Future

import pytest

from ledger.errors import ContractRevert
from ledger.intents.accept import AcceptBatcher
from ledger.store.intents import IntentRecord, KeyReused, intents_of
from tests.factories.chain import Chain
from tests.factories.market import at_stall, quarantined
from tests.factories.queue import events_on_chain, submit_until_final
from tests.support.databases import Databases


def _hex(batch: bytes) -> str:
    return "0x" + batch.hex()


def sale(batch: str, quantity: int = 1, price: int = 800) -> dict:
    return {"batch_id": batch, "quantity": quantity, "price": price, "currency": "CNY"}


class CountingCalls:
    """Counts the ``eth_call`` the batcher's checks make on the ledger's client."""

    def __init__(self, client: object) -> None:
        self.count = 0
        original = client.revert_reason  # type: ignore[attr-defined]

        def counted(*args: object, **kwargs: object) -> object:
            self.count += 1
            return original(*args, **kwargs)

        client.revert_reason = counted  # type: ignore[attr-defined]


def burst(batcher: AcceptBatcher, requests: list[tuple[str, str, dict, str | None]]) -> list[Future]:
    """Submit `requests` together: the batcher's thread takes them as one burst."""
    return [batcher.submit(*request) for request in requests]


def test_a_burst_is_checked_with_one_call_and_a_refusal_answers_alone(chain: Chain, databases: Databases) -> None:
    engine, market = databases.engine(), chain.market
    batch = _hex(at_stall(market, quantity=100))
    other = _hex(quarantined(market))  # at the supplier, quarantined: not the vendor's to sell
    calls = CountingCalls(market.ledger.client)
    stored: list[str] = []
    batcher = AcceptBatcher(engine, market.ledger, window_s=0.5, stored=stored.append)
    try:
        vendor = market.vendor.address
        good = burst(batcher, [(vendor, "sale", sale(batch, price=p), None) for p in range(1, 21)])
        futures = good + burst(batcher, [(vendor, "sale", sale(other), None)])
        for future in futures:
            future.exception(timeout=30)
    finally:
        batcher.stop()

    # The group reverted (one bad sale in it): then each was checked alone. One group call,
    # and each of the 21 alone: 22. A burst of good sales only is one call: see below.
    assert calls.count == 22
    refusal = futures[-1].exception()
    assert isinstance(refusal, ContractRevert)
    assert refusal.name in ("NotCustodian", "BatchQuarantined")
    records = [f.result() for f in good]
    assert all(created for _, created in records)
    assert len({intent.id for intent, _ in records}) == 20
    stored_rows = intents_of(engine, vendor)
    assert [i.payload["price"] for i in stored_rows] == list(range(1, 21))  # the refused one is not stored
    assert {i.status for i in stored_rows} == {"queued"}
    assert stored == [vendor]
    # What the batcher answered is what the database holds.
    assert {intent.id: intent for intent, _ in records} == {i.id: i for i in stored_rows}

    calls.count = 0
    batcher = AcceptBatcher(engine, market.ledger, window_s=0.5)
    try:
        more = burst(batcher, [(vendor, "sale", sale(batch, price=p), None) for p in range(21, 71)])
        assert all(isinstance(f.result(timeout=30)[0], IntentRecord) for f in more)
    finally:
        batcher.stop()
    assert calls.count == 1

    ids = [i.id for i in intents_of(engine, vendor)]
    done = submit_until_final(engine, market.ledger, [market.vendor], ids)
    assert {i.status for i in done.values()} == {"recorded"}
    prices = sorted(e.args["price"] for e in events_on_chain(market.ledger, "SaleRecorded"))
    assert prices == list(range(1, 71))  # each accepted sale exactly once


def test_idempotency_keys_inside_a_burst(chain: Chain, databases: Databases) -> None:
    engine, market = databases.engine(), chain.market
    batch = _hex(at_stall(market))
    vendor = market.vendor.address
    batcher = AcceptBatcher(engine, market.ledger, window_s=0.5)
    try:
        first, retry, other_body, plain = burst(
            batcher,
            [
                (vendor, "sale", sale(batch, price=1), "till-7"),
                (vendor, "sale", sale(batch, price=1), "till-7"),  # the same request again
                (vendor, "sale", sale(batch, price=2), "till-7"),  # the key with another body
                (vendor, "sale", sale(batch, price=3), None),
            ],
        )
        intent, created = first.result(timeout=30)
        again, created_again = retry.result(timeout=30)
        reused = other_body.exception(timeout=30)
        plain.result(timeout=30)
    finally:
        batcher.stop()
    assert created and not created_again
    assert again.id == intent.id
    assert isinstance(reused, KeyReused) and reused.first.id == intent.id
    assert sorted(i.payload["price"] for i in intents_of(engine, vendor)) == [1, 3]


def test_a_burst_whose_insert_fails_stores_nothing(chain: Chain, databases: Databases) -> None:
    """One transaction for the burst: when it fails, no intent of it is stored and every
    request answers with the error (the client may retry; nothing half-stored to double)."""
    engine, market = databases.engine(), chain.market
    batch = _hex(at_stall(market))
    vendor = market.vendor.address
    batcher = AcceptBatcher(engine, market.ledger, window_s=0.5)
    gate = threading.Event()
    real_begin = engine.begin

    def failing_begin():  # type: ignore[no-untyped-def]
        gate.set()
        raise ConnectionError("the database went away mid-burst")

    try:
        engine.begin = failing_begin  # type: ignore[method-assign]
        futures = burst(batcher, [(vendor, "sale", sale(batch, price=p), None) for p in range(1, 11)])
        errors = [f.exception(timeout=30) for f in futures]
    finally:
        engine.begin = real_begin  # type: ignore[method-assign]
        batcher.stop()
    assert gate.is_set()
    assert all(isinstance(e, ConnectionError) for e in errors)
    assert intents_of(engine, vendor) == []


def test_many_writes_of_one_request_are_answered_together_each_on_its_own(chain: Chain, databases: Databases) -> None:
    """submit_many (a bulk request): one future answers every item in order, with its intent,
    its refusal or its key's first intent; a failure of the database fails the future."""
    engine, market = databases.engine(), chain.market
    batch = _hex(at_stall(market, quantity=100))
    other = _hex(quarantined(market))
    vendor = market.vendor.address
    batcher = AcceptBatcher(engine, market.ledger, window_s=0.05)
    try:
        (first, _), *_ = batcher.submit_many(vendor, "sale", [(sale(batch, price=1), "scale-3#0")]).result(timeout=30)
        answers = batcher.submit_many(
            vendor,
            "sale",
            [
                (sale(batch, price=1), "scale-3#0"),  # a retry: the first intent
                (sale(batch, price=9), "scale-3#1"),
                (sale(other), None),  # refused by the contract now
                (sale(batch, price=2), "scale-3#0"),  # the first's key with another body
            ],
        ).result(timeout=30)
        real_begin = engine.begin

        def failing_begin():  # type: ignore[no-untyped-def]
            raise ConnectionError("the database went away")

        engine.begin = failing_begin  # type: ignore[method-assign]
        try:
            failed = batcher.submit_many(vendor, "sale", [(sale(batch, price=p), None) for p in (5, 6)])
            assert isinstance(failed.exception(timeout=30), ConnectionError)
        finally:
            engine.begin = real_begin  # type: ignore[method-assign]
        assert batcher.submit_many(vendor, "sale", []).result(timeout=1) == []
    finally:
        batcher.stop()
    retried, keyed, refused, reused = answers
    assert retried == (first, False)
    assert keyed[1] and keyed[0].payload["price"] == 9
    assert isinstance(refused, ContractRevert)
    assert isinstance(reused, KeyReused) and reused.first.id == first.id
    assert sorted(i.payload["price"] for i in intents_of(engine, vendor)) == [1, 9]


@pytest.mark.parametrize("window_s", [0.0, 0.002])
def test_concurrent_requests_each_get_their_own_intent(chain: Chain, databases: Databases, window_s: float) -> None:
    engine, market = databases.engine(), chain.market
    batch = _hex(at_stall(market, quantity=1000))
    vendor = market.vendor.address
    batcher = AcceptBatcher(engine, market.ledger, window_s=window_s)
    answers: dict[int, IntentRecord] = {}

    def client(first: int) -> None:
        for price in range(first, first + 10):
            intent, _ = batcher.submit(vendor, "sale", sale(batch, price=price), None).result(timeout=60)
            answers[price] = intent

    threads = [threading.Thread(target=client, args=(1 + 10 * n,)) for n in range(8)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        batcher.stop()
    assert sorted(answers) == list(range(1, 81))
    assert all(answers[p].payload["price"] == p for p in answers)
    assert len({i.id for i in answers.values()}) == 80
    assert len(intents_of(engine, vendor)) == 80
