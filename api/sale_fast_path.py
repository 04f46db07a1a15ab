"""``POST /sales`` answered without FastAPI's routing, dependencies and body parsing (pure ASGI).

A market's busiest request is one sale from one scale. Behind FastAPI it paid for matching the
route among all the others, solving its dependencies, validating the body through FastAPI's
machinery and building the answer: in process, 0.91-1.03 ms of CPU a sale accepted with
``Prefer: respond-async`` against 0.17-0.24 ms for the accepting itself (the intent stored, the
contract's check): four fifths went to the framework. Through this layer: 0.46-0.66 ms
(BENCHMARKS.md).

:class:`SaleFastPath` sits inside the market's own middlewares and outside FastAPI's exception
handling: the body has already been bounded, checked as UTF-8 and for JSON depth
(:class:`~api.bodies.BodyLimitMiddleware`), the URL for control characters
(:class:`~api.plain_params.RefuseControlCharacters`), and the answer gets its security headers
(:class:`~api.headers.SecurityHeadersMiddleware`) on the way out. Of a sale it does what the
route does, with the same parts: the caller from the same caches as
:func:`api.deps.current_caller`, the role rule of :func:`api.deps.require`, the body read by the
route's own model (:class:`api.schemas.SaleCreate`), and :func:`api.write_queue.write` with the
route's receipt fields, so the answer is the route's, byte for byte (a test compares them). A
refusal raised once the write is under way (a reused Idempotency-Key, a sale the contract
refuses) is answered by the app's own exception handlers.

It passes the request on to the app, untouched, before doing anything with it, whenever it is
not that plain case, and the app answers it its own way:

- another method or path, a query string, a root path;
- an API key that is missing, malformed, unknown or revoked (the app's 401), a caller that is
  suspended or not a vendor (the app's 403);
- a body that is not ``application/json``, not JSON, or not a valid sale (the app's 422);
- telemetry configured (FastAPI then traces the route; the fast path would skip its span).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from fastapi import HTTPException
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import ValidationError
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.bodies import replaying
from api.deps import Caller, caller_of_key
from api.routes.vendors import SALE_ROLE, receipt_fields
from api.schemas import SaleCreate
from api.write_queue import write

PATH = "/sales"
#: Where the scope carries the caller and the sale to the write, through the exception handling.
_SALE = "freshledger.sale"


@dataclass
class SaleFastPathCounts:
    """What one worker's sale fast path did with the ``POST /sales`` it saw."""

    #: Answered here (recorded, accepted or refused by the write queue).
    answered: int = 0
    #: Passed on to the app (see the module).
    passed_on: int = 0


class SaleFastPath:
    """ASGI middleware answering plain ``POST /sales`` requests itself (see the module).

    `counts` is where it counts what it did; with `enabled` false every request passes on."""

    def __init__(self, app: ASGIApp, counts: SaleFastPathCounts | None = None, enabled: bool = True) -> None:
        self.app = app
        self.counts = counts if counts is not None else SaleFastPathCounts()
        self.enabled = enabled
        self._exceptions: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not (self.enabled and scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == PATH):
            await self.app(scope, receive, send)
            return
        caller = await self._caller(scope)
        if caller is None:
            self.counts.passed_on += 1
            await self.app(scope, receive, send)
            return
        body, messages = await _read_body(receive)
        if body is None:
            return  # the client went away
        sale = _sale(body)
        if sale is None:
            self.counts.passed_on += 1
            await self.app(scope, replaying(messages, receive), send)
            return
        self.counts.answered += 1
        scope[_SALE] = (caller, sale)
        await self._handling_exceptions(scope)(scope, receive, send)

    def _handling_exceptions(self, scope: Scope) -> ASGIApp:
        """The app's own exception handling (FastAPI's ``ExceptionMiddleware`` with the app's
        handlers, as Starlette builds it) around the write, made once."""
        if self._exceptions is None:
            handlers = {k: v for k, v in scope["app"].exception_handlers.items() if k not in (500, Exception)}
            self._exceptions = ExceptionMiddleware(_write_sale, handlers=handlers)
        return self._exceptions

    async def _caller(self, scope: Scope) -> Caller | None:
        """The caller when the request is the plain case this layer answers, else None."""
        key = _plain_key(scope)
        if key is None:
            return None
        try:
            caller = await caller_of_key(scope["app"].state.services, key)
        except HTTPException:
            return None  # an unknown or revoked key: the app answers it
        if caller.suspended or not caller.has(SALE_ROLE):
            return None
        return caller


def _plain_key(scope: Scope) -> str | None:
    """The API key of a plain request (one credential, a JSON body, no query string), else None."""
    if scope.get("query_string") or scope.get("root_path") or scope.get("fastapi.telemetry") is not None:
        return None
    key = None
    content_type = None
    for name, value in scope["headers"]:
        if name == b"authorization" or name == b"x-api-key":
            if key is not None:
                return None  # two credentials: the app decides which counts
            key = _key(name, value)
            if key is None:
                return None
        elif name == b"content-type":
            if content_type is not None:
                return None
            content_type = value
    if content_type not in (b"application/json", b"application/json; charset=utf-8"):
        return None
    return key


async def _write_sale(scope: Scope, receive: Receive, send: Send) -> None:
    """What the route does with the sale (:func:`api.routes.vendors.record_sale`)."""
    caller, sale = scope.pop(_SALE)
    request = Request(scope, receive)
    response = await write(request, caller, "sale", sale, extra=receipt_fields(caller.services))
    await response(scope, receive, send)


def _key(name: bytes, value: bytes) -> str | None:
    """The API key a credential header carries, or None when it is not a plain one."""
    try:
        text = value.decode("ascii")
    except UnicodeDecodeError:
        return None
    if name == b"x-api-key":
        return text or None
    scheme, credentials = get_authorization_scheme_param(text)
    return credentials if scheme.lower() == "bearer" and credentials else None


async def _read_body(receive: Receive) -> tuple[bytes | None, list[Message]]:
    """The whole body (the body limit's reader has bounded it) and the messages it came in;
    None when the client disconnected first."""
    messages = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return None, messages
        if not message.get("more_body", False):
            return b"".join(m.get("body", b"") for m in messages), messages


def _sale(body: bytes) -> dict | None:
    """The sale's payload as the route passes it on, or None for a body the app answers (422).
    Parsed and validated as FastAPI does for the route: JSON text, then the model on the
    resulting object."""
    try:
        return SaleCreate.model_validate(json.loads(body)).model_dump(mode="json")
    except (ValueError, ValidationError):
        return None
