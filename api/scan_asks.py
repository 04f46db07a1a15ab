"""What a scan asks for, read from its request: one reading for the resolver and the fast path.

A scan of ``/01/{GTIN}/10/{lot}/21/{serial}`` names a sale; its headers and query pick one of
the sale's answers: the linkset (``?linkType=all``), the JSON (``Accept`` naming JSON or the
linkset type) or the shopper's page in a language (``?lang=``, then the ``lang`` cookie, then
``Accept-Language``), with the rating form when ``?receipt=`` carries the sale's valid proof.
The resolver (:mod:`api.routes.resolver`) and the fast path ahead of FastAPI
(:mod:`api.scan_fast_path`) both read a request with :func:`read_scan_ask` and answer with
:func:`answer_headers`, so the two cannot pick different answers or send different headers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from starlette.datastructures import URL, QueryParams
from starlette.requests import cookie_parser
from starlette.responses import Response
from starlette.types import Scope

from api.pages.i18n import LANG_COOKIE, negotiate
from api.receipts import RECEIPT_PARAMETER, ReceiptProofs
from api.scan_cache import ScanAnswer
from api.scans import JSON, LINKSET, PAGE
from ledger.chain.freshledger import batch_id_of, sale_id_of
from ledger.digital_link import parse_path
from ledger.hexes import to_hex

LINKSET_TYPE = "application/linkset+json"
#: A scan's answer may be kept by the phone or a CDN, but asked after each time (a 304 when
#: unchanged): a recall must reach the next scan.
REVALIDATE = "public, no-cache"
#: A page with the receipt's rating proof: kept by no one.
PRIVATE_PAGE = "private, no-store"
#: What picks among a scan's answers at one URL.
VARY = "Accept, Accept-Language, Cookie"
#: How long the ``lang`` cookie set from ``?lang=`` keeps the choice.
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600


class NoSaleCode(Exception):
    """A well-formed Digital Link that cannot name a sale (no lot or serial, or a serial not
    written plainly): 404, never a scan."""


@dataclass(frozen=True)
class ScanAsk:
    """One scan's choice among its sale's answers."""

    sale_id: str
    #: :data:`~api.scans.PAGE`, :data:`~api.scans.JSON` or :data:`~api.scans.LINKSET`.
    form: str
    #: The page's language (None for JSON and the linkset).
    lang: str | None
    #: The receipt's rating proof when the request carried the sale's valid one, else None.
    proof: str | None
    #: Whether the page's language came from ``?lang=`` as written: the answer sets the
    #: ``lang`` cookie, so that the choice sticks.
    keeps_lang: bool

    @property
    def cache_key(self) -> tuple[str, str, str | None, bool]:
        """The key of its answer in the scan cache: everything the answer's bytes depend on
        (the proof is a function of the sale id, so only whether it was valid counts)."""
        return (self.sale_id, self.form, self.lang, self.proof is not None)


def read_scan_ask(scope: Scope, receipts: ReceiptProofs) -> ScanAsk:
    """What the request of `scope` (a ``GET /01/...``) asks for.

    Raises :class:`~ledger.digital_link.DigitalLinkError` for a malformed code (400) and
    :class:`NoSaleCode` for one that names no sale (404)."""
    raw_path = scope.get("raw_path", b"").decode("latin-1") or URL(scope=scope).path
    link = parse_digital_link(raw_path)
    # One URI per sale: the serial is the sale's number written plainly ("12", not "012").
    if link.lot is None or link.serial is None or not link.serial.isdigit() or link.serial != str(int(link.serial)):
        raise NoSaleCode(raw_path)
    sale_id = sale_id_of_code(link.gtin, link.lot, int(link.serial))
    query = QueryParams(scope["query_string"])
    if query.get("linkType") == "all":
        return ScanAsk(sale_id, LINKSET, None, None, False)
    headers = first_headers(scope)
    if _wants_json(headers):
        return ScanAsk(sale_id, JSON, None, None, False)
    lang = _page_language(scope, headers, query)
    # A valid proof goes into the rating form (and the language links, so the form survives
    # a switch); a wrong one is dropped, never echoed. The page then sends no Referer and is
    # kept by no cache but the worker's own, under a key only that proof reaches.
    proof = query.get(RECEIPT_PARAMETER)
    if not receipts.verify(sale_id, proof):
        proof = None
    return ScanAsk(sale_id, PAGE, lang, proof, query.get("lang") == lang)


def wants_json(scope: Scope) -> bool:
    """Whether the request asks for JSON (the custody JSON or the linkset) by its Accept."""
    return _wants_json(first_headers(scope))


def page_language(scope: Scope) -> str:
    """The language of the page the request asks for (:func:`api.pages.i18n.negotiate`)."""
    return _page_language(scope, first_headers(scope), QueryParams(scope["query_string"]))


def first_headers(scope: Scope) -> dict[bytes, bytes]:
    """The request's headers by (lower-case) name, the first of each, as Starlette's
    ``request.headers.get`` reads them."""
    return dict(reversed(scope["headers"]))


def _wants_json(headers: dict[bytes, bytes]) -> bool:
    accept = headers.get(b"accept", b"").decode("latin-1")
    return "application/json" in accept or LINKSET_TYPE in accept


def _page_language(scope: Scope, headers: dict[bytes, bytes], query: QueryParams) -> str:
    accept_language = headers.get(b"accept-language")
    cookie_lang = _lang_cookie_of(scope) if b"cookie" in headers else None
    return _negotiate(
        None if accept_language is None else accept_language.decode("latin-1"), query.get("lang"), cookie_lang
    )


def _lang_cookie_of(scope: Scope) -> str | None:
    """The ``lang`` cookie, read as Starlette's ``request.cookies`` reads it (every Cookie
    header, the later value of a name winning)."""
    cookies: dict[str, str] = {}
    for name, value in scope["headers"]:
        if name == b"cookie":
            cookies.update(cookie_parser(value.decode("latin-1")))
    return cookies.get(LANG_COOKIE)


#: The longest Accept-Language, ``?lang=`` and cookie whose language is remembered: a phone's
#: header is some 30 characters, and remembering one is a tenth of a cached scan.
_REMEMBERED_CHARS = 256


def _negotiate(accept_language: str | None, query_lang: str | None, cookie_lang: str | None) -> str:
    if sum(len(text) for text in (accept_language, query_lang, cookie_lang) if text) <= _REMEMBERED_CHARS:
        return _remembered_negotiate(accept_language, query_lang, cookie_lang)
    return negotiate(accept_language, query_lang, cookie_lang)


_remembered_negotiate = lru_cache(maxsize=4096)(negotiate)


def answer_headers(answer: ScanAnswer, ask: ScanAsk) -> dict[str, str]:
    """The headers of `answer` (200 or 304) to `ask`, but for the body's and the security
    headers, in the order sent."""
    return {
        "ETag": answer.etag,
        "Last-Modified": answer.last_modified,
        "Cache-Control": PRIVATE_PAGE if ask.proof else REVALIDATE,
        "Vary": VARY,
    }


def keep_language(response: Response, lang: str) -> None:
    """Set the ``lang`` cookie on `response`: a language chosen by ``?lang=`` sticks."""
    response.set_cookie(LANG_COOKIE, lang, max_age=LANG_COOKIE_MAX_AGE, samesite="lax")


#: Codes read before: the GS1 checks of a path are a tenth of a cached scan (errors are not kept).
parse_digital_link = lru_cache(maxsize=65_536)(parse_path)


@lru_cache(maxsize=65_536)
def sale_id_of_code(gtin: str, lot: str, serial: int) -> str:
    """The sale id a code names: two Keccak hashes, a sixth of a cached scan, so remembered."""
    return to_hex(sale_id_of(batch_id_of(gtin, lot), serial))
