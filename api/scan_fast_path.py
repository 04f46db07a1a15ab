"""Cached scan answers and their 304s, answered ahead of FastAPI (pure ASGI).

Behind FastAPI a cached scan paid for its telemetry check, its routing through every route,
the request and response objects and four middlewares: nine tenths of a 304's time (the
cache's own check, one indexed statement, was under a tenth). :class:`ScanFastPath` runs
before all that (:class:`api.main.LedgerApi` calls it first). A
``GET`` of a plain Digital Link path is read the resolver's way
(:func:`api.scan_asks.read_scan_ask`); when the worker's scan cache holds a current answer
(:meth:`api.scan_cache.ScanCache.get`, which checks the change marks on every use, so a recall
reaches the next scan here as in the resolver) it is sent from here, 200 or 304, with exactly
the headers the resolver's answer carries once through the middlewares:
:func:`api.scan_asks.answer_headers`, the body's length and type, the ``lang`` cookie, and the
security headers of :mod:`api.headers` (this layer is outside
:class:`~api.headers.SecurityHeadersMiddleware`). A test compares the two byte for byte.

Everything else goes to the app untouched, which answers it as before:

- a miss or a stale answer (the resolver makes it and keeps it for the next scan);
- a code that names no sale or is malformed (the resolver's 404 and 400);
- any other scope (lifespan, websockets), any method but ``GET``, a request with a body
  (:class:`~api.bodies.BodyLimitMiddleware` reads and checks those), a root path;
- anything odd: a path or query string longer than a sale's Digital Link needs, percent
  escapes or bytes outside printable ASCII in either
  (:class:`~api.plain_params.RefuseControlCharacters` judges those);
- an error inside this layer (logged): the app is the authority and answers the same request
  its own way.

Answers sent from here skip FastAPI's telemetry (OpenTelemetry spans and metrics, when a
provider is configured): a cache hit is not worth a span. What a scan does besides its answer
holds here too: it is counted for the receipt checks by
the same call with the same :class:`~api.scans.Scan` (:func:`api.scans.scan_seen`). Scans are
not rate limited; the token buckets guard ratings and sign-ins, posts that never stop here.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache

from starlette.datastructures import State
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.headers import COMMON, is_html, page_headers, page_policy
from api.scan_asks import NoSaleCode, answer_headers, first_headers, keep_language, read_scan_ask
from api.scan_cache import matches
from api.scans import Scan, scan_seen
from api.services import Services
from ledger.digital_link import DigitalLinkError

log = logging.getLogger(__name__)

#: The longest path and query string answered here: a sale's Digital Link is under 100 bytes
#: (a GTIN, a lot and a serial of up to 20 characters each), a receipt's query 25.
MAX_PATH_BYTES = 256
MAX_QUERY_BYTES = 256
#: Printable ASCII but ``%``: nothing to decode, no control character to refuse.
_PLAIN = re.compile(rb"[!-$&-~]*")
_RESOLVER_PREFIX = "/01/"


@dataclass
class FastPathCounts:
    """What one worker's fast path did with the scans it saw."""

    #: Answered from the cache with the body (200).
    answered: int = 0
    #: Answered ``304 Not Modified``.
    revalidated: int = 0
    #: Passed on to the app (a miss, a stale answer, a code that names no sale, anything odd).
    passed_on: int = 0


class ScanFastPath:
    """An ASGI app answering current cached scans ahead of `app` (see the module), with the
    services found in `state` (the app's ``state``, where its lifespan puts them).

    `counts` is where it counts what it did; with `enabled` false every request passes on."""

    def __init__(self, app: ASGIApp, state: State, counts: FastPathCounts | None = None, enabled: bool = True) -> None:
        self.app = app
        self.state = state
        self.counts = counts if counts is not None else FastPathCounts()
        self.enabled = enabled
        self._common = _raw(COMMON)
        self._page = _raw(page_headers(page_policy()))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.enabled and scope["type"] == "http" and plain_scan(scope):
            answer = self._from_cache(scope)
            if answer is not None:
                start, body = answer
                await send(start)
                await send(body)
                return
            self.counts.passed_on += 1
        await self.app(scope, receive, send)

    def _from_cache(self, scope: Scope) -> tuple[Message, Message] | None:
        """The two messages of the cached answer to the scan `scope` asks, or None."""
        try:
            services: Services = self.state.services
            ask = read_scan_ask(scope, services.receipts)
            answer = services.scan_cache.get(ask.cache_key)
        except (DigitalLinkError, NoSaleCode):
            return None  # the resolver answers 400 or 404
        except Exception:
            log.exception("scan fast path: passed on to the app")
            return None
        if answer is None:
            return None
        held = first_headers(scope).get(b"if-none-match")
        revalidated = matches(None if held is None else held.decode("latin-1"), answer.etag)
        scan_seen(Request(scope), services, Scan(ask.sale_id, ask.form, ask.lang, ask.proof, revalidated))
        # In the order the resolver's Response, its cookie and the security headers add them.
        headers = _raw(answer_headers(answer, ask))
        if not revalidated:
            headers.append((b"content-length", str(len(answer.body)).encode("latin-1")))
            headers.append((b"content-type", _content_type(answer.media_type)))
        if ask.keeps_lang:
            headers.append((b"set-cookie", _lang_cookie(str(ask.lang))))
        headers += self._common
        if revalidated:
            self.counts.revalidated += 1
            status, body = 304, b""
        else:
            self.counts.answered += 1
            status, body = 200, answer.body
            if is_html(answer.media_type):
                headers += self._page
        start = {"type": "http.response.start", "status": status, "headers": headers}
        return start, {"type": "http.response.body", "body": body}


def plain_scan(scope: Scope) -> bool:
    """Whether `scope` is a ``GET`` of the resolver's path this layer may read: short, plain
    printable ASCII path and query, no body, no root path."""
    if scope["method"] != "GET" or scope.get("root_path") or not scope["path"].startswith(_RESOLVER_PREFIX):
        return False
    path = scope.get("raw_path")
    if not path or len(path) > MAX_PATH_BYTES or not _PLAIN.fullmatch(path):
        return False
    query = scope.get("query_string", b"")
    if len(query) > MAX_QUERY_BYTES or not _PLAIN.fullmatch(query):
        return False
    for name, value in scope["headers"]:
        if name == b"transfer-encoding" or (name == b"content-length" and value != b"0"):
            return False
    return True


def _raw(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    """`headers` as ASGI sends them (Starlette's spelling: lower-case names, latin-1)."""
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]


@lru_cache(maxsize=16)
def _content_type(media_type: str) -> bytes:
    """The ``Content-Type`` a Starlette response of `media_type` sends (text gets a charset)."""
    return _header(Response(media_type=media_type), b"content-type")


@lru_cache(maxsize=16)
def _lang_cookie(lang: str) -> bytes:
    """The ``Set-Cookie`` the resolver sends when ``?lang=`` chose `lang`."""
    response = Response()
    keep_language(response, lang)
    return _header(response, b"set-cookie")


def _header(response: Response, name: bytes) -> bytes:
    return next(value for key, value in response.raw_headers if key == name)
