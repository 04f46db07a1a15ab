"""The market's touchscreen (``/kiosk``) and the search behind it (``/market/search``): which
stalls have a product in stock now, with price, origin and latest test. Read from the index
and the document store (notice texts, the floor plan), never from the node."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse

from api.day_panels import DAY_PANELS, day_window, market_zone
from api.deps import ServicesDep
from api.pages.formats import Formatter
from api.pages.i18n import Messages, negotiate
from api.pages.kiosk import KioskData, render_kiosk
from api.pages.notice_cards import notice_cards
from api.routes.market_map import current_plan
from api.schemas import Address, Gtin
from api.services import Services
from ledger.queries.notices import current_notices, stall_states
from ledger.queries.search import matching_products, stock_offers
from ledger.queries.stalls import stall_directory, stall_profile
from ledger.store.products import ProductRecord, list_products

router = APIRouter(tags=["market"])
#: Longest name query: longer than any catalogued name (120 characters) needs no search.
MAX_QUERY = 120


def _product(catalog: list[ProductRecord], gtin: str) -> ProductRecord:
    for record in catalog:
        if record.gtin == gtin:
            return record
    # A GTIN the catalog has not named can still be in stock: show it by its code.
    return ProductRecord(gtin, gtin)


@router.get("/kiosk", response_class=HTMLResponse)
def kiosk(
    request: Request,
    services: ServicesDep,
    product: Annotated[Gtin | None, Query(description="a product's GTIN: the stalls that have it")] = None,
    stall: Annotated[Address | None, Query(description="a stall's address: its stock")] = None,
) -> HTMLResponse:
    """The touchscreen: the catalog to tap, the stalls that have a product now (lit on the
    map), a stall's stock, the notices and today's tests; back to the start after a minute."""
    lang = negotiate(request.headers.get("accept-language"), request.query_params.get("lang"))
    engine, tz = services.engine, market_zone(services)
    catalog = list_products(engine)
    now = int(time.time())
    _, start, end = day_window(services, None)
    t = Messages(lang)
    directory = {entry.address: entry.name for entry in stall_directory(engine)}
    chosen = _product(catalog, product) if product else None
    profile = None
    if stall is not None and chosen is None:
        profile = stall_profile(engine, stall, start, end, tz)  # NotFound (404) for a non-stall
    notices = current_notices(engine, now, stalls=[stall] if profile else None)
    data = KioskData(
        catalog=catalog,
        plan=current_plan(services),
        states=stall_states(engine),
        stall_names=directory,
        notices=notice_cards(notices, services.published, t, Formatter(lang, t, tz), stalls=directory),
        tests=DAY_PANELS.get(services, start, end).inspections,
        product=chosen,
        offers=stock_offers(engine, [chosen.gtin]) if chosen else [],
        stall=profile,
    )
    html = render_kiosk(data, lang=lang, tz=tz, idle=services.settings.kiosk_idle_s)
    return HTMLResponse(html, headers={"Cache-Control": "no-store", "Vary": "Accept-Language"})


@router.get("/market/search")
def market_search(
    services: ServicesDep,
    product: Annotated[Gtin | None, Query(description="a product's GTIN")] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=MAX_QUERY, description="a name in any language")] = None,
) -> dict[str, Any]:
    """The stalls that have a product in stock now, by GTIN (`product`) or by a name in any
    of the catalog's languages (`q`): each lot with its stall, the stall's latest price of
    the product, the lot's origins and its latest lab test."""
    if (product is None) == (q is None):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "give either product (a GTIN) or q (a name)")
    catalog = list_products(services.engine)
    found = [_product(catalog, product)] if product else matching_products(catalog, q or "")
    return _search_json(services, found)


def _search_json(services: Services, products: list[ProductRecord]) -> dict[str, Any]:
    directory = {entry.address: entry.name for entry in stall_directory(services.engine)}
    offers = stock_offers(services.engine, [p.gtin for p in products])
    data = []
    for offer in offers:
        lot, test = offer.lot, offer.lot.last_inspection
        data.append(
            {
                "stall": offer.stall,
                "stall_name": directory.get(offer.stall),
                "gtin": lot.gtin,
                "batch_id": lot.batch_id,
                "lot": lot.lot,
                "remaining": lot.remaining,
                "unit": lot.unit,
                "unit_price": offer.unit_price,
                "currency": offer.currency,
                "origins": [{"kind": k, "origin": o} for o, k in zip(lot.origins, lot.origin_kinds, strict=True)],
                "latest_test": None
                if test is None
                else {"passed": test.passed, "time": test.time, "lot": test.lot, "lab": test.lab.name},
            }
        )
    return {
        "products": [{"gtin": p.gtin, "name": p.name, "names": p.names} for p in products],
        "data": data,
        "count": len(data),
    }
