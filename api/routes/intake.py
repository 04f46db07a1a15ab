"""Files in: customs declarations (customs) and harvest sheets (suppliers) as CSV, XLSX or
JSON, checked as a whole, then recorded through the write queue; and the empty templates to
fill in.

A refused file answers 422 with every problem (row, column, reason), a line the contract
refuses too (every call of the file is run as an ``eth_call`` before anything is queued); a
declaration already recorded answers 409 naming it, one still in the write queue 409 naming
its intents. A good file is stored as intents (:mod:`ledger.intake.queued`: a declaration's
``registerImports`` calls as ``declaration_part`` intents, a sheet's lots as ``harvest``
intents) and answered 201 once every one is mined, with the same body as a direct recording
gave and the ``intent_ids``; with ``Prefer: respond-async`` (or when not mined within the
queue's wait) 202 with the intents and ``Location`` naming the first. A declaration the
chain refused part-way answers 409 naming what is recorded; the same file (corrected) sent
again finishes it. ``Idempotency-Key`` binds a key to the file: a retry answers as the first
request, never queueing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.deps import Caller, require
from api.errors import describe_revert
from api.write_queue import idempotency_key, intent_json, wait_final, wants_async
from ledger.errors import ContractRevert, FilePending, LineRefused, RecordingInterrupted
from ledger.intake import (
    DECLARATION,
    HARVEST_SHEET,
    Checked,
    FileRecorded,
    FileRefused,
    Layout,
    Problem,
    QueuedFile,
    Table,
    UnknownFormat,
    check_declaration,
    check_harvest_sheet,
    first_attempt,
    format_of_media_type,
    queue_declaration,
    queue_harvest_sheet,
    read_table,
    recorded_file,
    template_csv,
    template_xlsx,
)
from ledger.intake.columns import MAX_FILE_BYTES
from ledger.intake.index_state import IndexState
from ledger.intake.payloads import DECLARATION_PART, HARVEST
from ledger.intake.read import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE
from ledger.store.intents import KeyReused

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
_ANSWERS: dict[int | str, dict[str, Any]] = {
    202: {"description": "queued, not yet mined: follow Location (GET /intents/{id}) or each of intent_ids"},
    409: {"description": "already recorded, in the write queue already, or recorded part-way"},
    422: {"description": "every problem of the file (row, column, reason); nothing queued"},
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


def _refusal(kind: str, checked: Checked[Any], **extra: Any) -> JSONResponse:
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
            **extra,
        },
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
    )


def _pending(exc: FilePending) -> JSONResponse:
    """The same declaration (or lots) sent again while the first is in the write queue."""
    first = exc.intent_ids[0]
    body: dict[str, Any] = {
        "error": "DeclarationPending" if exc.number is not None else "LotsPending",
        "message": str(exc),
        "pending": {"intent_ids": exc.intent_ids, "location": f"/intents/{first}"},
    }
    if exc.number is not None:
        body["pending"]["declaration_number"] = exc.number
    else:
        body["pending"]["lots"] = exc.lots
    return JSONResponse(body, status.HTTP_409_CONFLICT, {"Location": f"/intents/{first}"})


def _line_refused(request: Request, kind: str, exc: LineRefused, ids: list[int] | None = None) -> JSONResponse:
    """The contract refused a row: a problem of the file like any other, nothing recorded."""
    reason = f"refused by the contract: {describe_revert(request, exc.cause.inner or exc.cause)}"
    extra = {"intent_ids": ids} if ids else {}
    return _refusal(kind, Checked(None, [Problem(exc.row, None, reason)]), **extra)


def _interrupted(request: Request, exc: RecordingInterrupted, advice: str, ids: list[int]) -> JSONResponse:
    cause = describe_revert(request, exc.cause) if isinstance(exc.cause, ContractRevert) else str(exc.cause)
    return JSONResponse(
        {
            "error": "RecordingInterrupted",
            "message": f"{len(exc.recorded)} lines were recorded, then: {cause}; {advice}",
            "row": exc.row,
            "recorded_batch_ids": exc.recorded,
            "intent_ids": ids,
        },
        status_code=status.HTTP_409_CONFLICT,
    )


@dataclass(frozen=True)
class _Flow:
    """What differs between a declaration file and a harvest sheet."""

    kind: str  # as the answers name it
    intent_kind: str
    check: Callable[[Table, IndexState], Checked[Any]]
    queue: Callable[..., QueuedFile]
    answer: Callable[[QueuedFile], dict[str, Any]]
    advice: str


def _queue_file(caller: Caller, flow: _Flow, data: bytes, file_format: str, key: str | None) -> Response | QueuedFile:
    """Read, check the whole file (422 with every problem, 409 when recorded), run its calls as
    ``eth_call`` s and queue it (run in a worker thread); a retry with an Idempotency-Key gets
    the first request's intents."""
    services, sender = caller.services, caller.address
    caller.account  # noqa: B018 - 403 when the market does not hold the caller's key
    try:
        if key is not None:
            first = first_attempt(services.engine, sender, flow.intent_kind, key, data, file_format)
            if first is not None:
                return first
        try:
            table = read_table(data, file_format)
        except FileRefused as exc:
            return _refusal(flow.kind, Checked(None, exc.problems))
        checked = flow.check(table, IndexState(services.engine))
        if not checked.ok:
            return _refusal(flow.kind, checked)
        try:
            queued = flow.queue(
                services.engine, services.ledger, sender, checked.value, key=key, data=data, file_format=file_format
            )
        except FilePending as exc:
            return _pending(exc)
    except KeyReused as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    services.wake(sender)
    return queued


