"""The market authority's screens: participants (register, suspend, reinstate) and the
people accounts of each. Suspending a participant ends its people's sessions at once.

Registering, suspending and reinstating are the authority's own contract calls, sent at once
as the API's ``/participants`` routes send them (the write queue carries the participants'
writes, not these)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from api.pages.i18n import LANGUAGES, NATIVE_NAMES
from api.schemas import Address
from api.workbench.fields import Reader
from api.workbench.render import FormState, render
from api.workbench.session import FormDep, Refused, SignedIn, person_with
from ledger.errors import ContractRevert
from ledger.people import totp
from ledger.people.passwords import MAX_LENGTH, MIN_LENGTH
from ledger.queries.batches import list_participants
from ledger.store.api_keys import issue_key
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
    """Admit a participant with a role; the market makes and keeps its key."""
    read = Reader(form, who.t)
    role = read.choice("role", list(ROLE_NAMES))
    name = read.text("name")
    identifier = read.text("identifier", max_length=64)
    if not read.state.ok:
        return _page(request, who, rf=read.state, status_code=422)
    services = who.services

    def admit() -> str:
        address = services.keys.create()
        ledger = services.ledger
        ledger.register_participant(who.caller.account, address, role or "", name or "", identifier or "")
        funding = services.settings.participant_funding_wei
        if funding and ledger.client.balance(address) < funding:
            ledger.client.fund(who.caller.account, address, funding, abi=ledger.abi)
        issue_key(services.engine, address, f"{name} ({(role or '').lower()})")
        return address

    try:
        await run_in_threadpool(admit)
    except ContractRevert as exc:
        read.state.problem = str(exc)
        return _page(request, who, rf=read.state, status_code=409)
    return _page(request, who, notice=who.t("participant_registered", name=name))


def _name_of(who: SignedIn, address: str) -> str:
    for p in list_participants(who.services.engine).items:
        if p.party.address.lower() == address.lower():
            return p.party.name or address
    raise Refused(404, "refused_not_found", who.lang)


@router.post("/authority/participants/{address}/suspend", response_class=HTMLResponse)
async def suspend(request: Request, address: Address, who: Authority, form: FormDep) -> Response:
    """Suspend on-chain, then end every session of the participant's people at once."""
    name = await run_in_threadpool(_name_of, who, address)
    reason = Reader(form, who.t).text("reason") or who.t("suspended_by_authority")
    services = who.services
    try:
        await run_in_threadpool(services.ledger.suspend_participant, who.caller.account, address, reason)
    except ContractRevert as exc:
        raise Refused(409, "refused_by_ledger", who.lang, detail=str(exc)) from None
    await run_in_threadpool(end_sessions_of_participant, services.engine, address)
    services.roles.forget(address)
    return _page(request, who, notice=who.t("participant_suspended", name=name))


@router.post("/authority/participants/{address}/reinstate", response_class=HTMLResponse)
async def reinstate(request: Request, address: Address, who: Authority, form: FormDep) -> Response:
    name = await run_in_threadpool(_name_of, who, address)
    services = who.services
    try:
        await run_in_threadpool(services.ledger.reinstate_participant, who.caller.account, address)
    except ContractRevert as exc:
        raise Refused(409, "refused_by_ledger", who.lang, detail=str(exc)) from None
    services.roles.forget(address)
    return _page(request, who, notice=who.t("participant_reinstated", name=name))
