"""The vendor's screen: the stall's stock (with each lot's latest lab test), today's sales and
prices, and shoppers' rating. Sales themselves come from the stall's till or scales through
the API (``POST /sales``); the scales' keys are on their own screen
(:mod:`api.routes.workbench_plu`)."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.pages.formats import Formatter
from api.pages.i18n import Messages
from api.workbench.render import render, when
from api.workbench.session import SignedIn, person_with
from ledger.queries.days import market_window
from ledger.queries.stalls import stall_profile
from ledger.store.products import product_names

router = APIRouter(prefix="/workbench", tags=["workbench"], include_in_schema=False)
Vendor = Annotated[SignedIn, Depends(person_with("VENDOR"))]


@router.get("/vendor", response_class=HTMLResponse)
def stall(request: Request, who: Vendor) -> Response:
    engine = who.services.engine
    tz = ZoneInfo(who.services.settings.market_timezone)
    day, start, end = market_window(None, tz)
    profile = stall_profile(engine, who.address, start, end, tz)
    names = product_names(engine, who.lang)
    shop = Messages(who.lang)
    fmt = Formatter(who.lang, shop, tz)

    def unit(code: str) -> str:
        return shop.get(f"unit_{code}") or code

    stock = [
        {
            "lot": lot.lot,
            "product": names.get(lot.gtin, lot.gtin),
            "quantity": f"{lot.remaining} {unit(lot.unit)}",
            "status": lot.status,
            "test": None if lot.last_inspection is None else lot.last_inspection.passed,
        }
        for lot in profile.stock
    ]
    sales = [
        {
            "when": when(s.time, tz),
            "lot": s.lot,
            "product": names.get(s.gtin, s.gtin),
            "quantity": f"{s.quantity} {unit(s.unit)}",
            "price": fmt.money(s.price, s.currency),
        }
        for s in profile.recent_sales
        if start <= s.time < end
    ]
    prices = [
        {
            "product": names.get(p.gtin, p.gtin),
            "median": fmt.money(p.median, p.currency),
            "range": f"{fmt.money(p.low, p.currency)} \u2013 {fmt.money(p.high, p.currency)}",
            "unit": unit(p.unit),
            "sales": p.sales,
        }
        for p in profile.prices
    ]
    return render(
        request,
        who,
        "vendor.html",
        "title_vendor",
        day=day.isoformat(),
        stock=stock,
        sales=sales,
        prices=prices,
        rating=profile.rating,
    )
