"""GS1 EPCIS 2.0 REST binding: capture (``POST /epcis/capture``, jobs at
``/epcis/capture/{id}``), event queries (``GET /epcis/events``) and lineage documents
(``GET /epcis/export``, what ``freshledger epcis export`` writes).

Capture answers 202 with the job's ``Location`` once the document is valid (GS1's JSON Schema
and CBV) and its events' calls are stored as intents of the authenticated participant in the
write queue (with the job, in one database transaction); the job runs while any of them is
unfinished, so it survives a restart of the API (:mod:`ledger.epcis.queued`);
an invalid document is 400 (``application/problem+json``) naming each bad field by JSON
pointer. Queries answer an ``EPCISQueryDocument`` with a ``Link: <...>; rel="next"`` header
while more pages remain; exports are paged the same way (at most 250 events an answer) and
checked against GS1's schema before they are sent. Both answer a participant the events of its
own lots and their direct parents and children (:mod:`api.policy`); a regulator and the market
authority every event.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import Engine

from api.deps import CallerDep
from api.errors import SENTENCES
from api.policy import ReaderDep
from api.services import Services
from api.views import plain
from ledger.epcis.export import query_document
from ledger.epcis.mapping import iso_time
from ledger.epcis.pages import MAX_EXPORT_EVENTS, export_page
from ledger.epcis.plan import PartyResolver, plan_events
from ledger.epcis.query import QueryError, parse_query, parse_time, run_query
from ledger.epcis.queued import event_results, queue_plan
from ledger.epcis.validate import InvalidDocument, check_document, events_in, load_json, validate_document
from ledger.errors import ContractRevert
from ledger.gs1 import normalize_gtin
from ledger.queries.events import participants_with_identifier
from ledger.store.epcis_jobs import create_queued_job, get_job, jobs_of
from ledger.store.intents import get_intents

router = APIRouter(prefix="/epcis", tags=["EPCIS 2.0"])
log = logging.getLogger(__name__)

#: Largest event count one capture takes (GS1-EPCIS-Capture-Limit): every event is one or
#: more mined transactions. The document's size is bounded before the route runs (413
#: CaptureLimitExceededException, FRESHLEDGER_MAX_CAPTURE_BYTES in api.limits).
MAX_CAPTURE_EVENTS = 500
PROBLEM = "application/problem+json"
EPCIS_HEADERS = {"GS1-EPCIS-Version": "2.0.0", "GS1-CBV-Version": "2.0.0"}

_DOCUMENT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "object", "description": "an EPCISDocument or one event"}},
            "application/ld+json": {"schema": {"type": "object"}},
        },
    }
}


def _problem(code: int, kind: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": f"epcisException:{kind}", "title": title, "status": code, "detail": detail, **extra}
    return JSONResponse(body, status_code=code, media_type=PROBLEM, headers=EPCIS_HEADERS)


def _sentence(revert: ContractRevert) -> str:
    values = plain(revert.args_by_name)
    values.setdefault("lot", values.get("batchId", "?"))
    values.setdefault("failed_on", "an earlier date")
    try:
        return SENTENCES[revert.name].format(**values)
    except (KeyError, IndexError):
        return str(revert)


def _queue_capture(services: Services, address: str, document: dict[str, Any], digest: str) -> str:
    """Plan every event and store the job with its calls as queued intents, in one database
    transaction: the submitter records them, and the job's state is read from them."""
    resolver = PartyResolver(lambda gln: participants_with_identifier(services.engine, gln))
    entries, intents = queue_plan(plan_events(document, resolver), services.ledger.abi)
    capture_id = create_queued_job(services.engine, address, digest, entries, intents)
    services.wake(address)
    return capture_id


def _current(engine: Engine, job: dict[str, Any]) -> dict[str, Any]:
    """A job with its state read from its intents (a job stored before capture went through
    the queue holds its final results already)."""
    entries = job["results"] or []
    if not any("intent_ids" in e for e in entries):
        return job
    ids = [i for e in entries for i in e.get("intent_ids", [])]
    intents = get_intents(engine, ids)
    results, running = event_results(entries, intents, _sentence)
    success = not running and all(r["status"] == "recorded" for r in results)
    finished = None if running else int(max((i.updated_at for i in intents.values()), default=job["created_at"]))
    return {**job, "results": results, "running": running, "success": success, "finished_at": finished}


