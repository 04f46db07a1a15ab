"""The customs screen: upload a declaration file (CSV or XLSX, the API's templates) and read
its check report line by line; a file whose every line passes goes through the write queue
(the declaration's lines in as few transactions as fit, :mod:`ledger.intake.queued`) and the
page answers once they are mined (or says the declaration is queued, when the node is slow
or away). Sending it again only shows that it is recorded, or still queued. Below, the
declarations this customs office recorded."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from api.errors import describe_revert
from api.workbench.render import render, when
from api.workbench.session import FormDep, SignedIn, person_with
from api.write_queue import wait_final
from ledger.errors import FilePending, LineRefused, RecordingInterrupted
from ledger.intake import (
    FileRefused,
    UnknownFormat,
    check_declaration,
    format_of_name,
    queue_declaration,
    read_table,
    recorded_file,
)
from ledger.intake.columns import MAX_FILE_BYTES
from ledger.intake.index_state import IndexState
from ledger.queries.workbench import declarations_by
from ledger.store.people import link_intents
from ledger.store.products import product_names

router = APIRouter(prefix="/workbench", tags=["workbench"], include_in_schema=False)
Customs = Annotated[SignedIn, Depends(person_with("CUSTOMS"))]


def _page(request: Request, who: SignedIn, report: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    engine = who.services.engine
    names = product_names(engine, who.lang)
    recorded = declarations_by(engine, who.address)
    for declaration in recorded:
        declaration["when"] = when(declaration["cleared_at"])
        for lot in declaration["lots"]:
            lot["product"] = names.get(lot["gtin"], lot["gtin"])
    if report is not None:  # every key the template reads, whichever outcome this is
        report = {
            "error": None,
            "already": None,
            "pending": None,
            "queued": None,
            "problems": [],
            "number": None,
            "lines": [],
            "block": None,
            **report,
        }
    return render(
        request, who, "customs.html", "title_customs", status_code=status_code, report=report, recorded=recorded
    )


@router.get("/customs", response_class=HTMLResponse)
def customs(request: Request, who: Customs) -> Response:
    return _page(request, who)


@router.post("/customs/declarations", response_class=HTMLResponse)
async def upload_declaration(request: Request, who: Customs, form: FormDep) -> Response:
    """Check the file; show every problem by row and column (nothing recorded), or record it
    and show each line with its lot."""
    part = form.get("file")
    t = who.t
    if not isinstance(part, UploadFile) or not part.filename:
        return _page(request, who, {"error": t("error_required")}, 422)
    data = await part.read(MAX_FILE_BYTES + 1)
    try:
        file_format = format_of_name(part.filename)
        table = read_table(data, file_format)
    except UnknownFormat:
        return _page(request, who, {"error": t("error_declaration_format")}, 422)
    except FileRefused as exc:
        return _page(request, who, {"problems": [p.to_json() for p in exc.problems]}, 422)
    services = who.services
    checked = await run_in_threadpool(check_declaration, table, IndexState(services.engine))
    if checked.recorded is not None:
        report = {"already": checked.recorded.number, "problems": [p.to_json() for p in checked.problems]}
        return _page(request, who, report, 409)
    if not checked.ok or checked.value is None:
        return _page(request, who, {"problems": [p.to_json() for p in checked.problems]}, 422)
    declaration = checked.value
    sender = who.caller.address
    who.caller.account  # noqa: B018 - 403 when the market does not hold the officer's key
    try:
        queued = await run_in_threadpool(queue_declaration, services.engine, services.ledger, sender, declaration)
    except LineRefused as exc:
        reason = describe_revert(request, exc.cause.inner or exc.cause)
        return _page(request, who, {"problems": [{"row": exc.row, "column": None, "reason": reason}]}, 409)
    except FilePending:
        return _page(request, who, {"pending": declaration.number}, 409)
    await run_in_threadpool(link_intents, services.engine, queued.ids, who.person, "declaration")
    services.wake(sender)
    intents = await wait_final(services, queued.ids)
    try:
        result = recorded_file(queued, intents, services.ledger.abi)
    except LineRefused as exc:
        reason = describe_revert(request, exc.cause.inner or exc.cause)
        return _page(request, who, {"problems": [{"row": exc.row, "column": None, "reason": reason}]}, 409)
    except RecordingInterrupted as exc:
        return _page(request, who, {"error": f"{t('declaration_interrupted')} ({exc.row})"}, 409)
    lines = [
        {
            "line": line.line,
            "lot": line.lot,
            "gtin": line.gtin,
            "quantity": line.quantity,
            "unit": line.unit,
            "country": line.origin_country,
            "batch_id": batch_id,
        }
        for line, batch_id in zip(declaration.lines, queued.batch_ids, strict=False)
    ]
    if result is None:  # not mined within the queue's wait: the page says it is queued
        return _page(request, who, {"queued": declaration.number, "lines": lines}, 202)
    report = {"number": declaration.number, "lines": lines, "block": result.last_block}
    return _page(request, who, report)
