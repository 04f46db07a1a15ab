"""Faults between the scales and the chain: the broker restarts, the gateway is killed with
-9, the chain is down. In each case every weighing ends as exactly one sale on the chain
(counted from the node's own logs) and one receipt at the scale: nothing lost, nothing doubled.

The chain is down for CHAIN_DOWN_S = 10 s rather than the issue's 30 s: the behaviour is the
same (the submitter retries, the scale resends after RESEND_S = 5 s and is answered from the
gateway's table), and the suite pays 20 s less. ``tests/api/test_outage.py`` pays the 30 s.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ledger.scales.simulator import ScaleSimulator
from ledger.store.scales import weighing_count
from tests.factories.market import at_stall
from tests.scales.conftest import ScaleRig, wait_until

CHAIN_DOWN_S = 10.0


def _weigh_through(rig: ScaleRig, count: int, fault: Callable[[], None], *, gap: float = 0.1) -> ScaleSimulator:
    """Weigh `count` times at the vendor's scale while `fault` happens, then wait for every
    answer and check the chain's count."""
    batch_id = at_stall(rig.market, quantity=10_000)
    rig.map_plu(rig.market.vendor, 1, batch_id)
    rig.start_gateway()
    scale = rig.scale(rig.market.vendor, "front")

    def weigh() -> None:
        for _ in range(count):
            scale.weigh(1, 1, "KGM", 1000)
            time.sleep(gap)

    weigher = threading.Thread(target=weigh)
    weigher.start()
    time.sleep(count * gap / 3)
    fault()
    weigher.join()
    wait_until(lambda: scale.unanswered() == 0, 120, "every weighing answered")
    answers = scale.answers()
    assert sorted(answers) == list(range(1, count + 1))
    assert {a["type"] for a in answers.values()} == {"receipt"}
    # Receipts come as soon as a weighing is stored: the sales reach the chain after them.
    wait_until(lambda: len(rig.sales_on_chain()) >= count, 120, "every sale on the chain")
    time.sleep(1)  # a doubled sale would show up now
    serials = rig.sales_on_chain()
    assert sorted(serials) == list(range(1, count + 1))  # none lost, none doubled
    assert sorted(a["serial"] for a in answers.values()) == sorted(serials)  # each receipt its own sale
    assert weighing_count(rig.engine) == count
    return scale


def test_broker_restart(rig: ScaleRig) -> None:
    def restart() -> None:
        rig.broker.stop()
        time.sleep(2)  # weighings meanwhile stay at the scale
        rig.broker.start()

    _weigh_through(rig, 30, restart)


def test_gateway_killed_with_9(rig: ScaleRig) -> None:
    def kill_and_restart() -> None:
        rig.kill_gateway()
        time.sleep(1.5)
        rig.start_gateway()

    _weigh_through(rig, 40, kill_and_restart, gap=0.05)


def test_chain_down(rig: ScaleRig) -> None:
    def outage() -> None:
        rig.node.stop()
        time.sleep(CHAIN_DOWN_S)
        rig.node.start()

    _weigh_through(rig, 30, outage, gap=0.2)