def job_json(job: dict[str, Any]) -> dict[str, Any]:
    """A capture job as GS1's CaptureJob, with FreshLedger's per-event results."""
    results = job["results"] or []
    errors = [
        {
            "type": "epcisException:ImplementationException"
            if r.get("status") == "failed"
            else "epcisException:ValidationException",
            "title": f"event {r.get('index')} {r.get('status')}",
            "status": 409 if r.get("status") == "failed" else 422,
            "detail": r.get("reason") or "",
            "instance": r.get("pointer"),
        }
        for r in results
        if r.get("status") != "recorded"
    ]
    answer = {
        "captureID": job["capture_id"],
        "createdAt": iso_time(int(job["created_at"])),
        "running": bool(job["running"]),
        "success": bool(job["success"]),
        "captureErrorBehaviour": job["error_behaviour"],
        "errors": errors,
        "eventCount": int(job["event_count"]),
        "events": results,
    }
    if job["finished_at"] is not None:
        answer["finishedAt"] = iso_time(int(job["finished_at"]))
    return answer


@router.post("/capture", status_code=202, openapi_extra=_DOCUMENT_BODY, response_model=None)
async def capture(request: Request, caller: CallerDep) -> JSONResponse:
    """Capture an EPCIS 2.0 document (or one event) for the calling participant: 202 with the
    job's Location, or 400 naming the invalid fields. Events run in the background, in order;
    mined transactions are never rolled back (``captureErrorBehaviour`` is ``proceed``)."""
    if caller.suspended:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"participant {caller.address} is suspended")
    services = caller.services
    if not services.keys.has(caller.address):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "capture signs for the participant: the market must hold its key"
        )
    media_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if media_type not in ("application/json", "application/ld+json"):
        return _problem(
            415, "UnsupportedMediaType", "Unsupported media type", f"{media_type}: EPCIS 2.0 JSON or JSON-LD only"
        )
    body = await request.body()
    try:
        document = load_json(body)
    except (ValueError, UnicodeDecodeError) as exc:
        return _problem(400, "ValidationException", "Not JSON", f"the body is not JSON: {exc}", errors=[])
    problems = validate_document(document)
    if problems:
        first = problems[0]
        return _problem(
            400,
            "ValidationException",
            "Invalid EPCIS document",
            str(first),
            pointer=first.pointer,
            errors=[{"pointer": p.pointer, "message": p.message} for p in problems],
        )
    count = len(events_in(document))
    if count > MAX_CAPTURE_EVENTS:
        return _problem(413, "CaptureLimitExceededException", "Too many events", f"at most {MAX_CAPTURE_EVENTS} events")
    digest = hashlib.sha256(body).hexdigest()
    capture_id = await run_in_threadpool(_queue_capture, services, caller.address, document, digest)
    location = f"/epcis/capture/{capture_id}"
    answer = {"captureID": capture_id, "running": True, "eventCount": count, "captureErrorBehaviour": "proceed"}
    return JSONResponse(answer, status_code=202, headers={"Location": location, **EPCIS_HEADERS})


@router.get("/capture")
def capture_jobs(caller: CallerDep) -> list[dict[str, Any]]:
    """The calling participant's newest capture jobs."""
    engine = caller.services.engine
    return [job_json(_current(engine, j)) for j in jobs_of(engine, caller.address)]


@router.get("/capture/{capture_id}")
def capture_job(capture_id: str, caller: CallerDep) -> dict[str, Any]:
    """A capture job: running or finished, and what became of each event."""
    job = get_job(caller.services.engine, capture_id)
    if job is None or (job["address"] != caller.address and not caller.is_admin):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no capture job {capture_id}")
    return job_json(_current(caller.services.engine, job))


Filter = Annotated[str | None, Query(description="pipe-delimited values")]


