"""Query strings and paths with control characters are refused before any route sees them.

NUL and the other C0 controls have no place in a GTIN, lot, date, address or token, and a
NUL that reaches PostgreSQL fails the statement ("string literal cannot contain NUL"),
which would answer 500. One check here, on the percent-decoded text, answers 400 naming the
parameter instead, for every route present and future.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, unquote

from starlette.types import ASGIApp, Receive, Scope, Send


def _has_control(text: str) -> bool:
    return any(ord(c) < 0x20 or ord(c) == 0x7F for c in text)


def refusal(scope: Scope) -> str | None:
    """Why the request's path or query may not be served (None: they are plain)."""
    if _has_control(unquote(scope.get("raw_path", b"").decode("latin-1")) or scope.get("path", "")):
        return "the path contains a control character"
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True, encoding="latin-1"):
        if _has_control(name) or _has_control(value):
            return f"the query parameter {name[:40]!r} contains a control character"
    return None


class RefuseControlCharacters:
    """ASGI middleware: 400 for a control character in the path or a query parameter."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        reason = refusal(scope) if scope["type"] == "http" else None
        if reason is None:
            await self.app(scope, receive, send)
            return
        body = json.dumps({"detail": reason}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 400, "headers": headers})
        await send({"type": "http.response.body", "body": body})
