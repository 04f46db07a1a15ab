"""The transaction client on a real node: pipelined sends, reverts found after mining."""

from __future__ import annotations

import pytest

from ledger.chain.freshledger import code
from ledger.chain.node import NodeInfo, rpc
from ledger.errors import ContractRevert, TransactionError
from tests.factories.market import GTIN, Market, new_lot


def test_pipelined_sends_keep_nonces_in_order(market: Market) -> None:
    ledger = market.ledger
    lots = [new_lot("PIPE") for _ in range(20)]
    # Dated by the chain's clock, which lags the wall clock after an evm_revert.
    harvested_at = ledger.client.w3.eth.get_block("latest")["timestamp"] - 60
    hashes = [
        ledger.client.send(
            market.supplier,
            to=ledger.address,
            data=ledger.abi.encode_call(
                "registerHarvest", [int(GTIN), lot, 5, code("KGM", 3), harvested_at, "6901234000016", b""]
            ),
            abi=ledger.abi,
            gas=120_000,
        )
        for lot in lots
    ]
    results = [ledger.client.wait(h, abi=ledger.abi, event_address=ledger.address) for h in hashes]
    assert [r.event("HarvestRegistered").args["lot"] for r in results] == lots
    assert len({r.tx_hash for r in results}) == 20


def test_revert_found_after_mining_is_decoded(market: Market) -> None:
    """With an explicit gas limit nothing is estimated, so the revert shows in the receipt;
    the client replays the call to name the error."""
    ledger = market.ledger
    data = ledger.abi.encode_call("recall", [[bytes(32)], "no such batch"])
    with pytest.raises(ContractRevert) as refused:
        ledger.client.transact(market.regulator, to=ledger.address, data=data, abi=ledger.abi, gas=100_000)
    assert (refused.value.name, refused.value.args_by_name) == ("BatchNotFound", {"batchId": bytes(32)})


def _signed_harvest(market: Market, lot: str, nonce: int) -> bytes:
    ledger = market.ledger
    # Harvested a minute before the chain's own clock: after evm_revert anvil's clock can run
    # behind the wall clock, and the contract refuses a date in its future.
    harvested_at = ledger.client.w3.eth.get_block("latest")["timestamp"] - 60
    data = ledger.abi.encode_call(
        "registerHarvest", [int(GTIN), lot, 5, code("KGM", 3), harvested_at, "6901234000016", b""]
    )
    tx = {
        "to": ledger.address,
        "data": data,
        "gas": 200_000,
        "nonce": nonce,
        "chainId": ledger.client.chain_id,
        "maxFeePerGas": 10**10,
        "maxPriorityFeePerGas": 10**6,
        "type": 2,
    }
    return bytes(market.supplier.sign_transaction(tx).raw_transaction)


def test_a_transaction_the_node_already_holds_is_sent_not_refused(market: Market, node: NodeInfo) -> None:
    """web3 retries eth_sendRawTransaction after a connection error; when the first attempt
    arrived, the node answers the retry 'already imported', and the transaction is on its way."""
    ledger = market.ledger
    client = ledger.client
    lot = new_lot("TWICE")
    raw = _signed_harvest(market, lot, client.w3.eth.get_transaction_count(market.supplier.address, "pending"))
    rpc(node.rpc_url, "evm_setAutomine", [False])
    try:
        first = rpc(node.rpc_url, "eth_sendRawTransaction", ["0x" + raw.hex()])
        again = client.send_raw(raw)
        rpc(node.rpc_url, "evm_mine")
    finally:
        rpc(node.rpc_url, "evm_setAutomine", [True])

    assert again == first
    result = client.wait(again, abi=ledger.abi, event_address=ledger.address)
    assert result.event("HarvestRegistered").args["lot"] == lot


def test_a_retry_after_the_transaction_was_mined_is_not_refused(market: Market, node: NodeInfo) -> None:
    """The first attempt arrived and a block took it before the retry: 'nonce too low', yet
    the node holds this very transaction."""
    client = market.ledger.client
    nonce = client.w3.eth.get_transaction_count(market.supplier.address, "pending")
    raw = _signed_harvest(market, new_lot("MINED"), nonce)
    first = rpc(node.rpc_url, "eth_sendRawTransaction", ["0x" + raw.hex()])  # automine: mined now

    assert client.send_raw(raw) == first


def test_another_transaction_with_a_used_nonce_is_refused(market: Market, node: NodeInfo) -> None:
    client = market.ledger.client
    nonce = client.w3.eth.get_transaction_count(market.supplier.address, "pending")
    rpc(node.rpc_url, "eth_sendRawTransaction", ["0x" + _signed_harvest(market, new_lot("FIRST"), nonce).hex()])

    with pytest.raises(TransactionError, match="nonce too low"):
        client.send_raw(_signed_harvest(market, new_lot("SECOND"), nonce))
