"""The market's floor plan: ``PUT /market/layout`` (the market authority) checks a plan against
the registered stalls, stores it as a document and publishes its CID on-chain;
``GET /board/map`` draws the current plan as SVG, each stall coloured by its state now."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse, Response

from api.deps import Caller, ServicesDep, require
from api.pages.floor_map import floor_map
from api.pages.i18n import LANG_COOKIE, Messages, negotiate
from api.services import Services
from api.writes import tx_response
from ledger.errors import NotFound
from ledger.notices import FloorPlan, LayoutInvalid
from ledger.notices.publish import publish_layout
from ledger.queries.notices import latest_layout, stall_states
from ledger.queries.stalls import stall_directory

router = APIRouter(tags=["market"])
Authority = Annotated[Caller, Depends(require("ADMIN"))]
#: The standalone SVG runs nothing and loads nothing.
SVG_POLICY = "default-src 'none'"


@router.put("/market/layout", responses={422: {"description": "the plan's problems, all of them"}})
def put_layout(caller: Authority, plan: Annotated[dict[str, Any], Body(examples=[{"width": 40, "height": 24}])]) -> Any:
    """Set the market's floor plan (market authority): `width` x `height` units, every
    registered stall placed once (`stalls`: stall, x, y, w, h), `empty` places (label, x, y,
    w, h), `entrances` on the edge (label, x, y) and the `lab` (x, y, w, h); no overlaps."""
    services = caller.services
    try:
        checked = checked_layout(services, plan)
    except LayoutInvalid as exc:
        return JSONResponse({"error": "LayoutInvalid", "message": str(exc), "problems": exc.problems}, status_code=422)
    published = publish_layout(services.ledger, services.documents, caller.account, checked)
    return tx_response(published.result, cid=published.cid)


def checked_layout(services: Services, plan: Mapping[str, Any]) -> FloorPlan:
    """`plan` checked against the registered stalls (every one placed once);
    :class:`LayoutInvalid` lists every problem. The API and the workbench both check here."""
    registered = [entry.address for entry in stall_directory(services.engine)]
    return FloorPlan.parse(plan, registered=registered)


def current_plan(services: Services) -> FloorPlan | None:
    """The plan set last, if its document can be read."""
    row = latest_layout(services.engine)
    return services.published.plan(row.cid) if row is not None else None


@router.get(
    "/board/map",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}, "description": "the floor plan"}},
)
def board_map(request: Request, services: ServicesDep) -> Response:
    """The floor plan as SVG: stalls labelled by place and coloured by state (open with
    stock, quarantined stock, suspended, no stock), empty places, the lab, the entrances."""
    plan = current_plan(services)
    if plan is None:
        raise NotFound("the market has not published a floor plan yet")
    lang = negotiate(
        request.headers.get("accept-language"), request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)
    )
    names = {entry.address: entry.name for entry in stall_directory(services.engine)}
    svg = floor_map(
        plan,
        stall_states(services.engine),
        names,
        Messages(lang),
        href=lambda address: f"/board/stalls/{address}",
        standalone=True,
    )
    headers = {"Cache-Control": "no-store", "Content-Security-Policy": SVG_POLICY, "Vary": "Accept-Language, Cookie"}
    return Response(str(svg), media_type="image/svg+xml", headers=headers)
