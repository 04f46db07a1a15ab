"""The regulator's screens: alerts (failed tests, recalls, receipts that look copied), trace a
lot with its lineage picture, a recall previewed (every lot, stall and sale it reaches) before
it is confirmed, and a quarantine released with a reason. Notices: :mod:`api.routes.workbench_notices`."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.datastructures import FormData

from api.limits import MAX_RECALL_BATCHES
from api.routes.resolver import sale_uri
from api.schemas import BatchId
from api.workbench.fields import Reader
from api.workbench.lineage import lineage_picture
from api.workbench.render import FormState, render, when
from api.workbench.session import FormDep, Refused, SignedIn, person_with
from api.workbench.submit import new_form_key, submit
from ledger.errors import NotFound
from ledger.queries import trace_forward
from ledger.queries.batches import get_sale
from ledger.queries.board import alerts_between
from ledger.queries.events import batches_of_lot
from ledger.queries.lineage_graph import lineage_graph
from ledger.queries.views import TraceResult
from ledger.store import receipt_scans
from ledger.store.products import product_names

router = APIRouter(prefix="/workbench", tags=["workbench"], include_in_schema=False)
Regulator = Annotated[SignedIn, Depends(person_with("REGULATOR"))]
#: Receipts that look copied, newest flag first, listed among the alerts.
MAX_SUSPECT_RECEIPTS = 50


def _alerts_page(request: Request, who: SignedIn, state: FormState, status_code: int = 200) -> Response:
    alerts = [
        {
            "when": when(a.time),
            "batch_id": a.batch_id,
            "lot": a.lot,
            "kind": a.kind,
            "reason": a.reason or ", ".join(f"{r.substance} {r.measured} / {r.limit} {r.unit}" for r in a.residues),
            "status": a.status,
        }
        for a in alerts_between(who.services.engine, 0, int(time.time()) + 3600)
    ]
    return render(
        request,
        who,
        "regulator.html",
        "title_regulator",
        status_code=status_code,
        f=state,
        alerts=alerts,
        receipts=_suspect_receipts(who),
    )


def _suspect_receipts(who: SignedIn) -> list[dict]:
    """Receipts flagged as possibly copied (scanned from many networks within the rule's
    window), each with its lot, stall and receipt page, as ``GET /regulators/suspect-receipts``."""
    services = who.services
    services.scans.flush()  # the scans waiting in this process count too
    rows = []
    for summary in receipt_scans.suspect_receipts(services.engine, limit=MAX_SUSPECT_RECEIPTS):
        try:
            sale, _ = get_sale(services.engine, summary.sale_id)
        except NotFound:  # a sale undone by a reorg since: its scans stay, the sale does not
            continue
        rows.append(
            {
                "when": when(summary.flagged_at),
                "batch_id": sale.batch_id,
                "lot": sale.lot,
                "serial": sale.serial,
                "stall": sale.vendor.name or sale.vendor.address,
                "scans": summary.scans,
                "networks": summary.networks,
                "link": sale_uri(services, sale),
            }
        )
    return rows


@router.get("/regulator", response_class=HTMLResponse)
def alerts(request: Request, who: Regulator) -> Response:
    return _alerts_page(request, who, FormState())


@router.get("/regulator/trace", response_class=HTMLResponse)
def trace_lot(request: Request, who: Regulator, lot: str = "") -> Response:
    """A lot code to its trace (the first batch of that code), or the error beside the field."""
    read = Reader(FormData({"lot": lot[:100]}), who.t)
    code = read.lot()
    found = batches_of_lot(who.services.engine, code) if code else []
    if code and not found:
        read.fail("lot", "error_lot_unknown")
    if not read.state.ok:
        return _alerts_page(request, who, read.state, 422)
    return RedirectResponse(f"/workbench/regulator/lots/{found[0]}", status_code=303)


def _trace(who: SignedIn, batch_id: str) -> TraceResult:
    try:
        return trace_forward(who.services.engine, batch_id)
    except NotFound:
        raise Refused(404, "refused_not_found", who.lang) from None


def _to_recall(trace: TraceResult) -> list[str]:
    return [b.batch_id for b in (trace.batch, *trace.descendants) if b.status != "recalled"]


def _lot_page(
    request: Request,
    who: SignedIn,
    trace: TraceResult,
    *,
    recall: FormState | None = None,
    release: FormState | None = None,
    status_code: int = 200,
) -> Response:
    names = product_names(who.services.engine, who.lang)
    batch = trace.batch
    todo = _to_recall(trace)
    picture = lineage_picture(lineage_graph(who.services.engine, batch.batch_id), who.t, names)
    return render(
        request,
        who,
        "regulator_lot.html",
        "title_lot",
        title_values={"lot": batch.lot},
        status_code=status_code,
        f=recall or FormState(),
        r=release or FormState(),
        recall_key=new_form_key(),
        release_key=new_form_key(),
        lot={
            "batch_id": batch.batch_id,
            "lot": batch.lot,
            "product": names.get(batch.gtin, batch.gtin),
            "status": batch.status,
            "holder": batch.custodian.name or batch.custodian.address,
        },
        batches=[
            {"lot": b.lot, "holder": b.custodian.name or b.custodian.address, "status": b.status}
            for b in (batch, *trace.descendants)
        ],
        stalls=[s.name or s.address for s in trace.stalls],
        sales=[f"{s.lot} #{s.serial} · {s.vendor.name or s.vendor.address} · {when(s.time)}" for s in trace.sales],
        can_recall=0 < len(todo) <= MAX_RECALL_BATCHES,
        lineage=Markup(picture.svg),  # built from escaped text only
        lineage_lines=picture.lines,
        lineage_cut=picture.cut,
    )


@router.get("/regulator/lots/{batch_id}", response_class=HTMLResponse)
def lot_page(request: Request, batch_id: BatchId, who: Regulator) -> Response:
    """The lot's trace: the preview of its recall, and its release when quarantined."""
    return _lot_page(request, who, _trace(who, batch_id))


@router.post("/regulator/lots/{batch_id}/recall", response_class=HTMLResponse)
async def recall(request: Request, batch_id: BatchId, who: Regulator, form: FormDep) -> Response:
    """Recall the lot and every lot made from it (those not recalled yet), in one transaction."""
    trace = await run_in_threadpool(_trace, who, batch_id)
    read = Reader(form, who.t)
    reason = read.text("reason")
    todo = _to_recall(trace)
    if not read.state.ok or not todo or len(todo) > MAX_RECALL_BATCHES:
        return _lot_page(request, who, trace, recall=read.state, status_code=422)
    done = await submit(request, who, form, "recall", {"batch_ids": todo, "reason": reason}, "recall")
    if done.intent is None or done.refusal:
        read.state.problem = done.refusal
        return _lot_page(request, who, trace, recall=read.state, status_code=409)
    return RedirectResponse(f"/workbench/intents/{done.intent.id}", status_code=303)


@router.post("/regulator/lots/{batch_id}/release", response_class=HTMLResponse)
async def release(request: Request, batch_id: BatchId, who: Regulator, form: FormDep) -> Response:
    trace = await run_in_threadpool(_trace, who, batch_id)
    read = Reader(form, who.t)
    reason = read.text("reason")
    if not read.state.ok:
        return _lot_page(request, who, trace, release=read.state, status_code=422)
    done = await submit(request, who, form, "release", {"batch_id": batch_id, "reason": reason}, "release")
    if done.intent is None or done.refusal:
        read.state.problem = done.refusal
        return _lot_page(request, who, trace, release=read.state, status_code=409)
    return RedirectResponse(f"/workbench/intents/{done.intent.id}", status_code=303)
