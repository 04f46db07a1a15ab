"""The supplier's harvest sheet: upload a sheet (CSV or XLSX, the API's template) and read its
check report line by line, as ``POST /harvests/bulk`` checks it (:mod:`ledger.intake`). A sheet
with any problem records nothing; a good one goes through the durable queue, every lot or none
(each lot checked against the contract first), keyed by the form: sending the same form again
shows what it recorded and records nothing twice."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from api.workbench.render import render
from api.workbench.session import FormDep, SignedIn, person_with
from api.workbench.submit import form_key_of, new_form_key, submit_all, submitted_before
from ledger.chain.freshledger import batch_id_of
from ledger.hexes import to_hex
from ledger.intake import FileRefused, UnknownFormat, check_harvest_sheet, format_of_name, read_table
from ledger.intake.columns import MAX_FILE_BYTES
from ledger.intake.index_state import IndexState
from ledger.intake.payloads import harvest_payloads
from ledger.store.intents import IntentRecord, KeyReused

router = APIRouter(prefix="/workbench", tags=["workbench"], include_in_schema=False)
Supplier = Annotated[SignedIn, Depends(person_with("SUPPLIER"))]


def _page(request: Request, who: SignedIn, report: dict | None = None, status_code: int = 200) -> Response:
    if report is not None:  # every key the template reads, whichever outcome this is
        report = {"error": None, "problems": [], "lots": [], "again": False, **report}
    return render(
        request,
        who,
        "harvest_sheet.html",
        "title_sheet",
        status_code=status_code,
        report=report,
        form_key=new_form_key(),
        max_mb=MAX_FILE_BYTES // (1024 * 1024),
    )


@router.get("/supplier/sheet", response_class=HTMLResponse)
def sheet_form(request: Request, who: Supplier) -> Response:
    return _page(request, who)


def _lots(intents: list[IntentRecord], rows: list[int] | None = None) -> list[dict]:
    """What the sheet recorded: each lot, where its write stands, its pages."""
    shown = []
    for n, intent in enumerate(intents):
        payload = intent.payload or {}
        shown.append(
            {
                "row": rows[n] if rows else n + 2,
                "lot": payload.get("lot", ""),
                "quantity": f"{payload.get('quantity', '')} {payload.get('unit', '')}",
                "status": intent.status,
                "block": intent.block_number,
                "intent_id": intent.id,
                "batch_id": to_hex(batch_id_of(payload["gtin"], payload["lot"])),
            }
        )
    return shown


@router.post("/supplier/sheet", response_class=HTMLResponse)
async def upload_sheet(request: Request, who: Supplier, form: FormDep) -> Response:
    """Check the sheet; show every problem by row and column (nothing recorded), or record
    every lot through the queue and show each with its write and public record."""
    t = who.t
    form_key = form_key_of(form)
    if form_key is None:
        return _page(request, who, {"error": t("error_form_key")}, 422)
    before = await submitted_before(who, form_key)
    if before:  # this form was sent already: its answer, nothing recorded again
        return _page(request, who, {"lots": _lots(before), "again": True})
    part = form.get("file")
    if not isinstance(part, UploadFile) or not part.filename:
        return _page(request, who, {"error": t("error_required")}, 422)
    data = await part.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        return _page(request, who, {"error": t("error_sheet_size", mb=MAX_FILE_BYTES // (1024 * 1024))}, 413)
    try:
        table = await run_in_threadpool(read_table, data, format_of_name(part.filename))
    except UnknownFormat:
        return _page(request, who, {"error": t("error_declaration_format")}, 422)
    except FileRefused as exc:
        return _page(request, who, {"problems": [p.to_json() for p in exc.problems]}, 422)
    services = who.services
    checked = await run_in_threadpool(check_harvest_sheet, table, IndexState(services.engine))
    if not checked.ok or checked.value is None:
        return _page(request, who, {"problems": [p.to_json() for p in checked.problems]}, 422)
    sheet = checked.value
    rows = [lot.row for lot in sheet.lots]
    try:
        done = await submit_all(request, who, form_key, "harvest", harvest_payloads(sheet), "harvest_sheet")
    except KeyReused:
        return _page(request, who, {"error": t("error_form_reused")}, 422)
    if done.refused:
        problems = [{"row": rows[n], "column": None, "reason": reason} for n, reason in sorted(done.refused.items())]
        return _page(request, who, {"problems": problems}, 409)
    return _page(request, who, {"lots": _lots(done.intents, rows)})
