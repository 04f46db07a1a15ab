"""Decoding a range's logs together: a block's number and time are read once a block, so the
events of a many-block range must equal those of each log decoded alone."""

from __future__ import annotations

import dataclasses

import pytest

from ledger.chain.abi import ContractAbi
from ledger.chain.events import ChainEvent, event_codec
from ledger.indexer.fetch import JsonRpc
from tests.factories.activity import run_activity
from tests.factories.chain import Chain


def test_a_range_decoded_together_equals_each_log_decoded_alone(chain: Chain) -> None:
    run_activity(chain.market, rounds=2)
    rpc = JsonRpc(chain.node.rpc_url)
    logs = rpc.call("eth_getLogs", [{"address": chain.deployment.address, "fromBlock": "0x0", "toBlock": "latest"}])
    rpc.close()
    codec = event_codec(ContractAbi.load(), "stored")
    together = codec.decode_logs(logs)
    alone = [event for log in logs for event in codec.decode_logs([log])]
    assert len({event.block_number for event in together}) > 3  # many blocks, several logs in some
    assert len(together) > len({event.block_number for event in together})
    assert together == alone
    # Without the logs' own block time, each block's time comes from the map given.
    untimed = [{key: value for key, value in log.items() if key != "blockTimestamp"} for log in logs]
    times = {event.block_number: 1_000 + event.block_number for event in together}
    assert [event.block_time for event in codec.decode_logs(untimed, times)] == [
        times[event.block_number] for event in together
    ]


def test_a_decoded_event_is_the_frozen_dataclass_its_constructor_makes(chain: Chain) -> None:
    """decode_logs sets an event's slots itself (not through ChainEvent's __init__): the event
    must equal and print like one made by the constructor, and stay as immutable."""
    run_activity(chain.market, rounds=1)
    rpc = JsonRpc(chain.node.rpc_url)
    logs = rpc.call("eth_getLogs", [{"address": chain.deployment.address, "fromBlock": "0x0", "toBlock": "latest"}])
    rpc.close()
    for event in event_codec(ContractAbi.load(), "stored").decode_logs(logs):
        made = ChainEvent(**{field.name: getattr(event, field.name) for field in dataclasses.fields(ChainEvent)})
        assert event == made and repr(event) == repr(made) and type(event) is ChainEvent
        with pytest.raises(dataclasses.FrozenInstanceError):
            event.block_number = 0  # type: ignore[misc]
