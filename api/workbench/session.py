"""Who is signed in to the workbench, and what they may do.

- The session cookie (``fl_session``) carries a random token: HttpOnly, SameSite=Strict,
  Path=/workbench, Secure in production. The database keeps its hash
  (:mod:`ledger.store.people`); a session ends after ``workbench_idle_s`` without use, after
  ``workbench_absolute_s`` in all, on sign-out, and at once when its participant is suspended
  (checked on the chain at every request, as an API key's roles are).
- Every form carries the session's CSRF token (``csrf``): a POST without it, or with another,
  is refused 403 before anything is read or written. The sign-in form, which has no session
  yet, carries a token that must match the ``fl_signin`` cookie (double submit).
- Role gates: :func:`person_with` lets only a person whose participant holds the role through
  (403 page otherwise); :func:`api.policy.policy_problems` checks each route has the gate its
  audience names.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from starlette.datastructures import FormData

from api.deps import Caller, ServicesDep, caller_for
from api.pages.i18n import negotiate, supported
from api.services import Services
from api.workbench.messages import WorkbenchMessages
from ledger.store.people import PersonRecord, SessionRecord, csrf_matches, end_sessions_of_participant, session_for

SESSION_COOKIE = "fl_session"
SIGN_IN_COOKIE = "fl_signin"
LANG_COOKIE = "fl_lang"
COOKIE_PATH = "/workbench"
CSRF_FIELD = "csrf"
SIGN_IN_PATH = "/workbench/sign-in"


class SignInNeeded(Exception):
    """No live session: the browser goes to the sign-in page (and back to `next` after)."""

    def __init__(self, next_path: str = "/workbench", reason: str | None = None) -> None:
        self.next_path = next_path
        self.reason = reason


class Refused(Exception):
    """A refusal shown as a page in the person's language (403 wrong role, 403 CSRF, 404)."""

    def __init__(
        self, status_code: int, message_key: str, lang: str = "en", detail: str | None = None, **values: object
    ) -> None:
        self.status_code = status_code
        self.message_key = message_key
        self.lang = lang
        self.detail = detail  # the ledger's own sentence, shown after the message
        self.values = values


@dataclass(frozen=True)
class SignedIn:
    """The signed-in person, their session, and their participant as the chain has it."""

    person: PersonRecord
    session: SessionRecord
    caller: Caller
    lang: str

    @property
    def t(self) -> WorkbenchMessages:
        return WorkbenchMessages(self.lang)

    @property
    def services(self) -> Services:
        return self.caller.services

    @property
    def address(self) -> str:
        return self.caller.address

    def can(self, role: str) -> bool:
        return self.caller.has(role)

    @property
    def csrf(self) -> str:
        return self.session.csrf


def language(request: Request, preferred: str | None = None) -> str:
    """``?lang=``, then the workbench's language cookie, then the person's own, then the browser's."""
    query = request.query_params.get("lang")
    if supported(query):
        return negotiate(None, query)
    return negotiate(request.headers.get("accept-language"), request.cookies.get(LANG_COOKIE) or preferred)


def secure_cookies(services: Services) -> bool:
    return services.settings.environment == "production"


def set_session_cookie(response: Response, services: Services, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(services.settings.workbench_absolute_s),
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(services),
    )


def clear_session_cookie(response: Response, services: Services) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict", secure=secure_cookies(services)
    )


def new_sign_in_token() -> str:
    """The token of a sign-in form; the page sets it as its cookie too (the POST brings both)."""
    return secrets.token_urlsafe(24)


def set_sign_in_cookie(response: Response, services: Services, token: str) -> None:
    response.set_cookie(
        SIGN_IN_COOKIE,
        token,
        max_age=3600,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(services),
    )


async def signed_in(request: Request, services: ServicesDep) -> SignedIn:
    """The person of the request's session; SignInNeeded when there is none (or it ended)."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 128:
        raise SignInNeeded(here if request.method == "GET" else "/workbench")
    settings = services.settings
    session = await run_in_threadpool(
        session_for,
        services.engine,
        token,
        idle_s=settings.workbench_idle_s,
        absolute_s=settings.workbench_absolute_s,
    )
    if session is None:
        raise SignInNeeded(here if request.method == "GET" else "/workbench", "expired")
    caller = await run_in_threadpool(caller_for, services, session.person.participant)
    if caller.suspended:
        await run_in_threadpool(end_sessions_of_participant, services.engine, caller.address)
        raise SignInNeeded("/workbench", "suspended")
    return SignedIn(session.person, session, caller, language(request, session.person.language))


SignedInDep = Annotated[SignedIn, Depends(signed_in)]


def person_with(role: str) -> Callable[[SignedIn], SignedIn]:
    """A gate letting through only people whose participant holds `role` ("ADMIN": the authority)."""

    def gate(who: SignedInDep) -> SignedIn:
        if not who.can(role):
            raise Refused(403, "refused_role", who.lang, role=who.t(f"role_{role.lower()}"))
        return who

    gate.workbench_role = role  # type: ignore[attr-defined] - read by api.policy
    return gate


async def posted_form(request: Request, who: SignedInDep) -> FormData:
    """The POSTed form, once its CSRF token is the session's (403 page otherwise)."""
    form = await request.form(max_files=4, max_fields=200)
    given = form.get(CSRF_FIELD)
    if not csrf_matches(who.session, given if isinstance(given, str) else None):
        raise Refused(403, "refused_csrf", who.lang)
    return form


FormDep = Annotated[FormData, Depends(posted_form)]


def sign_in_url(next_path: str, reason: str | None = None) -> str:
    url = f"{SIGN_IN_PATH}?next={quote(next_path, safe='/')}"
    return url + (f"&reason={reason}" if reason else "")
