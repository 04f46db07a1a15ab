"""The market authority: admits, suspends and reinstates participants, issues API keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.deps import Caller, require
from api.schemas import Address, ParticipantCreate, ParticipantCreated, SuspendCreate, TxResponse
from api.writes import tx_response
from ledger.errors import NotFound
from ledger.store.api_keys import issue_key
from ledger.store.people import end_sessions_of_participant

router = APIRouter(prefix="/participants", tags=["market authority"])
Authority = Annotated[Caller, Depends(require("ADMIN"))]


@router.post("", status_code=201, response_model=ParticipantCreated)
def register_participant(body: ParticipantCreate, caller: Authority) -> dict:
    """Admit a participant with a role. Without an address, the market creates a key for it
    and keeps it encrypted; either way the answer carries the participant's API key, once."""
    services = caller.services
    ledger = services.ledger
    address = body.address or services.keys.create()
    result = ledger.register_participant(caller.account, address, body.role, body.name, body.identifier)
    funding = services.settings.participant_funding_wei
    if body.address is None and funding and ledger.client.balance(address) < funding:
        ledger.client.fund(caller.account, address, funding, abi=ledger.abi)
    api_key = issue_key(services.engine, address, f"{body.name} ({body.role.lower()})")
    return tx_response(result, address=address, api_key=api_key)


@router.post("/{address}/suspend", response_model=TxResponse)
def suspend(address: Address, body: SuspendCreate, caller: Authority) -> dict:
    _require_registered(caller, address)
    result = caller.services.ledger.suspend_participant(caller.account, address, body.reason)
    end_sessions_of_participant(caller.services.engine, address)  # its people are signed out at once
    return tx_response(result)


@router.post("/{address}/reinstate", response_model=TxResponse)
def reinstate(address: Address, caller: Authority) -> dict:
    _require_registered(caller, address)
    return tx_response(caller.services.ledger.reinstate_participant(caller.account, address))


@router.post("/{address}/keys", status_code=201)
def new_key(address: Address, caller: Authority) -> dict:
    """Issue another API key for a participant (e.g. after losing one)."""
    _require_registered(caller, address)
    return {"address": address, "api_key": issue_key(caller.services.engine, address, "issued by the authority")}


def _require_registered(caller: Caller, address: str) -> None:
    """404 for an address the contract does not know: the contract's ParticipantNotRegistered
    would answer 403, as if the authority lacked a permission, and a key needs a participant."""
    (record,) = caller.services.ledger.read("participant", address)
    if not record["index"]:
        raise NotFound(f"{address} is not a registered participant of this market")
