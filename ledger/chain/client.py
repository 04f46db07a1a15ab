"""Signed transactions to any JSON-RPC node, with the contract's revert reasons decoded.

Transactions are signed locally with eth-account (the node never holds a key): an
``eth_estimateGas`` (which also surfaces a revert before anything is sent), an
``eth_sendRawTransaction`` and receipt polling at a small interval. Nonces are tracked
locally per sender, so a burst of transactions costs no ``eth_getTransactionCount`` each.

The calls of the write path (calls, estimates, sends, receipts, the head block) go as raw
JSON-RPC (:mod:`ledger.chain.jsonrpc`): web3's formatting of a packed call's receipt (every
log's bytes wrapped, every address checksummed) cost more than decoding its events. Receipts
keep the node's hex for logs and hashes, with the numbers as ints (``status``,
``blockNumber``, ``gasUsed``). ``w3`` stays for the rest.

Example::

    client = ChainClient("http://127.0.0.1:8545")
    receipt = client.transact(account, to=address, data=calldata, abi=abi)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes
from web3 import Web3
from web3.types import RPCEndpoint

from ledger.chain.abi import ContractAbi
from ledger.chain.events import ChainEvent, event_codec
from ledger.chain.jsonrpc import JsonRpcConnection, RpcError
from ledger.chain.reverts import revert_from_rpc
from ledger.errors import NodeError, TransactionError, TransactionTimeout
from ledger.hexes import to_hex

#: Receipt polling: first after 10 ms, then each wait half as long again, up to 250 ms.
#: anvil mines on arrival, so a receipt is there at the first or second poll, and a single
#: writer keeps near the node's own rate (web3's fixed 100 ms caps it at ~10 tx/s); on a
#: chain that seals a block every few seconds, dozens of waiting requests polling every
#: 10 ms would flood the node with thousands of calls a second for nothing.
RECEIPT_POLL_S = 0.01
RECEIPT_POLL_MAX_S = 0.25
RECEIPT_POLL_GROWTH = 1.5
RECEIPT_TIMEOUT_S = 60.0
#: Gas estimates are raised by this factor: a later block may cost slightly more (warm/cold
#: slots differ when other transactions land first).
GAS_MARGIN = 1.2
#: Fee parameters are refreshed at most this often; a base fee moves 12.5% a block at most,
#: and the cap below leaves room for several full blocks.
FEE_REFRESH_S = 10.0
PRIORITY_FEE_WEI = 1_000_000  # 0.001 gwei: validators of a permissioned chain need no bribe


@dataclass(frozen=True)
class TxResult:
    """A mined, successful transaction and the contract events it emitted."""

    tx_hash: str
    block_number: int
    block_hash: str
    gas_used: int
    events: list[ChainEvent] = field(default_factory=list)
    contract_address: str | None = None

    def event(self, name: str) -> ChainEvent:
        """The first event called `name` (KeyError if none)."""
        for event in self.events:
            if event.name == name:
                return event
        raise KeyError(f"no {name} event in transaction {self.tx_hash}")

    def events_named(self, name: str) -> list[ChainEvent]:
        return [e for e in self.events if e.name == name]


#: How nodes refuse a transaction they already hold (geth, Besu, anvil, Nethermind), or
#: whose nonce a mined copy of it has used; each is checked by asking for the hash.
_RETRY_REFUSALS = ("already known", "already imported", "known transaction", "alreadyknown", "nonce too low")


@dataclass(frozen=True)
class SignedTx:
    """A transaction signed locally and not necessarily sent: its raw bytes are what a
    write queue stores before sending, so that a crash can re-send the very same bytes."""

    raw: bytes
    hash: str
    nonce: int
    gas: int


class ChainClient:
    """Sends locally signed transactions and makes calls on one JSON-RPC endpoint."""

    def __init__(self, rpc_url: str, *, request_timeout: float = 30.0) -> None:
        self.rpc_url = rpc_url
        # web3's validation asks the node for its chain id before every call and transaction:
        # cached (only that answer), it does not double the round trips of each write's check.
        provider = Web3.HTTPProvider(
            rpc_url,
            request_kwargs={"timeout": request_timeout},
            cache_allowed_requests=True,
            cacheable_requests={RPCEndpoint("eth_chainId")},
        )
        self.w3 = Web3(provider)
        self.rpc = JsonRpcConnection(rpc_url, timeout=request_timeout)
        self._nonces: dict[str, int] = {}
        self._lock = threading.Lock()
        self._fees: tuple[float, int, int] | None = None

    # ------------------------------------------------------------ chain facts

    @cached_property
    def chain_id(self) -> int:
        """The node's chain id (asked once: a node does not change chains under a client)."""
        return self._rpc(lambda: self.w3.eth.chain_id)

    def block_number(self) -> int:
        return int(self.rpc.call("eth_blockNumber", []), 16)

    def genesis_hash(self) -> str:
        return self._rpc(lambda: self.w3.eth.get_block(0)["hash"].to_0x_hex())

    def code_at(self, address: str) -> bytes:
        return bytes(self._rpc(lambda: self.w3.eth.get_code(Web3.to_checksum_address(address))))

    # ------------------------------------------------------------ calls

    def call(self, to: str, data: bytes, *, abi: ContractAbi, sender: str | None = None) -> bytes:
        """``eth_call``; a revert raises :class:`ContractRevert` with the decoded error."""
        tx: dict[str, Any] = {"to": to, "data": to_hex(data)}
        if sender:
            tx["from"] = sender
        return bytes.fromhex(self._call_or_revert("eth_call", [tx, "latest"], abi)[2:])

    # ------------------------------------------------------------ transactions

    def transact(
        self,
        account: LocalAccount,
        *,
        to: str | None,
        data: bytes,
        abi: ContractAbi,
        gas: int | None = None,
        event_address: str | None = None,
    ) -> TxResult:
        """Sign, send and wait for one transaction; return it with its decoded events.

        A revert, found by the gas estimate or in the receipt, raises :class:`ContractRevert`
        with the custom error's name and arguments; nothing is sent when the estimate reverts.
        """
        tx_hash = self.send(account, to=to, data=data, abi=abi, gas=gas)
        replay = {"from": account.address, "to": to, "data": data}
        return self.wait(tx_hash, abi=abi, event_address=event_address or to, replay=replay)

    def send(
        self,
        account: LocalAccount,
        *,
        to: str | None,
        data: bytes,
        abi: ContractAbi,
        gas: int | None = None,
        value: int = 0,
    ) -> str:
        """Sign and send one transaction without waiting; return its hash."""
        sender = account.address
        if gas is None:
            base: dict[str, Any] = {"from": sender, "data": to_hex(data), "value": hex(value)}
            if to is not None:
                base["to"] = to
            gas = int(self._estimate(base, abi) * GAS_MARGIN)
        with self._lock:
            nonce = self._next_nonce(sender)
            signed = self.sign(account, to=to, data=data, gas=gas, nonce=nonce, value=value)
            try:
                self.send_raw(signed.raw)
            except (TransactionError, NodeError):
                self._nonces.pop(sender, None)  # resynchronise from the node next time
                raise
            self._nonces[sender] = nonce + 1
        return signed.hash

    def wait(
        self,
        tx_hash: str,
        *,
        abi: ContractAbi,
        event_address: str | None,
        replay: dict[str, Any] | None = None,
        timeout: float = RECEIPT_TIMEOUT_S,
    ) -> TxResult:
        """Wait until `tx_hash` is mined; raise if it reverted."""
        deadline = time.monotonic() + timeout
        pause = RECEIPT_POLL_S
        while (receipt := self.receipt(tx_hash)) is None:
            if time.monotonic() > deadline:
                raise TransactionTimeout(f"transaction {tx_hash} not mined within {timeout:.0f} s") from None
            time.sleep(pause)
            pause = min(pause * RECEIPT_POLL_GROWTH, RECEIPT_POLL_MAX_S)
        if receipt["status"] != 1:
            raise self._explain_failure(tx_hash, receipt, abi, replay)
        return self.result_of(tx_hash, receipt, abi=abi, event_address=event_address)

    def result_of(self, tx_hash: str, receipt: Any, *, abi: ContractAbi, event_address: str | None) -> TxResult:
        """A successful receipt (as :meth:`receipt` gives it) as a :class:`TxResult` with the
        contract's decoded events."""
        events = event_codec(abi, "abi").decode_receipt(receipt["logs"], event_address) if event_address else []
        return TxResult(
            tx_hash=tx_hash,
            block_number=receipt["blockNumber"],
            block_hash=receipt["blockHash"],
            gas_used=receipt["gasUsed"],
            events=events,
            contract_address=receipt.get("contractAddress"),
        )

    # ------------------------------------------------------------ queue primitives

    def estimate(
        self, sender: str, *, to: str, data: bytes, abi: ContractAbi, value: int = 0, block: str = "pending"
    ) -> int:
        """``eth_estimateGas`` for a call from `sender` on `block`; a revert raises
        :class:`ContractRevert`.

        On "pending" by default, whatever a node's own default: the state after the sender's
        transactions in flight, so that a call which only their effects refuse (a sale of
        more than they leave) is found before it is sent, instead of reverting in its block."""
        tx: dict[str, Any] = {"from": sender, "to": to, "data": to_hex(data)}
        if value:
            tx["value"] = hex(value)
        return int(self._call_or_revert("eth_estimateGas", [tx, block], abi), 16)

    def sign(
        self, account: LocalAccount, *, to: str | None, data: bytes, gas: int, nonce: int, value: int = 0
    ) -> SignedTx:
        """Sign a transaction (a contract call, a deployment when `to` is None, or a payment)
        with an explicit nonce and gas; nothing is sent."""
        max_fee, priority = self._fee_caps()
        tx: dict[str, Any] = {
            "from": account.address,
            "data": HexBytes(data),
            "value": value,
            "chainId": self.chain_id,
            "gas": gas,
            "nonce": nonce,
            "maxFeePerGas": max_fee,
            "maxPriorityFeePerGas": priority,
            "type": 2,
        }
        if to is not None:
            tx["to"] = Web3.to_checksum_address(to)
        signed = account.sign_transaction(tx)
        return SignedTx(bytes(signed.raw_transaction), signed.hash.to_0x_hex(), nonce, gas)

    def receipt(self, tx_hash: str) -> dict[str, Any] | None:
        """The receipt of `tx_hash`, or None while it is not mined (or unknown): the node's
        JSON, with ``status``, ``blockNumber``, ``gasUsed``, ``transactionIndex`` as ints and
        ``contractAddress`` checksummed; logs and hashes stay hex."""
        receipt = self.rpc.call("eth_getTransactionReceipt", [tx_hash])
        if receipt is None:
            return None
        for name in ("status", "blockNumber", "gasUsed", "transactionIndex", "cumulativeGasUsed"):
            if isinstance(receipt.get(name), str):
                receipt[name] = int(receipt[name], 16)
        if receipt.get("contractAddress"):
            receipt["contractAddress"] = to_checksum_address(receipt["contractAddress"])
        return receipt

    def block_hashes(self, numbers: list[int]) -> list[str | None]:
        """The hashes of blocks `numbers` on the node's chain now (None: no such block yet),
        in one batched request."""
        if not numbers:
            return []
        payload = [
            {"jsonrpc": "2.0", "id": n, "method": "eth_getBlockByNumber", "params": [hex(number), False]}
            for n, number in enumerate(numbers)
        ]
        answers = self.rpc.post(payload)
        if not isinstance(answers, list):
            raise NodeError(f"{self.rpc_url} answered a batch of {len(numbers)} block requests with {answers!r:.200}")
        by_id = {answer.get("id"): answer for answer in answers if isinstance(answer, dict)}
        hashes: list[str | None] = []
        for n in range(len(numbers)):
            block = by_id.get(n, {}).get("result")
            hashes.append(str(block["hash"]) if isinstance(block, dict) else None)
        return hashes

    def mined_at(self, tx_hash: str) -> tuple[int, str] | None:
        """The number and hash of the block holding `tx_hash` on the node's chain now, or None
        while it is pending or unknown (a small answer, unlike a receipt with its logs)."""
        tx = self.rpc.call("eth_getTransactionByHash", [tx_hash])
        if not tx or not tx.get("blockHash"):
            return None
        return int(tx["blockNumber"], 16), str(tx["blockHash"])

    def knows(self, tx_hash: str) -> bool:
        """Whether the node holds `tx_hash`, pending or mined."""
        return self.rpc.call("eth_getTransactionByHash", [tx_hash]) is not None

    def nonce_of(self, sender: str, block: str = "latest") -> int:
        """How many transactions of `sender` the node counts (mined: "latest"; with its pool: "pending")."""
        return int(self.rpc.call("eth_getTransactionCount", [sender, block]), 16)

    def revert_reason(
        self,
        sender: str,
        *,
        to: str,
        data: bytes,
        abi: ContractAbi,
        block: int | str = "latest",
        gas: int | None = None,
    ) -> TransactionError | None:
        """Run a call as `sender` on `block`; the error it reverts with, or None if it passes.
        `gas`: the call's gas limit, as a transaction's (its intrinsic gas included); a call
        that runs out of it raises :class:`RpcError` (no revert: no contract error)."""
        call = {"from": sender, "to": to, "data": to_hex(data)}
        if gas is not None:
            call["gas"] = hex(gas)
        try:
            self._call_or_revert("eth_call", [call, hex(block) if isinstance(block, int) else block], abi)
        except TransactionError as exc:
            return exc
        return None

    def balance(self, address: str) -> int:
        return int(self._rpc(lambda: self.w3.eth.get_balance(Web3.to_checksum_address(address))))

    def fund(self, account: LocalAccount, to: str, amount: int, *, abi: ContractAbi) -> TxResult:
        """Send `amount` wei of the chain's native currency (gas money) to `to`."""
        tx_hash = self.send(account, to=to, data=b"", abi=abi, gas=21_000, value=amount)
        return self.wait(tx_hash, abi=abi, event_address=None)

    def send_raw(self, raw: bytes) -> str:
        """Send a signed transaction as it is; return its hash. A node that already holds
        this very transaction (a retried request whose first attempt arrived) is no error."""
        tx_hash = to_hex(keccak(raw))
        try:
            return str(self.rpc.call("eth_sendRawTransaction", [to_hex(raw)]))
        except RpcError as exc:
            if not self._holds(exc, tx_hash):
                raise TransactionError(f"the node refused the transaction: {exc.rpc_message}") from exc
            return tx_hash

    def _holds(self, refusal: Exception, tx_hash: str) -> bool:
        """Whether a refused send is in fact on its way: the node already holds this very
        transaction, pending or mined. web3 retries ``eth_sendRawTransaction`` after a dropped
        connection; when the first attempt did arrive, the retry is refused ("already known",
        or "nonce too low" once a block has taken it), yet the transaction is fine."""
        if not any(words in str(refusal).lower() for words in _RETRY_REFUSALS):
            return False
        return self.knows(tx_hash)

    def forget_nonces(self) -> None:
        """Drop the locally tracked nonces; the next transaction of each sender asks the node.

        Needed after the chain went back in time (a reorg, or ``evm_revert`` in tests).
        """
        with self._lock:
            self._nonces.clear()

    # ------------------------------------------------------------ internals

    def _estimate(self, tx: dict[str, Any], abi: ContractAbi) -> int:
        return int(self._call_or_revert("eth_estimateGas", [tx], abi), 16)

    def _call_or_revert(self, method: str, params: list[Any], abi: ContractAbi) -> Any:
        """``eth_call`` or ``eth_estimateGas``; a revert raises the contract's error decoded
        (:class:`ContractRevert`), any other error answer :class:`RpcError`."""
        try:
            return self.rpc.call(method, params)
        except RpcError as exc:
            revert = revert_from_rpc(exc, abi)
            if revert is None:
                raise
            raise revert from None

    def _fee_caps(self) -> tuple[int, int]:
        now = time.monotonic()
        if self._fees is None or now - self._fees[0] > FEE_REFRESH_S:
            latest = self.rpc.call("eth_getBlockByNumber", ["latest", False])
            base_fee = int(latest.get("baseFeePerGas") or "0x0", 16)
            self._fees = (now, 2 * base_fee + PRIORITY_FEE_WEI, PRIORITY_FEE_WEI)
        return self._fees[1], self._fees[2]

    def _next_nonce(self, sender: str) -> int:
        if sender not in self._nonces:
            self._nonces[sender] = self.nonce_of(sender, "pending")
        return self._nonces[sender]

    def _explain_failure(
        self, tx_hash: str, receipt: Any, abi: ContractAbi, replay: dict[str, Any] | None
    ) -> TransactionError:
        """Re-run a reverted transaction as a call on the parent block to recover its error."""
        if replay is not None and replay.get("to") is not None:
            reason = self.revert_reason(
                replay["from"], to=replay["to"], data=replay["data"], abi=abi, block=receipt["blockNumber"] - 1
            )
            if reason is not None:
                return reason
        return TransactionError(f"transaction {tx_hash} reverted in block {receipt['blockNumber']}")

    def _rpc(self, fn: Callable[[], Any]) -> Any:
        """Run one web3 call; an unreachable node becomes :class:`NodeError`."""
        try:
            return fn()
        except OSError as exc:
            raise NodeError(f"cannot reach {self.rpc_url}: {exc}") from exc
