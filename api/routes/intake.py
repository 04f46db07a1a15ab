"""Files in: customs declarations (customs) and harvest sheets (suppliers) as CSV, XLSX or
JSON, checked as a whole before anything is sent; and the empty templates to fill in.

A refused file answers 422 with every problem (row, column, reason), a line the contract
refuses too (nothing is sent when any call of the file would be refused); a declaration
already recorded answers 409 naming it; a good file answers 201 once every line is mined. A
declaration too long for one transaction goes in several under its number; one that stopped
between them (409 or 502 naming what is recorded) is finished by sending the same file again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.deps import Caller, require
from api.errors import describe_revert
from ledger.errors import ContractRevert, LineRefused, RecordingInterrupted
from ledger.intake import (
    DECLARATION,
    HARVEST_SHEET,
    Checked,
    FileRefused,
    Layout,
    Problem,
    Recorded,
    UnknownFormat,
    check_declaration,
    check_harvest_sheet,
    format_of_media_type,
    read_table,
    record_declaration,
    record_harvests,
    template_csv,
    template_xlsx,
)
from ledger.intake.columns import MAX_FILE_BYTES
from ledger.intake.index_state import IndexState
from ledger.intake.read import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE

router = APIRouter(tags=["declaration files and harvest sheets"])

_FILE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            CSV_MEDIA_TYPE: {"schema": {"type": "string"}},
            XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
        },
    }
}


async def _file(request: Request, content_type: str) -> tuple[bytes, str]:
    """The request body (at most MAX_FILE_BYTES, counted as it arrives) and its format."""
    try:
        file_format = format_of_media_type(content_type)
    except UnknownFormat as exc:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, str(exc)) from None
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FILE_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"files are limited to {MAX_FILE_BYTES:,} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_FILE_BYTES:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"files are limited to {MAX_FILE_BYTES:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks), file_format


def _refusal(kind: str, checked: Checked[Any]) -> JSONResponse:
    problems = [p.to_json() for p in checked.problems]
    if checked.recorded is not None:
        return JSONResponse(
            {
                "error": "DeclarationExists",
                "message": f"declaration {checked.recorded.number} is already recorded",
                "recorded": checked.recorded.to_json(),
                "problems": problems,
            },
            status_code=status.HTTP_409_CONFLICT,
        )
    count = len(problems)
    return JSONResponse(
        {
            "error": "InvalidFile",
            "message": f"the {kind} has {count} problem{'s' if count != 1 else ''}; nothing was recorded",
            "problems": problems,
        },
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
    )


def _recorded(result: Recorded, **extra: Any) -> dict[str, Any]:
    return {
        **extra,
        "batch_ids": result.batch_ids,
        "transactions": [t.tx_hash for t in result.transactions],
        "first_block": result.first_block,
        "last_block": result.last_block,
    }


def _line_refused(request: Request, kind: str, exc: LineRefused) -> JSONResponse:
    """The contract refused a row: a problem of the file like any other, nothing recorded."""
    reason = f"refused by the contract: {describe_revert(request, exc.cause.inner or exc.cause)}"
    return _refusal(kind, Checked(None, [Problem(exc.row, None, reason)]))


def _interrupted(request: Request, exc: RecordingInterrupted, advice: str) -> JSONResponse:
    refused = isinstance(exc.cause, ContractRevert)
    cause = describe_revert(request, exc.cause) if isinstance(exc.cause, ContractRevert) else str(exc.cause)
    return JSONResponse(
        {
            "error": "RecordingInterrupted",
            "message": f"{len(exc.recorded)} lines were recorded, then: {cause}; {advice}",
            "row": exc.row,
            "recorded_batch_ids": exc.recorded,
        },
        status_code=status.HTTP_409_CONFLICT if refused else status.HTTP_502_BAD_GATEWAY,
    )


def _check_and_record(
    request: Request,
    kind: str,
    data: bytes,
    file_format: str,
    check: Callable[[Any], Checked],
    record: Callable[[Any], Any],
    answer: Callable[[Any, Any], dict[str, Any]],
    advice: str,
) -> Any:
    """Read, check the whole file (422 with every problem, nothing recorded), record it, and
    answer: the one flow of a declaration file and a harvest sheet (run in a worker thread)."""
    try:
        table = read_table(data, file_format)
    except FileRefused as exc:
        return _refusal(kind, Checked(None, exc.problems))
    checked = check(table)
    if not checked.ok:
        return _refusal(kind, checked)
    try:
        result = record(checked.value)
    except LineRefused as exc:
        return _line_refused(request, kind, exc)
    except RecordingInterrupted as exc:
        return _interrupted(request, exc, advice)
    return _recorded(result, **answer(checked.value, result))


@router.post("/customs/declarations", status_code=201, openapi_extra=_FILE_BODY)
async def import_declaration(
    request: Request,
    caller: Annotated[Caller, Depends(require("CUSTOMS"))],
    content_type: Annotated[str, Header(description="text/csv, the XLSX media type or application/json")],
) -> Any:
    """Customs records a whole declaration file: every line checked first (422 with every
    problem, nothing recorded), a declaration already recorded answers 409."""
    data, file_format = await _file(request, content_type)
    services, account = caller.services, caller.account
    return await run_in_threadpool(
        _check_and_record,
        request,
        "declaration",
        data,
        file_format,
        lambda table: check_declaration(table, IndexState(services.engine)),
        lambda declaration: record_declaration(services.ledger, account, declaration),
        lambda declaration, result: {
            "declaration_number": declaration.number,
            "lines": len(declaration.lines),
            "resumed_at": result.resumed_at,
        },
        "send the same file again (corrected if a line was refused) to record the rest",
    )


@router.post("/harvests/bulk", status_code=201, openapi_extra=_FILE_BODY)
async def import_harvest_sheet(
    request: Request,
    caller: Annotated[Caller, Depends(require("SUPPLIER"))],
    content_type: Annotated[str, Header(description="text/csv, the XLSX media type or application/json")],
) -> Any:
    """A supplier records a sheet of harvested lots: every row checked first (422 with every
    problem, nothing recorded)."""
    data, file_format = await _file(request, content_type)
    services, account = caller.services, caller.account
    return await run_in_threadpool(
        _check_and_record,
        request,
        "harvest sheet",
        data,
        file_format,
        lambda table: check_harvest_sheet(table, IndexState(services.engine)),
        lambda sheet: record_harvests(services.ledger, account, sheet),
        lambda sheet, _result: {"lots": len(sheet.lots)},
        "send the lots not recorded in a sheet of their own",
    )


def _template(layout: Layout, extension: str) -> Response:
    name = layout.kind.replace(" ", "-")
    if extension == "csv":
        body, media_type = template_csv(layout), CSV_MEDIA_TYPE + "; charset=utf-8"
    else:
        body, media_type = template_xlsx(layout), XLSX_MEDIA_TYPE
    return Response(
        body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}.{extension}"'}
    )


@router.get("/customs/declarations/template.csv", response_class=Response)
def declaration_template_csv() -> Response:
    """An empty declaration file: the columns and one example row."""
    return _template(DECLARATION, "csv")


@router.get("/customs/declarations/template.xlsx", response_class=Response)
def declaration_template_xlsx() -> Response:
    """An empty declaration workbook: the columns (leading zeros kept as text) and one example row."""
    return _template(DECLARATION, "xlsx")


@router.get("/harvests/template.csv", response_class=Response)
def harvest_template_csv() -> Response:
    """An empty harvest sheet: the columns and one example row."""
    return _template(HARVEST_SHEET, "csv")


@router.get("/harvests/template.xlsx", response_class=Response)
def harvest_template_xlsx() -> Response:
    """An empty harvest workbook: the columns and one example row."""
    return _template(HARVEST_SHEET, "xlsx")
