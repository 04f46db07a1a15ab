"""The GS1 Digital Link resolver behind every sale's QR code, and the QR images and labels.

``/01/{GTIN}/10/{lot}/21/{serial}``: a browser gets the shopper's page; ``Accept:
application/json`` gets the chain of custody as JSON; ``?linkType=all`` gets the list of
links (GS1 linkset). Bad syntax or a wrong GTIN check digit answers 400, an unknown code 404:
never an error page with 200.
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
from api.qr import qr_png, qr_svg
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
GS1 = "https://gs1.org/voc/"


def sale_link(sale: SaleView) -> DigitalLink:
    return DigitalLink(sale.gtin, lot=sale.lot, serial=str(sale.serial))


def sale_uri(services: Services, sale: SaleView) -> str:
    return services.settings.digital_link_uri(sale_link(sale))


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
    if request.query_params.get("linkType") == "all":
        return JSONResponse(_linkset(services, chain), media_type=LINKSET_TYPE)
    if wants_json:
        return Response(custody_json_bytes(chain), media_type="application/json")
    lang = _language(request)
    page = HTMLResponse(_shopper_page(services, chain, lang), headers={"Vary": "Accept, Accept-Language, Cookie"})
    if request.query_params.get("lang") == lang:
        page.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax")  # the choice sticks
    return page


@router.get("/sales/{sale_id}/qr.svg", response_model=None)
def sale_qr_svg(sale_id: BatchId, services: ServicesDep) -> Response:
    sale, _ = get_sale(services.engine, sale_id)
    return Response(qr_svg(sale_uri(services, sale)), media_type="image/svg+xml")


@router.get("/sales/{sale_id}/qr.png", response_model=None)
def sale_qr_png(sale_id: BatchId, services: ServicesDep) -> Response:
    sale, _ = get_sale(services.engine, sale_id)
    return Response(qr_png(sale_uri(services, sale)), media_type="image/png")


@router.get("/sales/{sale_id}/label.png", response_model=None)
def sale_label_png(sale_id: BatchId, services: ServicesDep) -> Response:
    return Response(label_png(_label(services, sale_id)), media_type="image/png")


@router.get("/sales/{sale_id}/label.pdf", response_model=None)
def sale_label_pdf(sale_id: BatchId, services: ServicesDep) -> Response:
    return Response(label_pdf(_label(services, sale_id)), media_type="application/pdf")


def _label(services: Services, sale_id: str) -> SaleLabel:
    sale, _ = get_sale(services.engine, sale_id)
    tz = ZoneInfo(services.settings.market_timezone)
    # The catalog's default name: a printed label does not know its reader's language.
    return SaleLabel.of_sale(sale, sale_uri(services, sale), product_name(services.engine, sale.gtin), tz=tz)


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


def _shopper_page(services: Services, chain: CustodyChain, lang: str) -> str:
    sale_id = chain.sale.sale_id
    return render_shopper_page(
        chain,
        lang=lang,
        links={"stall": "/board/stalls/{address}"},
        tz=ZoneInfo(services.settings.market_timezone),
        product_name=product_name(services.engine, chain.sale.gtin, lang),
        rating=RatingForm.for_sale(sale_id, rating_for_sale(services.engine, sale_id)),
    )


def _problem(request: Request, status: int, name: str, message: str, wants_json: bool) -> Response:
    if wants_json:
        return JSONResponse({"error": name, "message": message}, status_code=status)
    lang = _language(request)
    page = render_bad_request(lang, message) if status == 400 else render_not_found(lang, request.url.path)
    return HTMLResponse(page, status_code=status)
