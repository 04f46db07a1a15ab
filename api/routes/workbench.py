"""The workbench's doors: sign-in and sign-out, the home screen, a write's result page, the
participant's activity by person, and accepting a shipment (any custodian)."""

from __future__ import annotations

import hmac
import math
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import ServicesDep, caller_for
from api.errors import describe_revert
from api.schemas import BatchId
from api.workbench.messages import WorkbenchMessages
from api.workbench.render import FormState, render, when
from api.workbench.session import (
    COOKIE_PATH,
    SIGN_IN_COOKIE,
    FormDep,
    Refused,
    SignedIn,
    SignedInDep,
    clear_session_cookie,
    language,
    new_sign_in_token,
    set_session_cookie,
    set_sign_in_cookie,
)
from api.workbench.submit import new_form_key, submit
from api.write_queue import refusal
from ledger.people import totp
from ledger.queries.workbench import incoming, participant_names
from ledger.store.intents import get_intent
from ledger.store.people import (
    ThrottlePolicy,
    activity,
    authenticate,
    blocked_for,
    clear_failures,
    end_session,
    end_sessions_of_person,
    open_session,
    person_of_intent,
    record_failure,
)
from ledger.store.products import product_names

router = APIRouter(prefix="/workbench", tags=["workbench"], include_in_schema=False)
THROTTLE = ThrottlePolicy()


def _safe_next(value: Any) -> str:
    """Only a path of the workbench itself (no other host, no scheme-relative trick)."""
    if isinstance(value, str) and value.startswith("/workbench") and "//" not in value and "\\" not in value:
        return value[:500]
    return "/workbench"


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, services: ServicesDep) -> Response:
    lang = language(request)
    reason = request.query_params.get("reason")
    notice_key = {"expired": "notice_expired", "suspended": "notice_suspended", "signed_out": "notice_signed_out"}
    notice = WorkbenchMessages(lang)(notice_key[reason]) if reason in notice_key else None
    next_path = _safe_next(request.query_params.get("next"))
    return _sign_in_form(request, services, lang, FormState(), notice, next_path)


def _sign_in_form(
    request: Request,
    services: Any,
    lang: str,
    state: FormState,
    notice: str | None,
    next_path: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """The sign-in page with a fresh form token, set as its cookie too (double submit)."""
    token = new_sign_in_token()
    page = render(
        request,
        None,
        "sign_in.html",
        "title_sign_in",
        lang=lang,
        status_code=status_code,
        f=state,
        notice=notice,
        next_path=next_path,
        sign_in_token=token,
    )
    page.headers.update(headers or {})
    set_sign_in_cookie(page, services, token)
    return page


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request, services: ServicesDep) -> Response:
    """Password (and TOTP code when the account has one); slowed after repeated failures per
    account and per client (429 with Retry-After)."""
    form = await request.form(max_files=0, max_fields=20)
    lang = language(request)
    t = WorkbenchMessages(lang)
    given, expected = form.get("csrf"), request.cookies.get(SIGN_IN_COOKIE)
    if not isinstance(given, str) or not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Refused(403, "refused_csrf", lang)
    username = str(form.get("username", "")).strip().lower()[:64]
    password = str(form.get("password", ""))
    code = str(form.get("code", ""))
    next_path = _safe_next(form.get("next"))
    client = request.client.host if request.client else "unknown"
    subjects = [f"account:{username}", f"client:{client}"]
    state = FormState(values={"username": username})

    def again(status_code: int, headers: dict[str, str] | None = None) -> HTMLResponse:
        return _sign_in_form(request, services, lang, state, None, next_path, status_code, headers)

    wait = await run_in_threadpool(blocked_for, services.engine, subjects)
    if wait > 0:
        seconds = math.ceil(wait)
        state.problem = t("error_throttled", seconds=seconds)
        return again(429, {"Retry-After": str(seconds)})
    person = await run_in_threadpool(authenticate, services.engine, username, password)
    if person is not None and person.totp_secret and not totp.verify(person.totp_secret, code):
        state.errors["code"] = t("error_code")
        person = None
    if person is not None and (await run_in_threadpool(caller_for, services, person.participant)).suspended:
        state.problem = t("notice_suspended")  # the password was right: no failure counted
        return again(403)
    if person is None:
        await run_in_threadpool(record_failure, services.engine, subjects, THROTTLE)
        state.problem = state.problem or (None if state.errors else t("error_sign_in"))
        return again(401)
    await run_in_threadpool(clear_failures, services.engine, subjects)
    token = await run_in_threadpool(open_session, services.engine, person)
    answer = RedirectResponse(next_path, status_code=303)
    set_session_cookie(answer, services, token)
    answer.delete_cookie(SIGN_IN_COOKIE, path=COOKIE_PATH)
    return answer


