"""The transaction client on a real node: pipelined sends, reverts found after mining."""

from __future__ import annotations

import time

import pytest

from ledger.chain.freshledger import code
from ledger.errors import ContractRevert
from tests.factories.market import GTIN, Market, new_lot


def test_pipelined_sends_keep_nonces_in_order(market: Market) -> None:
    ledger = market.ledger
    lots = [new_lot("PIPE") for _ in range(20)]
    hashes = [
        ledger.client.send(
            market.supplier,
            to=ledger.address,
            data=ledger.abi.encode_call(
                "registerHarvest", [int(GTIN), lot, 5, code("KGM", 3), int(time.time()) - 60, "6901234000016", b""]
            ),
            abi=ledger.abi,
            gas=120_000,
        )
        for lot in lots
    ]
    results = [ledger.client.wait(h, abi=ledger.abi, event_address=ledger.address) for h in hashes]
    assert [r.event("HarvestRegistered").args["lot"] for r in results] == lots
    assert len({r.transaction_hash for r in results}) == 20


def test_revert_found_after_mining_is_decoded(market: Market) -> None:
    """With an explicit gas limit nothing is estimated, so the revert shows in the receipt;
    the client replays the call to name the error."""
    ledger = market.ledger
    data = ledger.abi.encode_call("recall", [[bytes(32)], "no such batch"])
    with pytest.raises(ContractRevert) as refused:
        ledger.client.transact(market.regulator, to=ledger.address, data=data, abi=ledger.abi, gas=100_000)
    assert (refused.value.name, refused.value.args_by_name) == ("BatchNotFound", {"batchId": bytes(32)})