@router.get("/events", response_model=None)
def events(
    request: Request,
    reader: ReaderDep,
    event_type: Annotated[
        str | None, Query(alias="eventType", description="e.g. ObjectEvent|TransformationEvent")
    ] = None,
    ge_event_time: Annotated[str | None, Query(alias="GE_eventTime", description="RFC 3339")] = None,
    lt_event_time: Annotated[str | None, Query(alias="LT_eventTime", description="RFC 3339")] = None,
    eq_biz_step: Annotated[str | None, Query(alias="EQ_bizStep")] = None,
    eq_disposition: Annotated[str | None, Query(alias="EQ_disposition")] = None,
    eq_action: Annotated[str | None, Query(alias="EQ_action")] = None,
    match_epc: Annotated[str | None, Query(alias="MATCH_epc")] = None,
    match_epc_class: Annotated[str | None, Query(alias="MATCH_epcClass")] = None,
    match_any_epc_class: Annotated[str | None, Query(alias="MATCH_anyEPCClass")] = None,
    eq_biz_location: Annotated[str | None, Query(alias="EQ_bizLocation")] = None,
    eq_event_id: Annotated[str | None, Query(alias="EQ_eventID")] = None,
    per_page: Annotated[str | None, Query(alias="perPage", description="events per page (default 30)")] = None,
    next_page_token: Annotated[str | None, Query(alias="nextPageToken")] = None,
) -> JSONResponse:
    """EPCIS events matching every given filter, in chain order, one page at a time
    (``Link: <...>; rel="next"`` while more remain). Unknown parameters are 400. A participant
    sees the events of its own lots and of their direct parents and children; a regulator and
    the market authority see every event."""
    try:
        query = parse_query(dict(request.query_params))
    except QueryError as exc:
        return _problem(400, "QueryParameterException", "Invalid query parameter", str(exc), parameter=exc.parameter)
    page = run_query(reader.caller.services.engine, query, scope=reader.batch_ids())
    return JSONResponse(query_document(page.events), headers=_next_link(request, page.next_token))


def _next_link(request: Request, token: str | None) -> dict[str, str]:
    headers = dict(EPCIS_HEADERS)
    if token:
        headers["Link"] = f'<{request.url.include_query_params(nextPageToken=token)}>; rel="next"'
    return headers


def _seconds(parameter: str, value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return parse_time(parameter, value)
    except QueryError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None


@router.get("/export", response_model=None)
def export(
    request: Request,
    reader: ReaderDep,
    lot: Annotated[str | None, Query(description="a lot code: its whole lineage, both directions")] = None,
    gtin: Annotated[str | None, Query(description="with lot: that lot only; alone: every lot of the GTIN")] = None,
    since: Annotated[str | None, Query(description="events from this time on (RFC 3339)")] = None,
    until: Annotated[str | None, Query(description="events before this time (RFC 3339)")] = None,
    per_page: Annotated[
        int, Query(alias="perPage", ge=1, le=MAX_EXPORT_EVENTS, description="events per answer")
    ] = MAX_EXPORT_EVENTS,
    next_page_token: Annotated[str | None, Query(alias="nextPageToken")] = None,
) -> JSONResponse:
    """An EPCISDocument of a lot's lineage (or a GTIN's lots, or everything) in a time window,
    checked against GS1's schema before it is sent: what ``freshledger epcis export`` writes,
    at most ``perPage`` events an answer (``Link: <...>; rel="next"`` while more remain).
    A participant gets the events of its own lots and their direct parents and children."""
    if gtin is not None:
        try:
            gtin = normalize_gtin(gtin)
        except ValueError as exc:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, f"gtin: {exc}") from None
    try:
        page = export_page(
            reader.caller.services.engine,
            lot=lot,
            gtin=gtin,
            since=_seconds("since", since),
            until=_seconds("until", until),
            scope=reader.batch_ids(),
            after=next_page_token,
            per_page=per_page,
        )
    except QueryError as exc:
        return _problem(400, "QueryParameterException", "Invalid query parameter", str(exc), parameter=exc.parameter)
    try:
        check_document(page.document)
    except InvalidDocument as exc:
        # The mapping's fault, never the caller's: say so, and send nothing that is not EPCIS.
        log.error("EPCIS export (lot=%r gtin=%r) does not validate: %s", lot, gtin, exc)
        return _problem(
            500,
            "ImplementationException",
            "Export failed validation",
            "the export did not pass GS1's EPCIS 2.0 schema check and was not sent; the operator has been told",
        )
    return JSONResponse(page.document, media_type="application/ld+json", headers=_next_link(request, page.next_token))
