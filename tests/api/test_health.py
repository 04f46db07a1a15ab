"""GET /health: what a load balancer asks each API replica."""

from __future__ import annotations

from ledger.chain.node import rpc
from tests.api.conftest import Market


def test_health_says_up_to_which_block_the_database_is(api_market: Market) -> None:
    api_market.sync()
    head = int(str(rpc(api_market.rpc_url, "eth_blockNumber")), 16)

    answer = api_market.client.get("/health")

    assert answer.status_code == 200
    assert answer.json() == {
        "status": "ok",
        "as_of_block": head,
        "queue": {"queued": 0, "sent": 0, "oldest_s": None},
        "node": {"reachable": True, "block_number": head},
    }
