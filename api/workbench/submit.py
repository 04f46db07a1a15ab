"""A workbench form's write: through the durable write queue, signed with the participant's
key the market holds, keyed by the form (a second submit of the same form records nothing
twice), and kept with the person who sent it (:func:`ledger.store.people.link_intent`).

Each rendered form carries a fresh random ``form_key``; the write's Idempotency-Key is
``wb-{form_key}``. Sending the same form again finds the first intent and answers it.
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
from ledger.errors import ContractRevert, TransactionError
from ledger.store.intents import IntentRecord
from ledger.store.people import link_intent

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
