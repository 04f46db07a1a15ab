"""Security headers on every answer, in one place (pure ASGI, so refusals get them too).

| answer | headers |
|---|---|
| every one | ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer`` |
| HTML pages | ``Content-Security-Policy`` (:func:`page_policy`), ``X-Frame-Options: DENY`` |
| ``/documents/...`` | ``Content-Security-Policy: default-src 'none'; sandbox``, ``Content-Disposition`` |

A page's policy allows no script and no style but the pages' own inline ones, by their
SHA-256 (:mod:`api.pages.assets`); ``connect-src 'self'`` lets the board fetch its fragment,
``form-action 'self'`` lets the rating form post; no page may be framed. A route that sets a
header itself keeps its own (a document sets its Content-Disposition).

FastAPI's API documentation pages (``/docs``, ``/redoc``) load Swagger UI and ReDoc from
their CDN and carry an inline script each; their policy allows that CDN and hashes their
inline scripts from the page itself: those pages are built from the app's configuration
alone, with nothing from the request in them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.pages.assets import csp_hash, script_hashes, style_hashes

DOCUMENT_POLICY = "default-src 'none'; sandbox"
#: What every answer carries.
COMMON = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
DOCS_CDN = "https://cdn.jsdelivr.net"
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def page_policy() -> str:
    """The Content-Security-Policy of every HTML page of the market."""
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {' '.join(script_hashes())}",
            f"style-src {' '.join(style_hashes())}",
            "img-src 'self' data:",
            "connect-src 'self'",
            "form-action 'self'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]
    )


def docs_policy(inline_scripts: Iterable[bytes]) -> str:
    """The policy of an API documentation page whose inline scripts are `inline_scripts`.
    Swagger UI and ReDoc set styles from their scripts, hence ``'unsafe-inline'`` for style
    on these pages only (they show the OpenAPI document, nothing anyone else wrote)."""
    hashes = " ".join(csp_hash(script.decode("utf-8")) for script in inline_scripts)
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {DOCS_CDN} {hashes}".strip(),
            f"style-src {DOCS_CDN} https://fonts.googleapis.com 'unsafe-inline'",
            "font-src https://fonts.gstatic.com",
            "img-src 'self' data: https:",
            "connect-src 'self'",
            "worker-src blob:",
            "form-action 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]
    )


def page_headers(policy: str) -> dict[str, str]:
    """What an HTML page carries besides :data:`COMMON`, in the order added."""
    return {"Content-Security-Policy": policy, "X-Frame-Options": "DENY"}


class SecurityHeadersMiddleware:
    """Adds the headers of the module's table to every HTTP answer of `app`.

    `docs_paths` are the API documentation pages (their own policy, see the module)."""

    def __init__(self, app: ASGIApp, docs_paths: Iterable[str] = ()) -> None:
        self.app = app
        self.page_headers = page_headers(page_policy())
        self.docs_paths = frozenset(docs_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path in self.docs_paths:
            await self._docs_page(scope, receive, send)
            return
        document = path == "/documents" or path.startswith("/documents/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in COMMON.items():
                    headers.setdefault(name, value)
                if document:
                    headers.setdefault("Content-Security-Policy", DOCUMENT_POLICY)
                    headers.setdefault("Content-Disposition", "attachment")
                elif _is_html(headers):
                    for name, value in self.page_headers.items():
                        headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _docs_page(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The documentation page, held until complete (a few kB) to hash its inline scripts."""
        start: Message | None = None
        body = bytearray()

        async def hold(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            body.extend(message.get("body", b""))
            if message.get("more_body", False):
                return
            headers = MutableHeaders(scope=start)
            for name, value in COMMON.items():
                headers.setdefault(name, value)
            if _is_html(headers):
                headers["Content-Security-Policy"] = docs_policy(_INLINE_SCRIPT.findall(bytes(body)))
                headers.setdefault("X-Frame-Options", "DENY")
            await send(start)
            await send({"type": "http.response.body", "body": bytes(body), "more_body": False})

        await self.app(scope, receive, hold)


def is_html(content_type: str) -> bool:
    """Whether an answer of `content_type` is an HTML page (gets :func:`page_headers`)."""
    return content_type.split(";")[0].strip().lower() == "text/html"


def _is_html(headers: MutableHeaders) -> bool:
    return is_html(headers.get("content-type", ""))
