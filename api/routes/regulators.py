"""Regulators: recalls, quarantine releases, the forward trace a recall must cover, and the
receipts that look copied."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.deps import Caller, CallerDep, require
from api.recall_schemas import LotRecallCreate, LotRecallPublic
from api.routes.resolver import sale_uri
from api.schemas import BatchId, Gtin, Lot, RecallCreate, ReleaseCreate, TxResponse
from api.views import oversight_json, trace_json
from api.write_queue import ACCEPTED, idempotency_key, intent_json, refusal, wait_final, wants_async, write
from ledger import fsma
from ledger import recall as recalls
from ledger.audit import audit as audit_ledger
from ledger.audit.rebuild import deployed_source
from ledger.chain.freshledger import batch_id_of
from ledger.errors import NotFound
from ledger.hexes import from_hex, to_hex
from ledger.intents.accept import accept, request_hash
from ledger.queries import trace_forward
from ledger.queries.batches import get_sale
from ledger.queries.oversight import stall_oversight
from ledger.queries.views import TraceResult
from ledger.store import receipt_scans
from ledger.store.intents import IntentRecord, KeyReused, intent_by_key

router = APIRouter(tags=["regulators"])
Regulator = Annotated[Caller, Depends(require("REGULATOR"))]


@router.post("/recalls", status_code=201, response_model=TxResponse, responses=ACCEPTED)
async def recall(request: Request, body: RecallCreate, caller: Regulator) -> Response:
    """Recall batches: they can no longer move, be repacked or be sold."""
    return await write(request, caller, "recall", {"batch_ids": body.batch_ids, "reason": body.reason})


@router.post("/recalls/lots", status_code=201, response_model=LotRecallPublic, responses=ACCEPTED)
async def recall_lot(request: Request, body: LotRecallCreate, caller: Regulator) -> Response:
    """Recall a lot and every batch made from it, in as few transactions as fit the block gas
    limit; answers with the transactions, the recalled batches and the stalls and sales reached.
    Each transaction's share is queued as a ``recall`` intent (``intent_ids``); with
    ``Prefer: respond-async`` the answer is 202 at once, ``Location`` naming the first."""
    key = idempotency_key(request)
    trace, plan, intents = await run_in_threadpool(_queue_lot_recall, caller, body, key)
    services = caller.services
    ids = [i.id for i in intents]
    if ids and not wants_async(request):
        final = await wait_final(services, ids)
        intents = [final[i] for i in ids]
    refused = next((i for i in intents if i.status == "refused"), None)
    if refused is not None:
        raise refusal(refused)
    if any(not i.final for i in intents):
        location = f"/intents/{ids[0]}"
        shown = [intent_json(request, i) for i in intents]
        return JSONResponse({"intent_ids": ids, "intents": shown}, 202, {"Location": location})
    outcome = await run_in_threadpool(recalls.outcome_of, plan, intents, services.ledger.client)
    answer = recalls.lot_recall_json(recalls.lot_recall_of(trace, body.reason, outcome))
    return JSONResponse({**answer, "intent_ids": ids}, status_code=201)


def _queue_lot_recall(
    caller: Caller, body: LotRecallCreate, key: str | None
) -> tuple[TraceResult, recalls.RecallPlan, list[IntentRecord]]:
    """Trace, plan (a refusal the contract gives now raises here, nothing queued) and queue
    the chunks; a retry with the same Idempotency-Key answers the intents of the first."""
    services = caller.services
    caller.account  # noqa: B018 - 403 when the market does not hold the regulator's key
    try:
        trace = trace_forward(services.engine, to_hex(batch_id_of(body.gtin, body.lot)))
    except NotFound:
        raise NotFound(f"no lot {body.lot} of GTIN {body.gtin} is recorded (as far as indexed)") from None
    if key is not None and intent_by_key(services.engine, caller.address, f"{key}#0") is not None:
        return trace, *_first_attempt(caller, trace, key)
    sender = recalls.RecallSender(services.ledger, caller.account)
    traced = recalls.traced_batch_ids(trace)
    plan = sender.plan([from_hex(b, size=32) for b in traced], body.reason)
    payloads = recalls.chunk_payloads(plan, body.reason)
    keys = [f"{key}#{n}" for n in range(len(payloads))] if key else [None] * len(payloads)
    try:
        stored = accept(services.engine, caller.address, "recall", list(zip(payloads, keys, strict=True)))
    except KeyReused as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    services.wake(caller.address)
    return trace, plan, [intent for intent, _ in stored]


def _first_attempt(caller: Caller, trace: TraceResult, key: str) -> tuple[recalls.RecallPlan, list[IntentRecord]]:
    engine, intents = caller.services.engine, []
    while (found := intent_by_key(engine, caller.address, f"{key}#{len(intents)}")) is not None:
        if found.kind != "recall" or found.request_hash != request_hash("recall", found.payload):
            break
        intents.append(found)
    sent = [b for i in intents for b in i.payload["batch_ids"]]
    skipped = [b for b in recalls.traced_batch_ids(trace) if b not in set(sent)]
    plan = recalls.RecallPlan([from_hex(b) for b in sent], [from_hex(b) for b in skipped], 0, None, 0)
    return plan, intents


@router.post("/batches/{batch_id}/release", response_model=TxResponse, responses=ACCEPTED)
async def release_quarantine(request: Request, batch_id: BatchId, body: ReleaseCreate, caller: Regulator) -> Response:
    """Release a batch from quarantine after a failed residue test."""
    payload = {"batch_id": batch_id, "reason": body.reason}
    return await write(request, caller, "release", payload, status_code=200)


@router.get("/batches/{batch_id}/trace")
def trace(batch_id: BatchId, caller: Regulator) -> dict[str, Any]:
    """Everything downstream of a batch: descendants, sales, holders, stalls."""
    return trace_json(trace_forward(caller.services.engine, batch_id))


@router.get("/regulators/stalls")
def stalls_overview(caller: CallerDep) -> dict[str, Any]:
    """Per stall, shoppers' rating next to the lab tests of the lots it has held (tests, failed
    tests, the latest failure), stalls with failed tests first: a stall with many failed tests
    and high ratings is worth a look. For regulators and the market authority."""
    if caller.suspended or not (caller.is_admin or caller.has("REGULATOR")):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this needs the regulator role or the market authority")
    overview = stall_oversight(caller.services.engine)
    return {"data": oversight_json(overview), "count": len(overview)}


@router.get(
    "/regulators/fsma204",
    response_class=Response,
    responses={200: {"content": {fsma.CSV_MEDIA_TYPE: {}, fsma.XLSX_MEDIA_TYPE: {}}, "description": "the file"}},
)
def fsma204(
    caller: Regulator,
    lot: Annotated[Lot | None, Query(max_length=20, description="traceability lot code")] = None,
    gtin: Annotated[Gtin | None, Query(description="GTIN of the lot")] = None,
    since: Annotated[datetime | None, Query(description="events from (ISO 8601; UTC unless an offset)")] = None,
    until: Annotated[datetime | None, Query(description="events before (exclusive)")] = None,
    file_format: Annotated[Literal["csv", "xlsx"], Query(alias="format")] = "csv",
) -> Response:
    """FDA FSMA 204 electronic sortable spreadsheet: one row per critical tracking event with
    its key data elements, for a lot and its whole lineage, or for a time window."""
    start, end = _seconds(since), _seconds(until)
    if lot is None and start is None and end is None:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "give a lot, or a window with since and/or until")
    try:
        sheet = fsma.build_spreadsheet(caller.services.engine, lot=lot, gtin=gtin, since=start, until=end)
    except ValueError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    if file_format == "xlsx":
        body, media_type = sheet.xlsx(), fsma.XLSX_MEDIA_TYPE
    else:
        body, media_type = sheet.csv(), fsma.CSV_MEDIA_TYPE
    disposition = f'attachment; filename="{sheet.filename(file_format)}"'
    return Response(body, media_type=media_type, headers={"Content-Disposition": disposition})


def _seconds(moment: datetime | None) -> int | None:
    """Unix seconds; a time without an offset is UTC."""
    if moment is None:
        return None
    return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())


@router.get("/regulators/audit")
def audit(caller: Regulator) -> dict[str, Any]:
    """Rebuild the database from the chain's logs and compare it row by row, re-hash every
    recorded document, and check that every sale reaches a harvest or customs entry.
    ``clean`` is false on any mismatch; each finding has a kind, a severity and a message."""
    settings = caller.services.settings
    source = deployed_source(settings.rpc_url, settings.data_dir)
    report = audit_ledger(
        caller.services.engine, rpc_url=settings.rpc_url, source=source, documents=caller.services.documents
    )
    return report.to_dict()


@router.get("/regulators/suspect-receipts")
def suspect_receipts(
    caller: Regulator,
    limit: Annotated[int, Query(ge=1, le=1000, description="at most this many, newest flag first")] = 100,
) -> dict[str, Any]:
    """Receipts flagged as possibly copied: scanned from ``FRESHLEDGER_SCAN_FLAG_NETWORKS``
    different networks within ``FRESHLEDGER_SCAN_FLAG_WINDOW_S`` seconds. Each with its sale
    (the stall, the lot, the Digital Link), when first and last scanned, how often, and from
    how many networks (no network itself)."""
    services = caller.services
    services.scans.flush()  # the scans waiting in this process count too
    found = receipt_scans.suspect_receipts(services.engine, limit=limit)
    data = []
    for summary in found:
        try:
            sale, _ = get_sale(services.engine, summary.sale_id)
        except NotFound:  # a sale undone by a reorg since: its scans stay, the sale does not
            sale = None
        data.append(
            {
                "sale_id": summary.sale_id,
                "link": None if sale is None else sale_uri(services, sale),
                "vendor": None if sale is None else sale.vendor.address,
                "gtin": None if sale is None else sale.gtin,
                "lot": None if sale is None else sale.lot,
                "serial": None if sale is None else sale.serial,
                "first_scanned_at": summary.first_at,
                "last_scanned_at": summary.last_at,
                "scans": summary.scans,
                "networks": summary.networks,
                "flagged_at": summary.flagged_at,
            }
        )
    return {"data": data, "count": len(data)}
