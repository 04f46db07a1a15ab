"""A contract's refusal decoded: web3's revert exception, a node's JSON-RPC error answer or
raw revert data to :class:`ContractRevert`, with the single call's error inside a batch
call's refusal."""

from __future__ import annotations

from hexbytes import HexBytes
from web3.exceptions import ContractLogicError

from ledger.chain.abi import ContractAbi
from ledger.chain.jsonrpc import RpcError
from ledger.errors import ContractRevert, TransactionError


def revert_from(exc: ContractLogicError, abi: ContractAbi) -> TransactionError:
    """Turn web3's revert exception into :class:`ContractRevert` with the decoded custom error."""
    raw = exc.data
    data = HexBytes(raw) if isinstance(raw, (str, bytes)) and raw else b""
    revert = decode_revert(abi, bytes(data)) if data else None
    if revert is None:
        return TransactionError(f"the contract reverted: {exc}")
    return revert


def revert_from_rpc(error: RpcError, abi: ContractAbi) -> TransactionError | None:
    """An error answer to ``eth_call`` or ``eth_estimateGas`` as the contract's refusal
    (:class:`ContractRevert` when its data is a custom error of `abi`), or None when it is no
    revert (the node refused the call itself). Nodes answer a revert with code 3 or a message
    saying "revert", and the revert data as hex in ``data`` (geth, anvil, Besu), inside a
    ``data`` object, or after "Reverted " (Nethermind)."""
    data = error.data.get("data") if isinstance(error.data, dict) else error.data
    if isinstance(data, str) and data.startswith("Reverted "):
        data = data.removeprefix("Reverted ")
    payload = _hex_bytes(data)
    if payload is None and error.code != 3 and "revert" not in error.rpc_message.lower():
        return None
    revert = decode_revert(abi, payload) if payload else None
    return revert or TransactionError(f"the contract reverted: {error.rpc_message}")


def _hex_bytes(text: object) -> bytes | None:
    if not isinstance(text, str) or not text.startswith("0x") or len(text) < 10:
        return None  # shorter than a selector: no error to decode
    try:
        return bytes.fromhex(text[2:])
    except ValueError:
        return None


#: The batch calls' errors that wrap the single call's error of one refused item.
WRAPPING_ERRORS = frozenset({"HarvestLotInvalid", "ImportLineInvalid", "SaleInvalid"})


def decode_revert(abi: ContractAbi, data: bytes) -> ContractRevert | None:
    """The custom error in revert payload `data`, with a wrapped item error decoded as
    ``inner`` (one level: the contract never wraps twice); None when it is not recognised."""
    decoded = abi.decode_error(data)
    if decoded is None:
        return None
    name, args = decoded
    inner = None
    if name in WRAPPING_ERRORS:
        wrapped = abi.decode_error(bytes(args["reason"]))
        if wrapped is not None:
            inner = ContractRevert(*wrapped)
    return ContractRevert(name, args, inner=inner)
