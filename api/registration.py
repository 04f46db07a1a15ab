"""Admitting a participant through the write queue, shared by ``POST /participants`` and the
workbench's form: the participant's address (given, or made once per request key), and the
gas money of one whose key the market made, queued before its registration so that it can
write once admitted."""

from __future__ import annotations

from typing import Any

from api.deps import Caller
from ledger.intents.accept import accept, precheck
from ledger.store.intents import intent_by_key


def registration_address(caller: Caller, given: str | None, key: str | None) -> str:
    """The participant's address: `given`, or the one a first attempt with the request key
    `key` made, or a new key the market makes and keeps."""
    if given is not None:
        return given
    if key is not None:
        first = intent_by_key(caller.services.engine, caller.address, key)
        if first is not None and first.kind == "participant":
            return first.payload["address"]  # accepting the write checks the rest is the same
    return caller.services.keys.create()


def queue_funding(caller: Caller, registration: dict[str, Any], key: str | None) -> None:
    """Queue the new participant's gas money, unless the registration would be refused now
    (then nothing is queued and the registration's refusal is the answer) or it has enough
    already."""
    services, ledger = caller.services, caller.services.ledger
    funding = services.settings.participant_funding_wei
    if not funding or ledger.client.balance(registration["address"]) >= funding:
        return
    (reason,) = precheck(ledger, caller.address, "participant", [registration])
    if reason is not None:
        return
    payment = {"to": registration["address"], "wei": funding}
    accept(services.engine, caller.address, "payment", [(payment, f"{key}#funding" if key else None)])
