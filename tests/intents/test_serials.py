"""Sale serials reserved when the queue accepts a sale, on both databases and a real chain:
concurrent writers never get one serial twice and a batch's serials rise with intent ids (the
order the submitter sends them in); a batch's first reservation starts above the chain's and
the index's sales; and the chain records each sale under the serial reserved for it, a
refused sale leaving a gap that no other sale takes. A batch known to have a counter is not
looked for again."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from sqlalchemy import Engine, delete

from ledger.intents.accept import accept
from ledger.queries.pending_sales import sale_pending
from ledger.store.intent_models import SaleSerial
from ledger.store.intents import IntentGroup, NewIntent, add_intent_groups, add_intents, intents_of, refuse
from tests.factories.chain import Chain
from tests.factories.market import at_stall
from tests.factories.queue import submit_until_final
from tests.support.databases import Databases

A, B, C = ("0x" + c * 64 for c in "abc")
VENDOR = "0x" + "11" * 20


def sale(batch: str, quantity: int = 1) -> dict:
    return {"batch_id": batch, "quantity": quantity, "price": 100 * quantity, "currency": "CNY"}


def store_sales(engine: Engine, batches: list[str]) -> list[int]:
    items = [NewIntent(sale(b), None, f"h{n}") for n, b in enumerate(batches)]
    return [intent.payload["serial"] for intent, _ in add_intents(engine, VENDOR, "sale", items)]


def test_concurrent_writers_get_unique_serials_rising_with_intent_ids(databases: Databases) -> None:
    url = databases.url()
    engines = [databases.engine(url) for _ in range(4)]  # four pools: as four API processes
    mixes = [[A], [A, B], [B, A, A], [C, A]]
    errors: list[BaseException] = []

    def writer(engine: Engine, n: int) -> None:
        try:
            for round_ in range(25):
                store_sales(engine, mixes[(n + round_) % len(mixes)])
        except BaseException as exc:  # reported below: a thread's exception is not the test's
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(e, n)) for n, e in enumerate(engines)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors
    intents = intents_of(engines[0])
    assert len(intents) == 4 * 25 * 2  # every mix has two sales on average: 8 per round of four
    for batch in (A, B, C):
        serials = [i.payload["serial"] for i in intents if i.payload["batch_id"] == batch]  # by intent id
        assert serials == list(range(1, len(serials) + 1))  # unique, no gap, in intent-id order


def test_a_batch_starts_above_the_sales_on_the_chain(chain: Chain, databases: Databases) -> None:
    engine, market = databases.engine(), chain.market
    batch = at_stall(market, quantity=100)
    for _ in range(3):  # sold outside the queue: the chain's count is 3, the index knows nothing
        market.ledger.record_sale(market.vendor, batch, quantity=1, price=1, currency="CNY")
    stored = accept(engine, market.vendor.address, "sale", [(sale("0x" + batch.hex()), None)], ledger=market.ledger)
    assert stored[0][0].payload["serial"] == 4
    again = accept(engine, market.vendor.address, "sale", [(sale("0x" + batch.hex()), None)] * 2)
    assert [i.payload["serial"] for i, _ in again] == [5, 6]  # the counter goes on from its row


def test_the_chain_records_each_sale_under_its_reserved_serial_and_a_refusal_leaves_a_gap(
    chain: Chain, databases: Databases
) -> None:
    engine, market = databases.engine(), chain.market
    batch = "0x" + at_stall(market, quantity=10).hex()
    other = "0x" + at_stall(market, quantity=10).hex()
    # The third asks for more than is left after the first two: refused alone at the estimate.
    payloads = [sale(batch, 4), sale(other, 1), sale(batch, 4), sale(batch, 5), sale(batch, 2), sale(other, 2)]
    stored = accept(engine, market.vendor.address, "sale", [(p, None) for p in payloads], ledger=market.ledger)
    reserved = [i.payload["serial"] for i, _ in stored]
    assert reserved == [1, 1, 2, 3, 4, 2]
    final = submit_until_final(engine, market.ledger, [market.vendor], [i.id for i, _ in stored])
    outcomes = [final[i.id] for i, _ in stored]
    assert [o.status for o in outcomes] == ["recorded", "recorded", "recorded", "refused", "recorded", "recorded"]
    assert outcomes[3].error["name"] == "InsufficientQuantity"  # type: ignore[index]
    recorded = [(o.payload["serial"], o.result["serial"]) for o in outcomes if o.status == "recorded"]  # type: ignore[index]
    assert all(mine == chains for mine, chains in recorded)
    assert market.ledger.batch(bytes.fromhex(batch[2:])).sale_count == 4  # serial 3 never used
    later = accept(engine, market.vendor.address, "sale", [(sale(batch, 1), None)], ledger=market.ledger)
    assert later[0][0].payload["serial"] == 5  # a refused sale's serial is not given again


def test_a_retry_with_the_same_key_gets_the_first_intent_and_its_serial(databases: Databases) -> None:
    engine = databases.engine()
    first = add_intents(engine, VENDOR, "sale", [NewIntent(sale(A), "scale/front/7", "h")])
    again = add_intents(engine, VENDOR, "sale", [NewIntent(sale(A), "scale/front/7", "h")])
    assert (again[0][0].id, again[0][0].payload["serial"], again[0][1]) == (first[0][0].id, 1, False)
    assert store_sales(engine, [A]) == [2]  # the retry reserved nothing


def test_a_reserved_serial_is_pending_until_refused(databases: Databases) -> None:
    engine = databases.engine()
    stored = add_intents(engine, VENDOR, "sale", [NewIntent(sale(A), None, "h1"), NewIntent(sale(A), None, "h2")])
    assert [sale_pending(engine, A.upper().replace("0X", "0x"), n) for n in (1, 2, 3)] == [True, True, False]
    assert not sale_pending(engine, B, 1)  # no serial of B was ever reserved
    refuse(engine, [stored[1][0].id], {"name": "BatchRecalled", "args": {}, "message": "recalled"})
    assert [sale_pending(engine, A, n) for n in (1, 2)] == [True, False]  # a refused sale's serial names none


def test_batches_known_to_have_a_counter_are_not_looked_for_again(databases: Databases) -> None:
    engine = databases.engine()
    asked: list[list[str]] = []

    def chain_counts(batch_ids: Sequence[str]) -> dict[str, int]:
        asked.append(sorted(batch_ids))
        return dict.fromkeys(batch_ids, 0)

    counted: set[str] = set()

    def burst(batches: list[str]) -> list[int]:
        group = IntentGroup(VENDOR, "sale", [NewIntent(sale(b), None, f"h{n}") for n, b in enumerate(batches)])
        (outcome,) = add_intent_groups(engine, [group], sale_counts=chain_counts, counted=counted)
        return [intent.payload["serial"] for intent, _ in outcome]  # type: ignore[union-attr]

    assert burst([A, B]) == [1, 1]
    assert burst([B, A, A]) == [2, 2, 3]
    assert asked == [[A, B]]  # only the first burst asked for the chain's counts
    assert counted == {A, B}

    # A counter gone after all (a database restored from an older copy, say) is made again,
    # from the index's sales, like one whose chain count cannot be read.
    with engine.begin() as conn:
        conn.execute(delete(SaleSerial.__table__).where(SaleSerial.__table__.c.batch_id == A))
    assert burst([A, C]) == [1, 1]
    assert asked == [[A, B], [C]]
