"""Shoppers' verified-purchase ratings of stalls.

``POST /sales/{sale_id}/rating`` takes JSON from an app, or the form of the shopper's page
(``application/x-www-form-urlencoded``, no JavaScript needed): the form is answered with a
303 back to the sale's page, which then shows the rating; a refusal with a small page in the
shopper's language. ``GET /stalls/{address}/ratings`` gives a stall's count, mean (from five
ratings on) and newest ratings.

The receipt is the proof of purchase: its QR code carries the sale's rating proof
(:mod:`api.receipts`), which the shopper's page puts in the form's ``receipt`` field and an app
sends as ``"receipt"``. Without a valid proof of this very sale the answer is 403, before
anything else is checked or revealed (the limit, the stars, whether the sale exists or was
rated). Then: more than the client's share of ratings 429 with ``Retry-After`` (token bucket,
:mod:`api.ratelimit`), bad stars or comment 422, an unknown sale 404, a second rating of one
sale 409. Comments are stored as text and escaped wherever a page shows them.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api.deps import ServicesDep
from api.pages.board import render_rating_result
from api.pages.i18n import LANG_COOKIE, Messages, negotiate
from api.ratelimit import TokenBucketLimiter
from api.schemas import Address, BatchId, PlainLines
from ledger.digital_link import DigitalLink
from ledger.errors import NotFound
from ledger.queries.batches import get_sale
from ledger.queries.stalls import stall_entry
from ledger.store.ratings import (
    MAX_COMMENT,
    MAX_STARS,
    MIN_RATINGS_FOR_MEAN,
    MIN_STARS,
    AlreadyRated,
    InvalidRating,
    add_rating,
    recent_ratings,
    stall_rating,
)

router = APIRouter(tags=["shoppers"])
FORM = "application/x-www-form-urlencoded"


class _Receipt(BaseModel):
    """Only the proof of a rating's body, read before anything else of it."""

    model_config = ConfigDict(extra="ignore")
    receipt: str | None = None


class RatingCreate(BaseModel):
    """A shopper's rating of the stall that made the sale."""

    model_config = ConfigDict(extra="forbid")
    receipt: str = Field(
        description="the rating proof printed on the receipt (the receipt's QR code, ?receipt=)",
        max_length=64,
        examples=["3q2-7wAAAAAAAAAA"],
    )
    stars: int = Field(ge=MIN_STARS, le=MAX_STARS, examples=[5])
    comment: Annotated[str, Field(max_length=MAX_COMMENT), PlainLines] | None = Field(
        default=None, examples=["Crisp greens, friendly stall"]
    )


_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": RatingCreate.model_json_schema()},
            FORM: {"schema": RatingCreate.model_json_schema()},
        },
    }
}


def limiter(request: Request) -> TokenBucketLimiter:
    """The app's rating limiter (made on first use; a test may put its own in place)."""
    state = request.app.state
    if getattr(state, "rating_limiter", None) is None:
        state.rating_limiter = TokenBucketLimiter()
    return state.rating_limiter


