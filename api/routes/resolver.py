"""The GS1 Digital Link resolver behind every sale's QR code, and the QR images and labels.

``/01/{GTIN}/10/{lot}/21/{serial}``: a browser gets the shopper's page; ``Accept:
application/json`` gets the chain of custody as JSON; ``?linkType=all`` gets the list of
links (GS1 linkset). Bad syntax or a wrong GTIN check digit answers 400, an unknown code 404:
never an error page with 200. A receipt's code also carries ``?receipt=`` (the rating proof,
:mod:`api.receipts`): the page then offers the rating form. QR codes and labels carry the proof,
so only the stall that made the sale gets them (:mod:`api.policy`).
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from api.pages.formats import Formatter
from api.pages.i18n import Messages
from api.pages.notice_cards import NoticeCard, notice_cards
from api.pages.rating_form import RatingForm
from api.pages.shopper import render_bad_request, render_not_found, render_sale_pending, render_shopper_page
from api.policy import SaleVendorDep
from api.receipts import RECEIPT_PARAMETER, with_proof
from api.scan_asks import (
    LINKSET_TYPE,
    NoSaleCode,
    answer_headers,
    keep_language,
    page_language,
    read_scan_ask,
    wants_json,
)
from api.scan_cache import matches
from api.scans import JSON, LINKSET, PAGE, Scan, scan_seen
from api.schemas import BatchId
from api.services import Services
from api.views import custody_json_bytes
from ledger.chain.freshledger import batch_id_of
from ledger.digital_link import DigitalLink, DigitalLinkError, parse_path
from ledger.errors import NotFound
from ledger.qr import qr_png, qr_svg
from ledger.queries import chain_of_custody
from ledger.queries.batches import get_sale
from ledger.queries.notices import current_notices, next_notice_change
from ledger.queries.pending_sales import sale_pending
from ledger.queries.views import CustodyChain, Party, SaleView
from ledger.sale_labels import SaleLabel, label_pdf, label_png
from ledger.store.change_marks import product_key, rating_key, scans_key
from ledger.store.products import product_name
from ledger.store.ratings import rating_for_sale
from ledger.store.receipt_scans import ScanSummary, scan_summary

router = APIRouter(tags=["shoppers"])
#: A receipt's QR code and label hold its rating proof: kept out of shared caches.
PRIVATE = {"Cache-Control": "private, no-store"}
GS1 = "https://gs1.org/voc/"


def sale_link(sale: SaleView) -> DigitalLink:
    return DigitalLink(sale.gtin, lot=sale.lot, serial=str(sale.serial))


def sale_uri(services: Services, sale: SaleView) -> str:
    return services.settings.digital_link_uri(sale_link(sale))


def receipt_uri(services: Services, sale: SaleView) -> str:
    """The Digital Link printed on the sale's receipt: with the rating proof (api.receipts)."""
    return with_proof(sale_uri(services, sale), services.receipts.proof(sale.sale_id))


@router.get("/01/{rest:path}", response_model=None, summary="GS1 Digital Link resolver")
async def resolve(rest: str, request: Request) -> Response:
    """Resolve a sale's Digital Link (``/01/{gtin}/10/{lot}/21/{serial}``).

    Answers come from the worker's scan cache (:mod:`api.scan_cache`), checked against the
    change marks of what they show; a miss reads the chain of custody and renders it. Every
    answer carries a strong ``ETag`` and ``Last-Modified``, and ``If-None-Match`` with the
    current tag gets ``304 Not Modified``. Cached answers and their 304s are mostly answered
    before this route, by the fast path ahead of FastAPI (:mod:`api.scan_fast_path`), which
    reads the request (:mod:`api.scan_asks`) and sends the same bytes; this route answers the
    rest. It runs on the event loop: a cached answer costs one indexed statement, and handing
    each scan to the thread pool cost more under load (GIL hand-offs) than the queries
    themselves. For the same reason the services come straight from the app rather than
    through a dependency (FastAPI's dependency solving was a tenth of a cached scan).
    """
    services: Services = request.app.state.services
    try:
        ask = read_scan_ask(request.scope, services.receipts)
    except DigitalLinkError as exc:
        return _problem(request, 400, "InvalidDigitalLink", str(exc))
    except NoSaleCode:
        return _problem(request, 404, "NotFound", "this code names no sale of this market")
    cache = services.scan_cache
    answer = cache.get(ask.cache_key)
    if answer is None:
        generation = cache.generation()  # before the rows: a change committed after it shows
        try:
            chain = chain_of_custody(services.engine, ask.sale_id)
        except NotFound:
            if _pending(services, request):
                return _pending_answer(request)
            return _problem(request, 404, "NotFound", "no sale with this code has been recorded")
        body, media_type = _render(services, chain, ask.form, ask.lang, ask.proof)
        fresh_until = None
        if ask.form == PAGE:  # its notices change by time; its receipt's scan count at least this often
            bounds = (_notices_change(services, chain), int(time.time()) + SCAN_COUNT_FRESH_S)
            fresh_until = min(b for b in bounds if b is not None)
        keys = _depends_on(chain) | ({scans_key(ask.sale_id)} if ask.form == PAGE else set())
        answer = cache.make(body, media_type, keys, generation, _newest(chain), fresh_until)
        cache.put(ask.cache_key, answer)
    revalidated = matches(request.headers.get("if-none-match"), answer.etag)
    scan_seen(request, services, Scan(ask.sale_id, ask.form, ask.lang, ask.proof, revalidated))
    headers = answer_headers(answer, ask)
    if revalidated:
        response = Response(status_code=304, headers=headers)
    else:
        response = Response(answer.body, media_type=answer.media_type, headers=headers)
    if ask.keeps_lang:
        keep_language(response, str(ask.lang))
    return response


