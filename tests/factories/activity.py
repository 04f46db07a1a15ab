"""Market activity that exercises every event the contract emits, for indexer tests."""

from __future__ import annotations

import random
from collections.abc import Iterator

from ledger.chain.freshledger import Residue
from tests.factories.market import OTHER_GTIN, Market, deliver, harvest, new_lot


def run_activity(market: Market, rounds: int, *, seed: int = 7) -> None:
    """`rounds` rounds of farm-to-stall traffic with repacking, tests, sales and recalls."""
    rng = random.Random(seed)
    ledger = market.ledger
    spare: list[bytes] = []
    for round_number in range(rounds):
        batch_id = harvest(market, quantity=rng.randint(40, 200), gtin=rng.choice([OTHER_GTIN, "06901234000016"]))
        deliver(market, batch_id, market.supplier, market.supplier2)
        parts = ledger.split(market.supplier2, batch_id, [(new_lot("C"), 10), (new_lot("C"), 10)])
        first, second = (e.args["childId"] for e in parts.events_named("BatchSplit"))
        ledger.record_inspection(
            market.lab, first, passed=True, residues=[Residue("chlorpyrifos", rng.randint(0, 9), 10)]
        )
        if round_number % 3 == 1:
            ledger.record_inspection(market.lab, second, passed=False, residues=[Residue("carbofuran", 30, 20)])
            if round_number % 2 == 1:
                ledger.release_quarantine(market.regulator, second, "retained sample re-tested within limits")
        deliver(market, first, market.supplier2, market.vendor)
        for _ in range(rng.randint(1, 3)):
            ledger.record_sale(market.vendor, first, quantity=1, price=rng.randint(100, 900), currency="CNY")
        if round_number % 4 == 2:
            ledger.hand_off(market.supplier2, batch_id, market.vendor2.address)
            ledger.cancel_hand_off(market.supplier2, batch_id)
        spare.append(harvest(market, quantity=5))
        if len(spare) == 2:
            ledger.merge(market.supplier, spare, new_lot("M"))
            spare.clear()
        if round_number % 5 == 4:
            ledger.recall(market.regulator, [first], "precautionary recall after a supplier audit")
        if round_number % 6 == 5:
            ledger.suspend_participant(market.admin, market.vendor2.address, "licence renewal pending")
            ledger.reinstate_participant(market.admin, market.vendor2.address)
            ledger.transact(
                market.admin, "updateParticipant", market.vendor2.address, f"Stall B03 r{round_number}", "JY1"
            )


def harvest_requests(market: Market, count: int) -> Iterator[dict]:
    """Unsigned harvest transactions (anvil signs them for its unlocked dev accounts), for
    the replacement blocks of ``anvil_reorg``."""
    import time

    from ledger.chain.freshledger import code

    for _ in range(count):
        data = market.ledger.abi.encode_call(
            "registerHarvest", [int(OTHER_GTIN), new_lot("R"), 7, code("KGM", 3), int(time.time()) - 60, "geo:1,2", b""]
        )
        yield {
            "from": market.supplier.address,
            "to": market.ledger.address,
            "data": "0x" + data.hex(),
            "gas": hex(200_000),
        }
