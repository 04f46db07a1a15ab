"""The vendor's scale keys (PLUs): the stall's keys with the lot each sells from (blocked ones
marked), and a key mapped to a lot in the stall's custody through the durable queue as
``PUT /stalls/{address}/plu/{key}`` does (``mapPlu``): the contract's refusals (a lot not
held, quarantined, recalled, sold out or in transit) are shown beside the lot. A key is
cleared as ``DELETE /stalls/{address}/plu/{key}`` clears it (``mapPlu`` with the zero batch
id)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.routes.scales import CLEARED
from api.workbench.fields import Reader
from api.workbench.render import FormState, render
from api.workbench.session import FormDep, Refused, SignedIn, person_with
from api.workbench.submit import new_form_key, submit
from ledger.queries.batches import search_batches
from ledger.queries.plu import plu_table
from ledger.store.products import product_names

router = APIRouter(prefix="/workbench", tags=["workbench"], include_in_schema=False)
Vendor = Annotated[SignedIn, Depends(person_with("VENDOR"))]
#: The scales' keys: 1 to 9999, as ``PUT /stalls/{address}/plu/{key}`` takes them.
MAX_PLU = 9999


def _held(who: SignedIn) -> dict[str, str]:
    """The lots in the stall's custody (any state: the contract says why one cannot be sold)."""
    names = product_names(who.services.engine, who.lang)
    held = search_batches(who.services.engine, custodian=who.address, limit=200).items
    return {
        b.batch_id: f"{b.lot} · {names.get(b.gtin, b.gtin)} · {who.t.get('status_' + b.status) or b.status}"
        for b in held
        if b.status != "sold_out"
    }


def _page(request: Request, who: SignedIn, state: FormState, form_key: str, status_code: int = 200) -> Response:
    engine = who.services.engine
    names = product_names(engine, who.lang)
    keys = [
        {
            "plu": entry.plu,
            "lot": entry.lot or entry.batch_id,
            "batch_id": entry.batch_id,
            "product": names.get(entry.gtin or "", entry.gtin or ""),
            "status": entry.status or "",
            "blocked": entry.blocked,
            "form_key": new_form_key(),
        }
        for entry in sorted(plu_table(engine, who.address).values(), key=lambda e: e.plu)
    ]
    return render(
        request,
        who,
        "vendor_plu.html",
        "title_plu",
        status_code=status_code,
        f=state,
        form_key=form_key,
        keys=keys,
        lots=[("", who.t("choose_lot")), *_held(who).items()],
        max_plu=MAX_PLU,
    )


@router.get("/vendor/plu", response_class=HTMLResponse)
def plu_keys(request: Request, who: Vendor) -> Response:
    return _page(request, who, FormState(), new_form_key())


@router.post("/vendor/plu", response_class=HTMLResponse)
async def map_plu(request: Request, who: Vendor, form: FormDep) -> Response:
    """Map a key to a lot the stall holds; the contract's refusal is shown beside the lot."""
    read = Reader(form, who.t)
    key = read.whole("plu")
    if key is not None and key > MAX_PLU:
        read.fail("plu", "error_plu")
        key = None
    batch_id = read.choice("batch_id", await run_in_threadpool(_held, who))
    form_key = str(form.get("form_key") or new_form_key())
    if not read.state.ok or key is None or batch_id is None:
        if "plu" in read.state.errors and read.state.errors["plu"] == who.t("error_number"):
            read.state.errors["plu"] = who.t("error_plu")
        return _page(request, who, read.state, form_key, 422)
    done = await submit(request, who, form, "plu", {"plu": key, "batch_id": batch_id}, "plu")
    if done.intent is None or done.refusal:
        read.state.errors["batch_id"] = done.refusal or who.t("error_choice")
        return _page(request, who, read.state, new_form_key() if done.intent else form_key, 409)
    return RedirectResponse(f"/workbench/intents/{done.intent.id}", status_code=303)


@router.post("/vendor/plu/{key}/clear", response_class=HTMLResponse)
async def clear_plu(
    request: Request, key: Annotated[int, Path(ge=1, le=MAX_PLU)], who: Vendor, form: FormDep
) -> Response:
    """Clear a key of the stall: the scales sell nothing under it until it is mapped again."""
    done = await submit(request, who, form, "plu", {"plu": key, "batch_id": CLEARED}, "plu_clear")
    if done.intent is None or done.refusal:
        raise Refused(409, "refused_by_ledger", who.lang, detail=done.refusal)
    return RedirectResponse(f"/workbench/intents/{done.intent.id}", status_code=303)
