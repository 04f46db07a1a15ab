"""The market authority's screens: participants (register, suspend, reinstate) and the
people accounts of each. Suspending a participant ends its people's sessions at once.

Registering, suspending and reinstating go through the durable write queue as the API's
``/participants`` routes send them (kinds ``participant``, ``suspend``, ``reinstate``, and
``payment`` for a new participant's gas money), each form keyed by its form key: a second
submit of the same form finds the first write and records nothing twice. The API keys, the
catalog and the floor plan have modules of their own (``workbench_keys``,
``workbench_catalog``, ``workbench_floor_plan``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.pages.i18n import LANGUAGES, NATIVE_NAMES
from api.registration import queue_funding, registration_address
from api.schemas import Address
from api.workbench.fields import Reader
from api.workbench.render import FormState, render
from api.workbench.session import FormDep, Refused, SignedIn, person_with
from api.workbench.submit import form_key_of, new_form_key, request_key, submit
from ledger.people import totp
from ledger.people.passwords import MAX_LENGTH, MIN_LENGTH
from ledger.queries.batches import list_participants
from ledger.store.people import USERNAME, UsernameTaken, create_person, end_sessions_of_participant, people_of
from ledger.vocabulary import ROLE_NAMES, has_role

router = APIRouter(prefix="/workbench", tags=["workbench"], include_in_schema=False)
Authority = Annotated[SignedIn, Depends(person_with("ADMIN"))]


def _page(
    request: Request,
    who: SignedIn,
    *,
    pf: FormState | None = None,
    rf: FormState | None = None,
    rf_key: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    engine = who.services.engine
    people: dict[str, list[str]] = {}
    for person in people_of(engine):
        people.setdefault(person.participant.lower(), []).append(person.username)
    t = who.t
    participants = [
        {
            "address": p.party.address,
            "name": p.party.name or p.party.address,
            "roles": ", ".join(t(f"role_{r.lower()}") for r in ROLE_NAMES if has_role(p.roles, r)),
            "suspended": p.suspended,
            "people": people.get(p.party.address.lower(), []),
            "form_key": new_form_key(),
        }
        for p in list_participants(engine).items
    ]
    return render(
        request,
        who,
        "authority.html",
        "title_authority",
        status_code=status_code,
        participants=participants,
        participant_options=_organisations(who, participants),
        language_options=[(code, NATIVE_NAMES[code]) for code in LANGUAGES],
        role_options=[(r, t(f"role_{r.lower()}")) for r in ROLE_NAMES],
        pf=pf or FormState(values={"language": who.lang}),
        rf=rf or FormState(),
        rf_key=rf_key or new_form_key(),
        notice=notice,
    )


def _organisations(who: SignedIn, participants: list[dict]) -> list[tuple[str, str]]:
    """The participants a person may belong to, and the market authority itself (not a participant)."""
    options = [(p["address"], p["name"]) for p in participants]
    if all(address.lower() != who.address.lower() for address, _ in options):
        options.append((who.address, who.t("role_admin")))
    return options


@router.get("/authority", response_class=HTMLResponse)
def authority(request: Request, who: Authority) -> Response:
    return _page(request, who)


@router.post("/authority/people", response_class=HTMLResponse)
async def create_account(request: Request, who: Authority, form: FormDep) -> Response:
    """Open an account for a person of a registered participant (its role is the participant's)."""
    engine = who.services.engine
    read = Reader(form, who.t)
    known = [p.party.address for p in (await run_in_threadpool(list_participants, engine)).items]
    participant = read.choice("participant", [*known, who.address])
    username = (read.text("username", max_length=64) or "").lower()
    if username and not USERNAME.match(username):
        read.fail("username", "error_username")
    display_name = read.text("display_name")
    password = str(form.get("password", ""))
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        read.fail("password", "error_password_length")
    language = read.choice("language", list(LANGUAGES))
    read.state.values.pop("password", None)  # never shown back
    if not read.state.ok:
        return _page(request, who, pf=read.state, status_code=422)
    secret = totp.new_secret() if form.get("totp") == "yes" else None
    try:
        await run_in_threadpool(
            lambda: create_person(
                engine,
                username,
                participant or "",
                password,
                display_name or "",
                totp_secret=secret,
                language=language or "en",
            )
        )
    except UsernameTaken:
        read.fail("username", "error_username_taken")
        return _page(request, who, pf=read.state, status_code=409)
    t = who.t
    notice = (
        t("person_created_totp", username=username, secret=secret) if secret else t("person_created", username=username)
    )
    return _page(request, who, notice=notice)


@router.post("/authority/participants", response_class=HTMLResponse)
async def register(request: Request, who: Authority, form: FormDep) -> Response:
    """Admit a participant with a role; the market makes and keeps its key, and sends it gas
    money first (both queued, as ``POST /participants`` queues them)."""
    read = Reader(form, who.t)
    role = read.choice("role", list(ROLE_NAMES))
    name = read.text("name")
    identifier = read.text("identifier", max_length=64)
    form_key = form_key_of(form)
    if form_key is None:
        read.state.problem = who.t("error_form_key")
    if not read.state.ok or form_key is None:
        return _page(request, who, rf=read.state, rf_key=form_key, status_code=422)
    key = request_key(form_key)
    address = await run_in_threadpool(registration_address, who.caller, None, key)
    payload = {"address": address, "role": role, "name": name, "identifier": identifier}
    await run_in_threadpool(queue_funding, who.caller, payload, key)
    done = await submit(request, who, form, "participant", payload, "register_participant")
    if done.intent is None or done.refusal:
        read.state.problem = done.refusal
        return _page(request, who, rf=read.state, rf_key=None if done.intent else form_key, status_code=409)
    return _result(done.intent.id)


def _result(intent_id: int) -> Response:
    """The write's result page (on the ledger, or still on its way)."""
    return RedirectResponse(f"/workbench/intents/{intent_id}", status_code=303)


def _name_of(who: SignedIn, address: str) -> str:
    for p in list_participants(who.services.engine).items:
        if p.party.address.lower() == address.lower():
            return p.party.name or address
    raise Refused(404, "refused_not_found", who.lang)


@router.post("/authority/participants/{address}/suspend", response_class=HTMLResponse)
async def suspend(request: Request, address: Address, who: Authority, form: FormDep) -> Response:
    """Queue the suspension, then end every session of the participant's people at once."""
    await run_in_threadpool(_name_of, who, address)
    reason = Reader(form, who.t).text("reason") or who.t("suspended_by_authority")
    done = await submit(request, who, form, "suspend", {"address": address, "reason": reason}, "suspend_participant")
    if done.intent is None or done.refusal:
        raise Refused(409, "refused_by_ledger", who.lang, detail=done.refusal)
    # As the API does: once the suspension is accepted, not when it is mined (the contract
    # refuses the participant's writes from then on anyway).
    await run_in_threadpool(end_sessions_of_participant, who.services.engine, address)
    who.services.roles.forget(address)
    return _result(done.intent.id)


@router.post("/authority/participants/{address}/reinstate", response_class=HTMLResponse)
async def reinstate(request: Request, address: Address, who: Authority, form: FormDep) -> Response:
    await run_in_threadpool(_name_of, who, address)
    done = await submit(request, who, form, "reinstate", {"address": address}, "reinstate_participant")
    if done.intent is None or done.refusal:
        raise Refused(409, "refused_by_ledger", who.lang, detail=done.refusal)
    who.services.roles.forget(address)
    return _result(done.intent.id)
