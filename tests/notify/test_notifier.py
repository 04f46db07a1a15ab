"""The notifier on the demo market: a recall indexed from a real chain becomes one signed
notification per affected stall, delivered over real HTTP to a local receiver, retried with
backoff when the receiver fails, and never sent twice."""

from __future__ import annotations

import threading
import time
from collections import defaultdict

from ledger import demo
from ledger.notify import SIGNATURE_HEADER, Backoff, Notifier, TargetPolicy, load_secret_box, verify_signature
from ledger.notify.signature import parse_header
from ledger.recall import LotRecall, recall_lot
from ledger.store.webhooks import create_webhook, delete_webhook, list_deliveries, set_notifier_cursor
from tests.notify.receiver import Receiver
from tests.recall.demo_chain import GREENS_LOT, DemoChain

REASON = "Listeria monocytogenes in GV-2611-01"
STALLS = ("stall_a", "stall_b", "stall_c")
#: The receiver listens on loopback, which webhooks may reach only when the operator allows it.
LOOPBACK_ALLOWED = TargetPolicy.parse("127.0.0.1")


def notifier_of(market: DemoChain, **options: object) -> Notifier:
    """The market's notifier, with its key file, allowed to reach the local receiver."""
    return Notifier(market.engine, box=load_secret_box(market.data_dir), targets=LOOPBACK_ALLOWED, **options)  # type: ignore[arg-type]


def create(market: DemoChain, stall: str, url: str, description: str | None = None, now: int = 0) -> tuple:
    return create_webhook(market.engine, load_secret_box(market.data_dir), stall, url, description, now)


class Clock:
    """Unix seconds the test moves by hand, to step through the backoff without sleeping."""

    def __init__(self, now: int = 1_800_000_000) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def register(market: DemoChain, inbox: Receiver) -> dict[str, tuple[str, str]]:
    """A webhook per demo stall at ``/<stall>``: stall address -> (path, secret)."""
    hooks = {}
    for name in STALLS:
        stall = getattr(market.cast, name, None)
        if stall is None:  # an older, smaller demo market
            continue
        _, secret = create(market, stall.address, inbox.url(f"/{name}"), name, int(time.time()))
        hooks[stall.address] = (f"/{name}", secret)
    return hooks


def recall_greens(market: DemoChain, **kwargs: object) -> LotRecall:
    result = recall_lot(market.trace(market.greens()), market.sender(), REASON, **kwargs)  # type: ignore[arg-type]
    market.sync()
    return result


def sales_by_stall(result: LotRecall) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for sale in result.sales:
        found[sale.vendor.address].append(sale.sale_id)
    return found


def test_one_signed_notification_per_affected_stall(market: DemoChain, inbox: Receiver) -> None:
    hooks = register(market, inbox)  # after the demo's own recall: that one is history
    result = recall_greens(market)
    clock = Clock()

    report = notifier_of(market, clock=clock).run_once()

    affected = {p.address for p in result.stalls}
    assert affected and affected < set(hooks)  # some stall sells no greens
    assert report.queued == report.delivered == len(affected)
    sold = sales_by_stall(result)
    (tx,) = result.outcome.transactions
    for stall, (path, secret) in hooks.items():
        received = inbox.to(path)
        if stall not in affected:
            assert received == []
            continue
        (message,) = received
        assert verify_signature(secret, message.body, message.headers[SIGNATURE_HEADER], now=clock.now)
        assert not verify_signature(hooks[next(iter(set(hooks) - {stall}))][1], message.body,
                                    message.headers[SIGNATURE_HEADER], now=clock.now)  # fmt: skip
        body = message.json()
        assert body["type"] == "recall.issued" and message.headers["FreshLedger-Event"] == "recall.issued"
        assert body["reason"] == REASON
        assert body["regulator"] == market.cast.regulator.address
        assert body["lot"] == {"batch_id": market.greens(), "gtin": demo.GREENS_GTIN, "lot": GREENS_LOT}
        assert body["batch_ids"] == result.recalled_batch_ids
        assert body["sale_ids"] == sold[stall]
        assert set(body["affected_batch_ids"]) >= {s.batch_id for s in result.sales if s.vendor.address == stall}
        assert (body["tx_hash"], body["block_number"]) == (tx.tx_hash, tx.block_number)
        assert body["stall"] == stall
    deliveries = list_deliveries(market.engine)
    assert sorted((d.status, d.attempts, d.last_outcome) for d in deliveries) == [("delivered", 1, "2xx")] * len(
        affected
    )


def test_rerun_and_rescan_send_no_duplicate(market: DemoChain, inbox: Receiver) -> None:
    register(market, inbox)
    recall_greens(market)
    notifier_of(market).run_once()
    sent = len(inbox.requests)
    assert sent > 0

    notifier_of(market).run_once()  # a restarted notifier
    set_notifier_cursor(market.engine, 0)  # and one that lost its cursor and rescans everything
    again = notifier_of(market).run_once()

    assert again.queued == again.delivered == 0
    assert len(inbox.requests) == sent
    assert len(list_deliveries(market.engine)) == sent