@router.get("/sales/{sale_id}/qr.svg", response_model=None)
def sale_qr_svg(sale_id: BatchId, caller: SaleVendorDep) -> Response:
    """The receipt's QR code (with the rating proof): for the stall that made the sale."""
    sale, _ = get_sale(caller.services.engine, sale_id)
    return Response(qr_svg(receipt_uri(caller.services, sale)), media_type="image/svg+xml", headers=PRIVATE)


@router.get("/sales/{sale_id}/qr.png", response_model=None)
def sale_qr_png(sale_id: BatchId, caller: SaleVendorDep) -> Response:
    """The receipt's QR code (with the rating proof): for the stall that made the sale."""
    sale, _ = get_sale(caller.services.engine, sale_id)
    return Response(qr_png(receipt_uri(caller.services, sale)), media_type="image/png", headers=PRIVATE)


@router.get("/sales/{sale_id}/label.png", response_model=None)
def sale_label_png(sale_id: BatchId, caller: SaleVendorDep) -> Response:
    """The receipt label (with the rating proof), also to reprint one: for the stall that made the sale."""
    return Response(label_png(_label(caller.services, sale_id)), media_type="image/png", headers=PRIVATE)


@router.get("/sales/{sale_id}/label.pdf", response_model=None)
def sale_label_pdf(sale_id: BatchId, caller: SaleVendorDep) -> Response:
    """The receipt label (with the rating proof), also to reprint one: for the stall that made the sale."""
    return Response(label_pdf(_label(caller.services, sale_id)), media_type="application/pdf", headers=PRIVATE)


def _label(services: Services, sale_id: str) -> SaleLabel:
    sale, _ = get_sale(services.engine, sale_id)
    tz = ZoneInfo(services.settings.market_timezone)
    # The catalog's default name: a printed label does not know its reader's language.
    return SaleLabel.of_sale(sale, receipt_uri(services, sale), product_name(services.engine, sale.gtin), tz=tz)


def _linkset(services: Services, chain: CustodyChain) -> dict[str, Any]:
    """The links of a sale as a GS1 linkset (RFC 9264 JSON)."""
    settings = services.settings
    anchor = sale_uri(services, chain.sale)
    path = sale_link(chain.sale).path
    documents = [
        {"href": settings.public_url(f"/documents/{cid}"), "title": f"{event.kind} document"}
        for event in chain.events
        for cid in [event.details.get("document_cid") or event.details.get("report_cid")]
        if cid
    ]
    links: dict[str, Any] = {
        "anchor": anchor,
        f"{GS1}pip": [
            {"href": settings.public_url(path), "title": "product and chain of custody", "type": "text/html"}
        ],
        f"{GS1}traceability": [
            {"href": settings.public_url(path), "title": "chain of custody", "type": "application/json"}
        ],
        f"{GS1}locationInfo": [
            {"href": settings.public_url(f"/stalls/{chain.sale.vendor.address}"), "title": "the stall"}
        ],
    }
    if documents:
        links[f"{GS1}certificationInfo"] = documents
    return {"linkset": [links]}


def _render(
    services: Services, chain: CustodyChain, form: str, lang: str | None, proof: str | None
) -> tuple[bytes, str]:
    """The body and media type of a scan's answer in `form`."""
    if form == LINKSET:
        return orjson.dumps(_linkset(services, chain)), LINKSET_TYPE
    if form == JSON:
        return custody_json_bytes(chain), "application/json"
    return _shopper_page(services, chain, str(lang), proof).encode(), "text/html; charset=utf-8"