@router.post(
    "/sales/{sale_id}/rating",
    status_code=201,
    response_model=None,
    openapi_extra=_BODY,
    responses={
        303: {"description": "form posts: back to the sale's page"},
        403: {"description": "no valid rating proof of this sale (the receipt's code)"},
        404: {"description": "no such sale"},
        409: {"description": "this sale has been rated already"},
        422: {"description": "stars outside 1-5 or comment too long"},
        429: {"description": "too many ratings from this client; see Retry-After"},
    },
)
async def rate_sale(sale_id: BatchId, request: Request, services: ServicesDep) -> Response:
    """Rate the stall of sale `sale_id`, once: 1 to 5 stars and an optional short comment."""
    is_form = request.headers.get("content-type", "").split(";")[0].strip().lower() == FORM
    t = Messages(_language(request))
    body = await request.body()
    if not services.receipts.verify(sale_id, _proof_in(body, is_form)):
        return _refuse(
            403,
            "NoReceiptProof",
            "only the buyer can rate a sale: send the rating proof printed on its receipt (receipt)",
            t("rating_no_receipt"),
            t,
            form=is_form,
        )
    wait = limiter(request).take(request.client.host if request.client else "unknown")
    if wait is not None:
        seconds = limiter(request).retry_after(wait)
        return _refuse(
            429,
            "TooManyRatings",
            f"too many ratings from this client; try again in {seconds} s",
            t("rating_limited", seconds=seconds) if is_form else None,
            t,
            headers={"Retry-After": seconds},
        )
    try:  # the body's size was bounded before the route ran (FRESHLEDGER_MAX_RATING_BYTES, api.limits)
        rating = RatingCreate.model_validate(_form_fields(body)) if is_form else RatingCreate.model_validate_json(body)
        record = await run_in_threadpool(add_rating, services.engine, sale_id, rating.stars, rating.comment)
    except (ValidationError, InvalidRating) as exc:
        return _refuse(422, "InvalidRating", _explain(exc), t("rating_invalid", max=MAX_COMMENT), t, form=is_form)
    except NotFound as exc:
        return _refuse(404, "NotFound", str(exc), t("rating_unknown_sale"), t, form=is_form)
    except AlreadyRated as exc:
        back = await run_in_threadpool(_sale_page, services, sale_id)
        return _refuse(409, "AlreadyRated", str(exc), t("rating_duplicate"), t, form=is_form, back=back)
    if is_form:
        back = await run_in_threadpool(_sale_page, services, sale_id)
        return RedirectResponse(f"{back}#rating", status_code=303)
    overall = await run_in_threadpool(stall_rating, services.engine, record.vendor)
    return JSONResponse(
        {
            "sale_id": record.sale_id,
            "stall": record.vendor,
            "stars": record.stars,
            "comment": record.comment,
            "created_at": record.created_at,
            "stall_rating": {"count": overall.count, "mean": overall.mean},
        },
        status_code=201,
    )


@router.get("/stalls/{address}/ratings")
def stall_ratings(
    address: Address, services: ServicesDep, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> dict[str, Any]:
    """A stall's rating (count; mean only from five ratings on) and its newest ratings."""
    entry = stall_entry(services.engine, address)
    return {
        "address": entry.address,
        "count": entry.rating.count,
        "mean": entry.rating.mean,
        "mean_shown_from": MIN_RATINGS_FOR_MEAN,
        "data": [
            {"stars": r.stars, "comment": r.comment, "created_at": r.created_at}
            for r in recent_ratings(services.engine, address, limit)
        ],
    }


def _proof_in(body: bytes, is_form: bool) -> str | None:
    """The ``receipt`` field of a rating's body, if it has one (nothing else is looked at)."""
    if is_form:
        return _form_fields(body).get("receipt")
    try:
        return _Receipt.model_validate_json(body).receipt
    except ValidationError:
        return None


def _form_fields(body: bytes) -> dict[str, str]:
    fields = dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
    if not fields.get("comment", "").strip():
        fields.pop("comment", None)
    return fields


def _explain(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors())
    return str(exc)


def _sale_page(services: Any, sale_id: str) -> str | None:
    """The path of the sale's page (its Digital Link on this host), or None for no sale."""
    try:
        sale, _ = get_sale(services.engine, sale_id)
    except NotFound:
        return None
    return DigitalLink(sale.gtin, lot=sale.lot, serial=str(sale.serial)).path


def _refuse(
    status: int,
    name: str,
    message: str,
    page_message: str | None,
    t: Messages,
    *,
    form: bool = True,
    back: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    if form and page_message is not None:
        html = render_rating_result(t.lang, ok=False, message=page_message, back=back)
        return HTMLResponse(html, status_code=status, headers=headers)
    return JSONResponse({"error": name, "message": message}, status_code=status, headers=headers)


def _language(request: Request) -> str:
    return negotiate(
        request.headers.get("accept-language"), request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)
    )
