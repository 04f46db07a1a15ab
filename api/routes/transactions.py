"""Transactions a participant signed with its own key (for those who keep their keys)."""

from __future__ import annotations

from eth_account import Account
from fastapi import APIRouter, HTTPException, status

from api.deps import CallerDep
from api.schemas import RawTransaction, TxResponse
from api.writes import tx_response
from ledger.chain.client import NotForContract

router = APIRouter(tags=["suppliers and custodians"])


@router.post("/transactions", response_model=TxResponse)
def submit_signed(body: RawTransaction, caller: CallerDep) -> dict:
    """Relay a transaction to the FreshLedger contract signed by the authenticated
    participant itself; answers once it is mined. A revert answers as any other write."""
    try:
        raw = bytes.fromhex(body.raw_transaction.removeprefix("0x"))
        sender = Account.recover_transaction(raw)
    except Exception as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"not a signed transaction: {exc}") from None
    if sender != caller.address:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"the transaction is signed by {sender}, not by {caller.address}"
        )
    ledger = caller.services.ledger
    try:
        return tx_response(ledger.client.submit_raw(raw, abi=ledger.abi, contract=ledger.address))
    except NotForContract as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