@router.post("/sign-out")
async def sign_out(request: Request, who: SignedInDep, form: FormDep) -> Response:
    token = request.cookies.get("fl_session", "")
    await run_in_threadpool(end_session, who.services.engine, token)
    answer = RedirectResponse("/workbench/sign-in?reason=signed_out", status_code=303)
    clear_session_cookie(answer, who.services)
    return answer


@router.post("/sign-out-everywhere")
async def sign_out_everywhere(who: SignedInDep, form: FormDep) -> Response:
    await run_in_threadpool(end_sessions_of_person, who.services.engine, who.person.id)
    answer = RedirectResponse("/workbench/sign-in?reason=signed_out", status_code=303)
    clear_session_cookie(answer, who.services)
    return answer


@router.get("", response_class=HTMLResponse)
def home(request: Request, who: SignedInDep) -> Response:
    engine = who.services.engine
    names = participant_names(engine)
    products = product_names(engine, who.lang)
    waiting = [
        {
            "batch_id": b.batch_id,
            "lot": b.lot,
            "product": products.get(b.gtin, b.gtin),
            "sender": b.custodian.name or b.custodian.address,
            "form_key": new_form_key(),
        }
        for b in incoming(engine, who.address)
    ]
    return render(
        request, who, "home.html", "title_home", participant_name=names.get(who.address, who.address), incoming=waiting
    )


@router.get("/activity", response_class=HTMLResponse)
def activity_page(request: Request, who: SignedInDep) -> Response:
    """The participant's actions from the workbench, each with the person who did it."""
    rows = [{**row.__dict__, "when": when(row.created_at)} for row in activity(who.services.engine, who.address)]
    names = participant_names(who.services.engine)
    return render(
        request, who, "activity.html", "title_activity", rows=rows, participant_name=names.get(who.address, who.address)
    )


@router.get("/intents/{intent_id}", response_class=HTMLResponse)
def intent_page(request: Request, intent_id: int, who: SignedInDep) -> Response:
    """A write's result: on the ledger (block, transaction) or still on its way, with links
    to the public record of what it touched. Only the participant's own writes."""
    services = who.services
    intent = get_intent(services.engine, intent_id) if 0 < intent_id < 2**62 else None
    if intent is None or intent.sender.lower() != who.address.lower():
        raise Refused(404, "refused_not_found", who.lang)
    sender = person_of_intent(services.engine, intent_id)
    return render(
        request,
        who,
        "intent.html",
        "title_intent",
        intent=intent,
        refusal=describe_revert(request, refusal(intent)) if intent.status == "refused" else None,
        person_name=sender.display_name if sender else "",
        sent_at=when(intent.created_at),
        public_links=_public_links(who, intent),
        back="/workbench/authority" if intent.kind in _AUTHORITY_KINDS else "/workbench",
    )


#: The market authority's writes: their result page leads back to the participants.
_AUTHORITY_KINDS = frozenset({"participant", "suspend", "reinstate", "payment"})


def _public_links(who: SignedIn, intent: Any) -> list[dict[str, str]]:
    """The public pages of what the write recorded: its lots, and for a notice the
    touchscreen that shows it."""
    links = [{"href": f"/batches/{b}", "label": who.t("public_record")} for b in _batches_of(intent)]
    if intent.kind == "notice" and intent.status == "recorded":
        links.append({"href": "/kiosk", "label": who.t("public_notices")})
    return links


def _batches_of(intent: Any) -> list[str]:
    result = intent.result or {}
    ids = list(result.get("batch_ids") or [])
    payload = intent.payload or {}
    if payload.get("batch_id") and int(payload["batch_id"], 16):  # zero: a scale key cleared
        ids.insert(0, payload["batch_id"])
    return list(dict.fromkeys(ids))[:5] if intent.status == "recorded" else []


@router.post("/shipments/{batch_id}/accept")
async def accept_shipment(request: Request, batch_id: BatchId, who: SignedInDep, form: FormDep) -> Response:
    """The recipient takes custody of a lot shipped to its organisation."""
    done = await submit(request, who, form, "accept", {"batch_id": batch_id}, "accept_shipment")
    if done.intent is None:
        raise Refused(409, "refused_by_ledger", who.lang, detail=done.refusal)
    return RedirectResponse(f"/workbench/intents/{done.intent.id}", status_code=303)
