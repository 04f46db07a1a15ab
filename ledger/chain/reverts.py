"""A contract's refusal decoded: web3's revert exception or raw revert data to
:class:`ContractRevert`, with the single call's error inside a batch call's refusal."""

from __future__ import annotations

from hexbytes import HexBytes
from web3.exceptions import ContractLogicError

from ledger.chain.abi import ContractAbi
from ledger.errors import ContractRevert, TransactionError


def revert_from(exc: ContractLogicError, abi: ContractAbi) -> TransactionError:
    """Turn web3's revert exception into :class:`ContractRevert` with the decoded custom error."""
    raw = exc.data
    data = HexBytes(raw) if isinstance(raw, (str, bytes)) and raw else b""
    revert = decode_revert(abi, bytes(data)) if data else None
    if revert is None:
        return TransactionError(f"the contract reverted: {exc}")
    return revert


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
