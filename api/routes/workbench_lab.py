"""The lab's screens: lots not yet tested, and the residue test form with the legal limits
prefilled (:mod:`ledger.residue_limits`); a failing result is shown back with a plain warning
that the lot will be quarantined, and recorded only when the technician sends it again."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.schemas import BatchId
from api.workbench.fields import Reader
from api.workbench.render import FormState, render
from api.workbench.session import FormDep, Refused, SignedIn, person_with
from api.workbench.submit import new_form_key, submit
from api.writes import binary_cid
from ledger.documents import parse_cid
from ledger.errors import InvalidCid, NotFound
from ledger.hexes import to_hex
from ledger.queries.batches import get_batch
from ledger.queries.views import BatchView
from ledger.queries.workbench import untested
from ledger.residue_limits import ResidueLimit, commodity_of, limits_for
from ledger.store.products import product_names

router = APIRouter(prefix="/workbench", tags=["workbench"], include_in_schema=False)
Lab = Annotated[SignedIn, Depends(person_with("LAB"))]
PDF = {"application/pdf"}


@router.get("/lab", response_class=HTMLResponse)
def arrivals(request: Request, who: Lab) -> Response:
    engine = who.services.engine
    names = product_names(engine, who.lang)
    rows = [
        {
            "batch_id": b.batch_id,
            "lot": b.lot,
            "product": names.get(b.gtin, b.gtin),
            "holder": b.custodian.name or b.custodian.address,
        }
        for b in untested(engine)
    ]
    return render(request, who, "lab_arrivals.html", "title_lab", arrivals=rows)


def _lot(who: SignedIn, batch_id: str) -> BatchView:
    try:
        return get_batch(who.services.engine, batch_id)[0]
    except NotFound:
        raise Refused(404, "refused_not_found", who.lang) from None


def _test_page(
    request: Request,
    who: SignedIn,
    batch: BatchView,
    state: FormState,
    form_key: str,
    *,
    failing: str | None = None,
    status_code: int = 200,
) -> Response:
    names = product_names(who.services.engine, who.lang)
    return render(
        request,
        who,
        "lab_test.html",
        "title_test",
        status_code=status_code,
        f=state,
        form_key=form_key,
        failing=failing,
        lot={"batch_id": batch.batch_id, "lot": batch.lot, "product": names.get(batch.gtin, batch.gtin)},
        commodity=who.t(f"commodity_{commodity_of(batch.gtin)}"),
        rows=limits_for(batch.gtin),
    )


@router.get("/lab/lots/{batch_id}/test", response_class=HTMLResponse)
def test_form(request: Request, batch_id: BatchId, who: Lab) -> Response:
    batch = _lot(who, batch_id)
    prefilled = {f"limit_{n}": str(row.limit) for n, row in enumerate(limits_for(batch.gtin))}
    return _test_page(request, who, batch, FormState(values=prefilled), new_form_key())


@router.post("/lab/lots/{batch_id}/test", response_class=HTMLResponse)
async def record_test(request: Request, batch_id: BatchId, who: Lab, form: FormDep) -> Response:
    """Record the residues measured; a result over a limit needs ``confirm_failing`` (the
    page that warned of the quarantine sends it)."""
    batch = await run_in_threadpool(_lot, who, batch_id)
    read = Reader(form, who.t)
    rows: tuple[ResidueLimit, ...] = limits_for(batch.gtin)
    residues = []
    for n, row in enumerate(rows):
        measured = read.whole(f"measured_{n}", minimum=0, required=False)
        limit = read.whole(f"limit_{n}", minimum=0)
        if measured is not None and limit is not None:
            residues.append([row.substance, measured, limit, row.unit])
    if not residues and not read.state.errors:
        read.fail("measured_0", "error_no_residues")
    report = await read.upload("report", PDF, "error_pdf_type")
    form_key = str(form.get("form_key") or new_form_key())
    if not read.state.ok:
        return _test_page(request, who, batch, read.state, form_key, status_code=422)
    cid = _stored_report(form.get("report_cid"))
    if report is not None:  # stored now, so that the confirmation step need not send it again
        cid = (await run_in_threadpool(who.services.documents.put, report[0], report[1])).encode("base32")
    over = [r for r in residues if r[1] > r[2]]
    if over and form.get("confirm_failing") != "yes":
        listed = ", ".join(f"{s} {m} / {lim} {u}" for s, m, lim, u in over)
        read.state.values["report_cid"] = cid
        return _test_page(
            request, who, batch, read.state, form_key, failing=who.t("failing_over", residues=listed), status_code=200
        )
    payload = {
        "batch_id": batch_id,
        "passed": not over,
        "residues": residues,
        "report_cid": to_hex(binary_cid(cid)),
    }
    done = await submit(request, who, form, "inspection", payload, "lab_test")
    if done.intent is None or done.refusal:
        read.state.problem = done.refusal
        key = new_form_key() if done.intent else form_key
        return _test_page(request, who, batch, read.state, key, status_code=409)
    return RedirectResponse(f"/workbench/intents/{done.intent.id}", status_code=303)


def _stored_report(value: object) -> str:
    """The report's CID the confirmation step carries (empty if none or malformed)."""
    if not isinstance(value, str) or not value:
        return ""
    try:
        return parse_cid(value).encode("base32")
    except InvalidCid:
        return ""
