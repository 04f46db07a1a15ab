"""A workbench form's write: through the durable write queue, signed with the participant's
key the market holds, keyed by the form (a second submit of the same form records nothing
twice), and kept with the person who sent it (:func:`ledger.store.people.link_intent`).

Each rendered form carries a fresh random ``form_key``; the write's Idempotency-Key is
``wb-{form_key}``. Sending the same form again finds the first intent and answers it. A form
of many writes (a harvest sheet) keys its items ``wb-{form_key}#{index}`` and stores all of
them or none (:func:`submit_all`).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.errors import describe_revert
from api.workbench.session import SignedIn
from api.write_queue import accept_write, refusal, wait_final
from ledger.errors import ContractRevert, NodeError, TransactionError
from ledger.intents.accept import accept, precheck
from ledger.store.intents import IntentRecord, intents_by_keys
from ledger.store.people import link_intent, link_intents

FORM_KEY_FIELD = "form_key"
_FORM_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_form_key() -> str:
    return secrets.token_urlsafe(18)


def request_key(form_key: str) -> str:
    """The Idempotency-Key of the write a form with `form_key` makes."""
    return f"wb-{form_key}"


def form_key_of(form: FormData) -> str | None:
    value = form.get(FORM_KEY_FIELD)
    return value if isinstance(value, str) and _FORM_KEY.match(value) else None


@dataclass(frozen=True)
class Submitted:
    """The intent a form made (or found), or why the ledger refused it (a sentence)."""

    intent: IntentRecord | None
    refusal: str | None = None


async def submit(
    request: Request, who: SignedIn, form: FormData, kind: str, payload: dict[str, Any], form_name: str
) -> Submitted:
    """Queue `payload` as a write of `kind` for `who`'s participant and wait (at most the
    queue's wait) until it is on-chain or refused."""
    form_key = form_key_of(form)
    if form_key is None:
        return Submitted(None, who.t("error_form_key"))
    services = who.services
    try:
        intent = await accept_write(who.caller, kind, payload, request_key(form_key))
    except HTTPException as exc:  # the market does not hold the key (403), a key reused (422)
        message = who.t("error_form_reused") if exc.status_code == 422 else str(exc.detail)
        return Submitted(None, message)
    except ContractRevert as exc:
        return Submitted(None, describe_revert(request, exc))
    except TransactionError as exc:
        return Submitted(None, str(exc))
    await run_in_threadpool(link_intent, services.engine, intent.id, who.person, form_name)
    if not intent.final:
        intent = (await wait_final(services, [intent.id]))[intent.id]
    if intent.status == "refused":
        return Submitted(intent, describe_revert(request, refusal(intent)))
    return Submitted(intent)


@dataclass(frozen=True)
class SubmittedAll:
    """The intents a form of many writes made (in their order), or each refused item's
    reason by index (then nothing was stored)."""

    intents: list[IntentRecord]
    refused: dict[int, str]


def item_key(form_key: str, index: int) -> str:
    """The Idempotency-Key of item `index` of a form of many writes."""
    return f"wb-{form_key}#{index}"


async def submitted_before(who: SignedIn, form_key: str, count_hint: int = 0) -> list[IntentRecord]:
    """The intents a form of many writes already made (empty: none), in item order."""
    engine = who.services.engine
    found: list[IntentRecord] = []
    step = max(count_hint, 200)
    while True:
        keys = [item_key(form_key, n) for n in range(len(found), len(found) + step)]
        page = await run_in_threadpool(intents_by_keys, engine, who.address, keys)
        found += [page[k] for k in keys if k in page]
        if len(page) < step:
            return found


async def submit_all(
    request: Request, who: SignedIn, form_key: str, kind: str, payloads: list[dict[str, Any]], form_name: str
) -> SubmittedAll:
    """Queue every payload as a write of `kind`, or none: each is checked against the contract
    first (an ``eth_call``; the packed call when they pack), and only when none would be
    refused are all stored, in one database transaction, keyed ``wb-{form_key}#{index}``.
    Then wait (at most the queue's wait) until they are on-chain."""
    services = who.services
    try:
        reasons = await run_in_threadpool(precheck, services.ledger, who.address, kind, payloads)
    except NodeError:
        reasons = [None] * len(payloads)  # the node is down: stored, checked by the submitter later
    refused = {n: describe_revert(request, r) for n, r in enumerate(reasons) if isinstance(r, ContractRevert)}
    refused |= {n: str(r) for n, r in enumerate(reasons) if r is not None and n not in refused}
    if refused:
        return SubmittedAll([], refused)
    items = [(payload, item_key(form_key, n)) for n, payload in enumerate(payloads)]
    stored = await run_in_threadpool(accept, services.engine, who.address, kind, items)
    services.wake(who.address)
    intents = [intent for intent, _created in stored]
    await run_in_threadpool(link_intents, services.engine, [i.id for i in intents], who.person, form_name)
    final = await wait_final(services, [i.id for i in intents])
    return SubmittedAll([final[i.id] for i in intents], {})
