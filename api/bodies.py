"""Request bodies are bounded while they are read, before any route sees them (pure ASGI).

Each request gets the limit of its route (:meth:`api.limits.BodyLimits.for_request`):

- a ``Content-Length`` over the limit is answered 413 at once: not a byte of the body is read;
- a body without one (chunked) is counted as it arrives, and answered 413 as soon as it
  passes the limit; the rest is never read and the connection is closed;
- a body still incomplete when its time is up is answered 408 (slow senders hold a worker);
- bodies of every route but the document upload are read whole here, then checked: UTF-8
  (every such body is text), and JSON nesting no deeper than the limit (Python's parser
  recurses per level, and deep enough text kills the process: see :mod:`ledger.json_depth`).
  The route then reads the same bytes.

A document upload is streamed through to its route, counted and timed the same way; if the
route has already started its answer when a limit is passed, the refusal replaces it.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import anyio
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.limits import BodyLimit, BodyLimits
from ledger.json_depth import JsonTooDeep, check_json_depth

FORM = "application/x-www-form-urlencoded"
#: Bodies larger than this are checked on a worker thread, not on the event loop that
#: answers QR scans (a 1 MB body takes some 50 ms to measure).
THREAD_CHECK_BYTES = 64 * 1024


class BodyRefused(HTTPException):
    """A body over its limit or too slow. An HTTPException, so that FastAPI's body parsing
    passes it on instead of turning it into "error parsing the body"."""

    def __init__(
        self, status_code: int, error: str, message: str, problem_type: str | None = None, **extra: Any
    ) -> None:
        super().__init__(status_code, message)
        self.error = error
        self.problem_type = problem_type
        self.extra = extra

    def answer(self) -> tuple[Message, Message]:
        """The refusal's two ASGI messages; the connection closes after it (the rest of the
        body is never read). A route that answers problem details gets one of its type."""
        answer = {"error": self.error, "message": self.detail, **self.extra}
        media_type = b"application/json"
        if self.problem_type is not None and self.status_code == 413:
            answer |= {"type": self.problem_type, "title": "Body too large", "status": 413, "detail": self.detail}
            media_type = b"application/problem+json"
        body = json.dumps(answer).encode()
        headers = [
            (b"content-type", media_type),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
            (b"x-content-type-options", b"nosniff"),
        ]
        start = {"type": "http.response.start", "status": self.status_code, "headers": headers}
        return start, {"type": "http.response.body", "body": body, "more_body": False}


def too_large(limit: BodyLimit) -> BodyRefused:
    message = f"the body of a {limit.name} is limited to {limit.max_bytes} bytes"
    return BodyRefused(413, "BodyTooLarge", message, limit.problem_type, limit=limit.max_bytes)


def too_slow(limit: BodyLimit) -> BodyRefused:
    message = f"the body of a {limit.name} must arrive within {limit.timeout_s:g} s"
    return BodyRefused(408, "BodyTimeout", message, limit=limit.timeout_s)


class BodyLimitMiddleware:
    """Bounds every HTTP request's body by :class:`~api.limits.BodyLimits` (see the module)."""

    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.for_request(scope["method"], scope["path"])
        try:
            declared = _content_length(scope)
            if declared is not None and declared > limit.max_bytes:
                raise too_large(limit)
        except BodyRefused as refused:
            await _send_refusal(send, refused)
            return
        reader = BodyReader(receive, limit)
        if not limit.checked:
            await self._streamed(scope, reader, send)
            return
        try:
            body = await reader.read_all()
            if body is None:
                return  # the client went away
            await _check_text(body, _media_type(scope), self.limits.max_json_depth)
        except BodyRefused as refused:
            await _send_refusal(send, refused)
            return
        await self.app(scope, reader.replay(body), send)

    async def _streamed(self, scope: Scope, reader: BodyReader, send: Send) -> None:
        """Pass the body through as it arrives; a refusal replaces whatever the app answers."""
        answered = False

        async def guarded_send(message: Message) -> None:
            nonlocal answered
            if reader.refused is None:
                answered = answered or message["type"] == "http.response.start"
                await send(message)
            elif not answered:
                answered = True
                await _send_refusal(send, reader.refused)

        try:
            await self.app(scope, reader.receive, guarded_send)
        except BodyRefused:
            if reader.refused is None:
                raise
        if reader.refused is not None and not answered:
            await _send_refusal(send, reader.refused)


class BodyReader:
    """The request's `receive`, counting body bytes against `limit` and bounding the time
    until the body is complete; after that it passes messages through untouched."""

    def __init__(self, receive: Receive, limit: BodyLimit) -> None:
        self._receive = receive
        self.limit = limit
        self.received = 0
        self.complete = False
        self.refused: BodyRefused | None = None
        self._deadline = asyncio.get_running_loop().time() + limit.timeout_s

    async def receive(self) -> Message:
        if self.refused is not None:
            raise self.refused
        if self.complete:
            return await self._receive()
        try:
            # asyncio's own timeout, not anyio's cancel scope: the API runs on asyncio (uvicorn),
            # and the scope cost every request's body 13 us of the event loop against 6.
            async with asyncio.timeout_at(self._deadline):
                message = await self._receive()
        except TimeoutError:
            self.refused = too_slow(self.limit)
            raise self.refused from None
        if message["type"] != "http.request":
            self.complete = True  # the client went away
            return message
        self.received += len(message.get("body", b""))
        if self.received > self.limit.max_bytes:
            self.refused = too_large(self.limit)
            raise self.refused
        self.complete = not message.get("more_body", False)
        return message

    async def read_all(self) -> bytes | None:
        """The whole body, or None when the client disconnects first."""
        chunks = []
        while not self.complete:
            message = await self.receive()
            if message["type"] != "http.request":
                return None
            chunks.append(message.get("body", b""))
        return b"".join(chunks)

    def replay(self, body: bytes) -> Receive:
        """A `receive` that hands the app `body` in one message, then the real one's messages."""
        return replaying([{"type": "http.request", "body": body, "more_body": False}], self._receive)


def replaying(messages: list[Message], receive: Receive) -> Receive:
    """A `receive` that hands the app `messages` again, then the real `receive`'s."""
    pending = list(reversed(messages))

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


async def _check_text(body: bytes, media_type: str, max_depth: int) -> None:
    """Refuse a body that is not UTF-8, or JSON nested deeper than `max_depth` (a form body is
    not JSON: its brackets are escaped)."""

    def check() -> str | None:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            return f"the body is not UTF-8 (byte {exc.start})"
        if media_type != FORM:
            try:
                check_json_depth(body, max_depth)
            except JsonTooDeep as exc:
                return f"the body's {exc}"
        return None

    problem = await anyio.to_thread.run_sync(check) if len(body) > THREAD_CHECK_BYTES else check()
    if problem is not None:
        raise BodyRefused(400, "InvalidBody", problem, field="body")


def _content_length(scope: Scope) -> int | None:
    values = [value for name, value in scope["headers"] if name == b"content-length"]
    if not values:
        return None
    try:
        lengths = {int(value) for value in values}
    except ValueError:
        lengths = set()
    if len(lengths) != 1 or min(lengths) < 0:
        raise BodyRefused(400, "InvalidBody", "the Content-Length header is not one length", field="Content-Length")
    return lengths.pop()


def _media_type(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return value.decode("latin-1").split(";")[0].strip().lower()
    return ""


async def _send_refusal(send: Send, refused: BodyRefused) -> None:
    start, body = refused.answer()
    await send(start)
    await send(body)