def _depends_on(chain: CustodyChain) -> set[str]:
    """The change-mark keys of what `chain` shows: every batch and participant in it, the
    product's names and the sale's rating."""
    keys = {product_key(chain.sale.gtin), rating_key(chain.sale.sale_id)}

    def walk(value: object) -> None:
        if isinstance(value, Party):
            keys.add(value.address)
        elif dataclasses.is_dataclass(value):
            for item in dataclasses.fields(value):
                inner = getattr(value, item.name)
                if item.name == "batch_id" and isinstance(inner, str):
                    keys.add(inner)
                else:
                    walk(inner)
        elif isinstance(value, list | tuple):
            for inner in value:
                walk(inner)
        elif isinstance(value, dict):
            for inner in value.values():
                walk(inner)

    walk(chain)
    return keys


def _newest(chain: CustodyChain) -> int:
    """The time of the newest step shown (Last-Modified where no change mark has been written)."""
    return max((event.time for event in chain.events), default=chain.sale.time)


def _shopper_page(services: Services, chain: CustodyChain, lang: str, proof: str | None) -> str:
    sale_id = chain.sale.sale_id
    links = {"stall": "/board/stalls/{address}"}
    if proof:
        links["lang"] = f"?lang={{lang}}&{RECEIPT_PARAMETER}={proof}"
    return render_shopper_page(
        chain,
        lang=lang,
        links=links,
        tz=ZoneInfo(services.settings.market_timezone),
        product_name=product_name(services.engine, chain.sale.gtin, lang),
        rating=RatingForm.for_sale(sale_id, rating_for_sale(services.engine, sale_id), proof),
        notices=_notices(services, chain, lang),
        scans=_scans(services, sale_id),
        scan_window_s=services.settings.scan_flag_window_s,
    )


#: Seconds a cached page's count of its receipt's scans may lag (a copy flag reaches the next
#: scan at once, through the receipt's change mark; a page made before its receipt's first
#: scan was written calls that scan the first).
SCAN_COUNT_FRESH_S = 300


def _scans(services: Services, sale_id: str) -> ScanSummary:
    """The receipt's scans as written (a cached page's count lags by at most
    :data:`SCAN_COUNT_FRESH_S`). None written yet: this scan is its first."""
    now = int(time.time())
    return scan_summary(services.engine, sale_id) or ScanSummary(sale_id, now, now, 1, 0, None)


def _notice_lots(chain: CustodyChain) -> dict[str, str]:
    """The lots whose notices a sale's page shows: the sold lot and every lot it came from."""
    return {chain.batch.batch_id: chain.batch.lot, **{e.batch_id: e.lot for e in chain.events if e.batch_id}}


def _notices_change(services: Services, chain: CustodyChain) -> int | None:
    """When the notices the page shows change by time alone (one expires, another begins)."""
    lots, stall = _notice_lots(chain), chain.sale.vendor.address
    return next_notice_change(services.engine, int(time.time()), batch_ids=sorted(lots), stalls=[stall])


def _notices(services: Services, chain: CustodyChain, lang: str) -> list[NoticeCard]:
    """Current notices about the sold lot or any lot it came from, its stall, or everyone."""
    lots = _notice_lots(chain)
    stall = chain.sale.vendor.address
    rows = current_notices(services.engine, int(time.time()), batch_ids=sorted(lots), stalls=[stall])
    t = Messages(lang)
    fmt = Formatter(t.lang, t, ZoneInfo(services.settings.market_timezone))
    names = {stall: chain.sale.vendor.name or stall}
    return notice_cards(rows, services.published, t, fmt, lots=lots, stalls=names)


#: Seconds after which a shopper's page of a sale being recorded looks again.
PENDING_RETRY_S = 2


def _pending(services: Services, request: Request) -> bool:
    """Whether the scanned code's serial was reserved for a sale the queue accepted and the
    chain has not refused (a receipt printed before the block): it is being recorded."""
    link = parse_path(request.url.path)
    if link.lot is None or link.serial is None:
        return False
    batch_id = "0x" + batch_id_of(link.gtin, link.lot).hex()
    return sale_pending(services.engine, batch_id, int(link.serial))


def _pending_answer(request: Request) -> Response:
    """202: the sale is on its way to the ledger; look again shortly (not cached: the answer
    changes within seconds, to the shopper's page)."""
    headers = {
        "Retry-After": str(PENDING_RETRY_S),
        "Refresh": str(PENDING_RETRY_S),
        "Cache-Control": "no-store",
    }
    message = "the sale with this code is being recorded: ask again in a few seconds"
    if wants_json(request.scope):
        return JSONResponse({"status": "pending", "message": message}, status_code=202, headers=headers)
    page = render_sale_pending(page_language(request.scope), request.url.path)
    return HTMLResponse(page, status_code=202, headers=headers)


def _problem(request: Request, status: int, name: str, message: str) -> Response:
    if wants_json(request.scope):
        return JSONResponse({"error": name, "message": message}, status_code=status)
    lang = page_language(request.scope)
    page = render_bad_request(lang, message) if status == 400 else render_not_found(lang, request.url.path)
    return HTMLResponse(page, status_code=status)
