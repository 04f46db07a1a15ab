"""The GS1 Digital Link resolver behind every sale's QR code, and the QR images and labels.

``/01/{GTIN}/10/{lot}/21/{serial}``: a browser gets the shopper's page; ``Accept:
application/json`` gets the chain of custody as JSON; ``?linkType=all`` gets the list of
links (GS1 linkset). Bad syntax or a wrong GTIN check digit answers 400, an unknown code 404:
never an error page with 200. A receipt's code also carries ``?receipt=`` (the rating proof,
:mod:`api.receipts`): the page then offers the rating form. QR codes and labels carry the proof,
so only the stall that made the sale gets them (:mod:`api.policy`).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from api.deps import ServicesDep
from api.labels import SaleLabel, label_pdf, label_png
from api.pages.i18n import LANG_COOKIE, negotiate
from api.pages.rating_form import RatingForm
from api.pages.shopper import render_bad_request, render_not_found, render_shopper_page
from api.policy import SaleVendorDep
from api.qr import qr_png, qr_svg
from api.receipts import RECEIPT_PARAMETER, with_proof
from api.schemas import BatchId
from api.services import Services
from api.views import custody_json_bytes
from ledger.chain.freshledger import batch_id_of, sale_id_of
from ledger.digital_link import DigitalLink, DigitalLinkError, parse_path
from ledger.errors import NotFound
from ledger.hexes import to_hex
from ledger.queries import chain_of_custody
from ledger.queries.batches import get_sale
from ledger.queries.views import CustodyChain, SaleView
from ledger.store.products import product_name
from ledger.store.ratings import rating_for_sale

router = APIRouter(tags=["shoppers"])
LINKSET_TYPE = "application/linkset+json"
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
async def resolve(rest: str, request: Request, services: ServicesDep) -> Response:
    """Resolve a sale's Digital Link (``/01/{gtin}/10/{lot}/21/{serial}``).

    The hot path of every QR scan runs on the event loop: its queries are a few indexed
    lookups (milliseconds), and handing each scan to the thread pool cost more under load
    (GIL hand-offs) than the queries themselves.
    """
    wants_json = _wants_json(request)
    raw_path = request.scope.get("raw_path", b"").decode("latin-1") or request.url.path
    try:
        link = parse_path(raw_path)
    except DigitalLinkError as exc:
        return _problem(request, 400, "InvalidDigitalLink", str(exc), wants_json)
    # One URI per sale: the serial is the sale's number written plainly ("12", not "012").
    if link.lot is None or link.serial is None or not link.serial.isdigit() or link.serial != str(int(link.serial)):
        return _problem(request, 404, "NotFound", "this code names no sale of this market", wants_json)
    sale_id = to_hex(sale_id_of(batch_id_of(link.gtin, link.lot), int(link.serial)))
    try:
        chain = chain_of_custody(services.engine, sale_id)
    except NotFound:
        return _problem(request, 404, "NotFound", "no sale with this code has been recorded", wants_json)
    # One dictionary update; the counts are written off this path (api.scan_counter).
    services.scans.record(sale_id, request.client.host if request.client else None)
    if request.query_params.get("linkType") == "all":
        return JSONResponse(_linkset(services, chain), media_type=LINKSET_TYPE)
    if wants_json:
        return Response(custody_json_bytes(chain), media_type="application/json")
    lang = _language(request)
    # A valid proof goes into the rating form (and the language links, so the form survives a
    # switch); a wrong one is dropped, never echoed. The page then sends no Referer and is not
    # kept in shared caches.
    proof = request.query_params.get(RECEIPT_PARAMETER)
    if not services.receipts.verify(sale_id, proof):
        proof = None
    headers = {"Vary": "Accept, Accept-Language, Cookie", "Referrer-Policy": "no-referrer"}
    if proof:
        headers["Cache-Control"] = "private, no-store"
    page = HTMLResponse(_shopper_page(services, chain, lang, proof), headers=headers)
    if request.query_params.get("lang") == lang:
        page.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax")  # the choice sticks
    return page


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


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept or LINKSET_TYPE in accept


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


def _language(request: Request) -> str:
    return negotiate(
        request.headers.get("accept-language"), request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)
    )


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
        scans=services.scans.summary(sale_id),
        scan_window_s=services.settings.scan_flag_window_s,
    )


def _problem(request: Request, status: int, name: str, message: str, wants_json: bool) -> Response:
    if wants_json:
        return JSONResponse({"error": name, "message": message}, status_code=status)
    lang = _language(request)
    page = render_bad_request(lang, message) if status == 400 else render_not_found(lang, request.url.path)
    return HTMLResponse(page, status_code=status)
