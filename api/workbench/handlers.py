"""The workbench's exception handlers: a request without a session goes to the sign-in page,
a refused one gets the refusal page. Apart from :mod:`api.workbench.session`, which the pages
import, so that the pages need not be imported by it."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.workbench.render import render_refusal
from api.workbench.session import SESSION_COOKIE, Refused, SignInNeeded, clear_session_cookie, sign_in_url


def install_workbench_handlers(app: FastAPI) -> None:
    """SignInNeeded: 303 to the sign-in page (the session cookie cleared); Refused: its page."""

    async def to_sign_in(request: Request, exc: SignInNeeded) -> Response:
        answer = RedirectResponse(sign_in_url(exc.next_path, exc.reason), status_code=303)
        if request.cookies.get(SESSION_COOKIE):
            clear_session_cookie(answer, request.app.state.services)
        return answer

    async def refused(request: Request, exc: Refused) -> Response:
        return HTMLResponse(render_refusal(exc), status_code=exc.status_code)

    app.add_exception_handler(SignInNeeded, to_sign_in)  # type: ignore[arg-type] - called with its class only
    app.add_exception_handler(Refused, refused)  # type: ignore[arg-type]