async def _check_and_queue(
    request: Request, caller: Caller, content_type: str, flow: _Flow
) -> Response | dict[str, Any]:
    """The one flow of a declaration file and a harvest sheet: queue it, then answer once its
    intents are final (or at once with ``Prefer: respond-async``)."""
    data, file_format = await _file(request, content_type)
    key = idempotency_key(request)
    try:
        queued = await run_in_threadpool(_queue_file, caller, flow, data, file_format, key)
    except LineRefused as exc:
        return _line_refused(request, flow.kind, exc)
    if isinstance(queued, Response):
        return queued
    services = caller.services
    intents = {i.id: i for i in queued.intents}
    if not all(i.final for i in intents.values()) and not wants_async(request):
        intents = await wait_final(services, queued.ids)
    try:
        recorded = recorded_file(queued, intents, services.ledger.abi)
    except LineRefused as exc:
        return _line_refused(request, flow.kind, exc, queued.ids)
    except RecordingInterrupted as exc:
        return _interrupted(request, exc, flow.advice, queued.ids)
    if recorded is None:
        return _accepted(request, queued, intents, flow)
    return _recorded(recorded, queued, **flow.answer(queued))


def _recorded(result: FileRecorded, queued: QueuedFile, **extra: Any) -> JSONResponse:
    body = {
        **extra,
        "batch_ids": result.batch_ids,
        "transactions": result.transactions,
        "first_block": result.first_block,
        "last_block": result.last_block,
        "intent_ids": queued.ids,
    }
    return JSONResponse(body, status_code=status.HTTP_201_CREATED)


def _accepted(request: Request, queued: QueuedFile, intents: dict[int, Any], flow: _Flow) -> JSONResponse:
    """202: queued, not all final yet; ``Location`` names the first intent, ``intents`` shows
    where each stands (as GET /intents/{id} does), as a lot recall answers."""
    location = f"/intents/{queued.ids[0]}"
    shown = [intent_json(request, intents.get(i.id, i)) for i in queued.intents]
    body = {**flow.answer(queued), "batch_ids": queued.batch_ids, "intent_ids": queued.ids, "intents": shown}
    return JSONResponse(body, status.HTTP_202_ACCEPTED, {"Location": location})


def _declaration_answer(queued: QueuedFile) -> dict[str, Any]:
    first = queued.intents[0].payload
    return {
        "declaration_number": first["declaration_number"],
        "lines": first["line_count"],
        "resumed_at": queued.resumed_at,
    }


_DECLARATION = _Flow(
    "declaration",
    DECLARATION_PART,
    check_declaration,
    queue_declaration,
    _declaration_answer,
    "send the same file again (corrected if a line was refused) to record the rest",
)
_HARVEST_SHEET = _Flow(
    "harvest sheet",
    HARVEST,
    check_harvest_sheet,
    queue_harvest_sheet,
    lambda queued: {"lots": len(queued.intents)},
    "send the lots not recorded in a sheet of their own",
)


@router.post("/customs/declarations", status_code=201, openapi_extra=_FILE_BODY, responses=_ANSWERS)
async def import_declaration(
    request: Request,
    caller: Annotated[Caller, Depends(require("CUSTOMS"))],
    content_type: Annotated[str, Header(description="text/csv, the XLSX media type or application/json")],
) -> Any:
    """Customs records a whole declaration file: every line checked first (422 with every
    problem, nothing recorded), a declaration already recorded answers 409, one in the write
    queue 409 naming its intents."""
    return await _check_and_queue(request, caller, content_type, _DECLARATION)


@router.post("/harvests/bulk", status_code=201, openapi_extra=_FILE_BODY, responses=_ANSWERS)
async def import_harvest_sheet(
    request: Request,
    caller: Annotated[Caller, Depends(require("SUPPLIER"))],
    content_type: Annotated[str, Header(description="text/csv, the XLSX media type or application/json")],
) -> Any:
    """A supplier records a sheet of harvested lots: every row checked first (422 with every
    problem, nothing recorded), lots in the write queue already answer 409."""
    return await _check_and_queue(request, caller, content_type, _HARVEST_SHEET)


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
