"""The supplier's screens: my lots and the shipments waiting for me, register a harvest (with
a photo from the phone's camera, stored as a document), ship a lot to a participant by name."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.pages.i18n import Messages
from api.schemas import BatchId
from api.workbench.fields import PHOTO_TYPES, Reader
from api.workbench.render import FormState, render
from api.workbench.session import FormDep, Refused, SignedIn, person_with
from api.workbench.submit import new_form_key, submit
from api.writes import binary_cid
from ledger.errors import NotFound
from ledger.hexes import to_hex
from ledger.queries.batches import get_batch, search_batches
from ledger.queries.views import BatchView
from ledger.queries.workbench import incoming, participant_names
from ledger.store.products import product_names

router = APIRouter(prefix="/workbench", tags=["workbench"], include_in_schema=False)
Supplier = Annotated[SignedIn, Depends(person_with("SUPPLIER"))]
UNITS = ("KGM", "H87", "GRM")


def _lot_row(batch: BatchView, names: dict[str, str], lang: str) -> dict:
    unit = Messages(lang).get(f"unit_{batch.unit}") or batch.unit
    return {
        "batch_id": batch.batch_id,
        "lot": batch.lot,
        "product": names.get(batch.gtin, batch.gtin),
        "quantity": f"{batch.remaining} {unit}",
        "status": batch.status,
        "can_ship": batch.status == "active" and batch.pending_recipient is None and batch.remaining > 0,
        "pending_to": batch.pending_recipient.name if batch.pending_recipient else None,
        "sender": batch.custodian.name or batch.custodian.address,
        "form_key": new_form_key(),
    }


@router.get("/supplier", response_class=HTMLResponse)
def my_lots(request: Request, who: Supplier) -> Response:
    engine = who.services.engine
    names = product_names(engine, who.lang)
    held = search_batches(engine, custodian=who.address, limit=200).items
    waiting = incoming(engine, who.address)
    return render(
        request,
        who,
        "supplier_lots.html",
        "title_supplier",
        lots=[_lot_row(b, names, who.lang) for b in held if b.status != "sold_out"],
        incoming=[_lot_row(b, names, who.lang) for b in waiting],
    )


def _harvest_page(request: Request, who: SignedIn, state: FormState, form_key: str, status_code: int = 200) -> Response:
    engine = who.services.engine
    products = sorted(product_names(engine, who.lang).items(), key=lambda item: item[1])
    t = Messages(who.lang)
    units = [(code, t.get(f"unit_{code}") or code) for code in UNITS]
    return render(
        request,
        who,
        "harvest.html",
        "title_harvest",
        status_code=status_code,
        f=state,
        form_key=form_key,
        products=products,
        units=units,
    )


@router.get("/supplier/harvest", response_class=HTMLResponse)
def harvest_form(request: Request, who: Supplier) -> Response:
    return _harvest_page(request, who, FormState(values={"unit": "KGM"}), new_form_key())


@router.post("/supplier/harvest", response_class=HTMLResponse)
async def register_harvest(request: Request, who: Supplier, form: FormDep) -> Response:
    """Check every field (errors beside each), store the photo, queue the harvest."""
    read = Reader(form, who.t)
    products = await run_in_threadpool(product_names, who.services.engine, who.lang)
    gtin = read.choice("gtin", products)
    lot = read.lot()
    quantity = read.whole("quantity")
    unit = read.choice("unit", list(UNITS))
    harvested_at = read.past_date("harvested_on", ZoneInfo(who.services.settings.market_timezone))
    origin = read.place()
    photo = await read.upload("photo", PHOTO_TYPES, "error_photo_type")
    form_key = str(form.get("form_key") or new_form_key())
    if not read.state.ok:
        return _harvest_page(request, who, read.state, form_key, 422)
    cid = ""
    if photo is not None:
        stored = await run_in_threadpool(who.services.documents.put, photo[0], photo[1])
        cid = stored.encode("base32")
    payload = {
        "gtin": gtin,
        "lot": lot,
        "quantity": quantity,
        "unit": unit,
        "harvested_at": harvested_at,
        "origin": origin,
        "document_cid": to_hex(binary_cid(cid)),
    }
    done = await submit(request, who, form, "harvest", payload, "harvest")
    if done.intent is None or done.refusal:
        read.state.problem = done.refusal
        return _harvest_page(request, who, read.state, new_form_key() if done.intent else form_key, 409)
    return RedirectResponse(f"/workbench/intents/{done.intent.id}", status_code=303)


def _own_lot(who: SignedIn, batch_id: str) -> BatchView:
    try:
        batch, _ = get_batch(who.services.engine, batch_id)
    except NotFound:
        raise Refused(404, "refused_not_found", who.lang) from None
    if batch.custodian.address.lower() != who.address.lower():
        raise Refused(404, "refused_not_found", who.lang)
    return batch


def _ship_page(
    request: Request, who: SignedIn, batch: BatchView, state: FormState, form_key: str, status_code: int = 200
) -> Response:
    engine = who.services.engine
    names = participant_names(engine)
    recipients = [(address, name) for address, name in names.items() if address.lower() != who.address.lower()]
    return render(
        request,
        who,
        "ship.html",
        "title_ship",
        status_code=status_code,
        f=state,
        form_key=form_key,
        lot=_lot_row(batch, product_names(engine, who.lang), who.lang),
        recipients=sorted(recipients, key=lambda r: r[1]),
    )


@router.get("/supplier/lots/{batch_id}/ship", response_class=HTMLResponse)
def ship_form(request: Request, batch_id: BatchId, who: Supplier) -> Response:
    return _ship_page(request, who, _own_lot(who, batch_id), FormState(), new_form_key())


@router.post("/supplier/lots/{batch_id}/ship", response_class=HTMLResponse)
async def ship(request: Request, batch_id: BatchId, who: Supplier, form: FormDep) -> Response:
    """Hand the whole lot to the recipient chosen by name; it is theirs once they accept."""
    batch = await run_in_threadpool(_own_lot, who, batch_id)
    read = Reader(form, who.t)
    names = await run_in_threadpool(participant_names, who.services.engine)
    to = read.choice("to", {a: n for a, n in names.items() if a.lower() != who.address.lower()})
    form_key = str(form.get("form_key") or new_form_key())
    if not read.state.ok:
        return _ship_page(request, who, batch, read.state, form_key, 422)
    done = await submit(request, who, form, "handoff", {"batch_id": batch_id, "to": to}, "ship")
    if done.intent is None or done.refusal:
        read.state.problem = done.refusal
        return _ship_page(request, who, batch, read.state, new_form_key() if done.intent else form_key, 409)
    return RedirectResponse(f"/workbench/intents/{done.intent.id}", status_code=303)