def test_a_failing_receiver_is_retried_with_backoff_and_recorded(market: DemoChain, inbox: Receiver) -> None:
    hooks = register(market, inbox)
    stall = market.cast.stall_a.address  # sells greens in every version of the demo
    path, secret = hooks[stall]
    inbox.script[path] = [500, 503]
    recall_greens(market)
    clock = Clock(1_000)
    notifier = notifier_of(market, clock=clock, backoff=Backoff(base_s=5))

    notifier.run_once()
    (delivery,) = list_deliveries(market.engine, _hook_id(market, stall))
    assert (delivery.status, delivery.attempts, delivery.last_outcome) == ("pending", 1, "5xx")
    assert delivery.next_attempt_at == 1_005

    notifier.run_once()  # not due yet: nothing sent
    assert len(inbox.to(path)) == 1
    clock.now = 1_005
    notifier.run_once()
    (delivery,) = list_deliveries(market.engine, delivery.webhook_id)
    assert (delivery.status, delivery.attempts, delivery.last_outcome) == ("pending", 2, "5xx")
    assert delivery.next_attempt_at == 1_015  # doubled
    clock.now = 1_015
    notifier.run_once()
    (delivery,) = list_deliveries(market.engine, delivery.webhook_id)
    assert (delivery.status, delivery.attempts, delivery.delivered_at) == ("delivered", 3, 1_015)

    attempts = inbox.to(path)
    assert [parse_header(r.headers[SIGNATURE_HEADER])[0] for r in attempts] == [1_000, 1_005, 1_015]
    assert len({r.body for r in attempts}) == 1  # the same notification, signed afresh each time
    assert all(verify_signature(secret, r.body, r.headers[SIGNATURE_HEADER], now=clock.now) for r in attempts)
    clock.now = 100_000
    notifier.run_once()
    assert len(inbox.to(path)) == 3


def test_a_receiver_that_never_answers_2xx_is_given_up_after_max_attempts(market: DemoChain, inbox: Receiver) -> None:
    hooks = register(market, inbox)
    stall = market.cast.stall_a.address
    path, _ = hooks[stall]
    inbox.script[path] = [500] * 10
    recall_greens(market)
    clock = Clock(1_000)
    notifier = notifier_of(market, clock=clock, backoff=Backoff(base_s=1, max_attempts=2))

    for step in range(5):
        clock.now = 1_000 + 10 * step
        notifier.run_once()

    (delivery,) = list_deliveries(market.engine, _hook_id(market, stall))
    assert (delivery.status, delivery.attempts, delivery.last_outcome) == ("failed", 2, "5xx")
    assert len(inbox.to(path)) == 2


def test_an_unreachable_receiver_is_recorded_for_retry(market: DemoChain) -> None:
    from ledger.chain.node import free_port

    stall = market.cast.stall_a.address
    record, _ = create(market, stall, f"http://127.0.0.1:{free_port()}/hook")
    recall_greens(market)

    report = notifier_of(market, clock=Clock(1_000)).run_once()

    assert report.retrying == 1
    (delivery,) = list_deliveries(market.engine, record.webhook_id)
    assert (delivery.status, delivery.last_outcome) == ("pending", "refused")


def test_a_deleted_webhook_gets_nothing(market: DemoChain, inbox: Receiver) -> None:
    hooks = register(market, inbox)
    stall = market.cast.stall_a.address
    recall_greens(market)
    notifier = notifier_of(market, clock=Clock(1_000))
    notifier.scan()
    hook_id = _hook_id(market, stall)
    assert delete_webhook(market.engine, stall, hook_id, 1_000)
    assert not delete_webhook(market.engine, stall, hook_id, 1_000)  # once

    notifier.deliver_due()

    assert inbox.to(hooks[stall][0]) == []
    (delivery,) = list_deliveries(market.engine, hook_id)
    assert (delivery.status, delivery.last_outcome) == ("failed", "deleted")


def test_a_recall_of_the_farm_lot_alone_reaches_stalls_selling_its_repacks(market: DemoChain, inbox: Receiver) -> None:
    hooks = register(market, inbox)
    trace = market.trace(market.greens())
    market.ledger.recall(market.cast.regulator, [bytes.fromhex(market.greens()[2:])], REASON)
    market.sync()

    notifier_of(market).run_once()

    for stall in {s.vendor.address for s in trace.sales}:
        (message,) = inbox.to(hooks[stall][0])
        assert message.json()["batch_ids"] == [market.greens()]
        assert message.json()["sale_ids"] == [s.sale_id for s in trace.sales if s.vendor.address == stall]


def test_follow_mode_notifies_within_polls_of_the_indexer(market: DemoChain, inbox: Receiver) -> None:
    hooks = register(market, inbox)
    stop = threading.Event()
    notifier = notifier_of(market)
    threads = [
        threading.Thread(target=market.indexer.follow, kwargs={"poll_interval": 0.05, "stop": stop}),
        threading.Thread(target=notifier.follow, kwargs={"poll_interval": 0.05, "stop": stop}),
    ]
    for thread in threads:
        thread.start()
    try:
        result = recall_lot(market.trace(market.greens()), market.sender(), REASON)
        expected = {hooks[p.address][0] for p in result.stalls}
        deadline = time.monotonic() + 30
        while {r.path for r in inbox.requests} != expected and time.monotonic() < deadline:
            time.sleep(0.05)  # bounded polling for the awaited deliveries
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        notifier.close()
    assert sorted(r.path for r in inbox.requests) == sorted(expected)


def _hook_id(market: DemoChain, stall: str) -> str:
    from ledger.store.webhooks import list_webhooks

    (hook,) = list_webhooks(market.engine, stall)
    return hook.webhook_id
