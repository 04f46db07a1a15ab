"""Who may call what: every route of the API against its audience, in one table.

Shoppers (no key) keep what a QR scan and the market's screens need: the Digital Link
resolver and its pages, the board and the stall screens, and the JSON behind them. Bulk reads
of the ledger (EPCIS queries and exports, the batch search) need a participant's key and
answer only the lots that passed through the participant's hands, one step up and one step
down (EU 178/2002, Art. 18; :mod:`ledger.queries.scope`); regulators and the market
authority read everything. Writes need the role the contract checks. A sale's QR code and
label carry the receipt's rating proof (:mod:`api.receipts`), so only the stall that made
the sale gets them.

``create_app`` refuses to start when a route is missing from :data:`POLICY` (or the table names
a route the app does not have), and when a route's dependencies disagree with its audience
(a keyed audience without the key check, or a public route asking for a key).
``tests/security/test_access_policy.py`` calls every route as each audience.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, status
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import CompoundSelect

from api.deps import Caller, CallerDep, current_caller
from api.schemas import BatchId
from ledger.queries.batches import get_sale
from ledger.queries.scope import visible_batches, visible_batches_query


class Audience(StrEnum):
    """Who a route answers (the README's access table uses these words)."""

    ANYONE = "anyone"
    RECEIPT = "holder of the sale's receipt (rating proof)"
    KEY = "any participant's key (the contract or the route checks what it may touch)"
    PARTICIPANT = "participant: its lots ±1 step; regulator and market authority: all"
    SALE_VENDOR = "the stall that made the sale"
    SUPPLIER = "supplier"
    CUSTOMS = "customs"
    LAB = "lab"
    VENDOR = "vendor"
    REGULATOR = "regulator"
    REGULATOR_OR_AUTHORITY = "regulator or market authority"
    AUTHORITY = "market authority"

    @property
    def needs_key(self) -> bool:
        return self not in (Audience.ANYONE, Audience.RECEIPT)


A = Audience
#: "METHOD /path" (as the app declares it) -> audience. HEAD follows GET.
POLICY: dict[str, Audience] = {
    # API description
    "GET /openapi.json": A.ANYONE,
    "GET /docs": A.ANYONE,
    "GET /docs/oauth2-redirect": A.ANYONE,
    "GET /redoc": A.ANYONE,
    "GET /health": A.ANYONE,
    # shoppers: QR scans, the shopper's page, the board and stall screens, and their JSON
    "GET /01/{rest:path}": A.ANYONE,
    "GET /sales/{sale_id}": A.ANYONE,
    "GET /batches/{batch_id}": A.ANYONE,
    "GET /batches/{batch_id}/history": A.ANYONE,
    "GET /stalls/{address}": A.ANYONE,
    "GET /stalls/{address}/ratings": A.ANYONE,
    "GET /participants": A.ANYONE,
    "GET /documents/{cid}": A.ANYONE,
    "GET /board": A.ANYONE,
    "GET /board/stalls/{address}": A.ANYONE,
    "GET /market/prices": A.ANYONE,
    "GET /market/arrivals": A.ANYONE,
    "GET /market/status": A.ANYONE,
    "GET /market/status.csv": A.ANYONE,
    "GET /products": A.ANYONE,
    "GET /customs/declarations/template.csv": A.ANYONE,
    "GET /customs/declarations/template.xlsx": A.ANYONE,
    "GET /harvests/template.csv": A.ANYONE,
    "GET /harvests/template.xlsx": A.ANYONE,
    "POST /sales/{sale_id}/rating": A.RECEIPT,
    # the receipt: QR code and label carry the rating proof
    "GET /sales/{sale_id}/qr.svg": A.SALE_VENDOR,
    "GET /sales/{sale_id}/qr.png": A.SALE_VENDOR,
    "GET /sales/{sale_id}/label.png": A.SALE_VENDOR,
    "GET /sales/{sale_id}/label.pdf": A.SALE_VENDOR,
    # bulk reads, scoped to the reader's lots
    "GET /batches": A.PARTICIPANT,
    "GET /epcis/events": A.PARTICIPANT,
    "GET /epcis/export": A.PARTICIPANT,
    # a participant's own things
    "POST /epcis/capture": A.KEY,
    "GET /epcis/capture": A.KEY,
    "GET /epcis/capture/{capture_id}": A.KEY,
    "POST /transactions": A.KEY,
    "GET /intents/{intent_id}": A.KEY,
    "POST /documents": A.KEY,
    "POST /batches/{batch_id}/handoff": A.KEY,
    "POST /batches/{batch_id}/accept": A.KEY,
    "POST /batches/{batch_id}/cancel": A.KEY,
    "POST /batches/{batch_id}/split": A.KEY,
    "POST /merges": A.KEY,
    # writes by role
    "POST /harvests": A.SUPPLIER,
    "POST /imports": A.CUSTOMS,
    "POST /customs/declarations": A.CUSTOMS,
    "POST /harvests/bulk": A.SUPPLIER,
    "POST /inspections": A.LAB,
    "POST /sales": A.VENDOR,
    "POST /sales/bulk": A.VENDOR,
    "POST /webhooks": A.VENDOR,
    "GET /webhooks": A.VENDOR,
    "DELETE /webhooks/{webhook_id}": A.VENDOR,
    "GET /webhooks/{webhook_id}/deliveries": A.VENDOR,
    # regulators and the market authority
    "POST /recalls": A.REGULATOR,
    "POST /recalls/lots": A.REGULATOR,
    "POST /batches/{batch_id}/release": A.REGULATOR,
    "GET /batches/{batch_id}/trace": A.REGULATOR,
    "GET /regulators/fsma204": A.REGULATOR,
    "GET /regulators/audit": A.REGULATOR,
    "GET /regulators/suspect-receipts": A.REGULATOR,
    "GET /regulators/stalls": A.REGULATOR_OR_AUTHORITY,
    "POST /participants": A.AUTHORITY,
    "POST /participants/{address}/suspend": A.AUTHORITY,
    "POST /participants/{address}/reinstate": A.AUTHORITY,
    "POST /participants/{address}/keys": A.AUTHORITY,
    "PUT /products/{gtin}": A.AUTHORITY,
}


@dataclass(frozen=True)
class RouteKey:
    method: str
    path: str
    route: Any

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def app_routes(app: FastAPI) -> Iterator[RouteKey]:
    """Every (method, path) the app serves, included routers resolved (HEAD follows GET)."""
    for context in iter_route_contexts(app.routes):
        for method in sorted((context.methods or set()) - {"HEAD"}):
            yield RouteKey(method, context.path, context.original_route)


def _asks_for_key(dependant: Dependant) -> bool:
    return any(d.call is current_caller or _asks_for_key(d) for d in dependant.dependencies)


def policy_problems(app: FastAPI) -> list[str]:
    """Where the app and :data:`POLICY` disagree (empty: they agree)."""
    problems = []
    served = {str(key): key for key in app_routes(app)}
    problems += [f"{name}: not in the access policy" for name in sorted(set(served) - set(POLICY))]
    problems += [f"{name}: in the access policy but not served" for name in sorted(set(POLICY) - set(served))]
    for name, key in served.items():
        audience = POLICY.get(name)
        if audience is None:
            continue
        asks = isinstance(key.route, APIRoute) and _asks_for_key(key.route.dependant)
        if audience.needs_key and not asks:
            problems.append(f"{name}: the policy says {audience.value!r}, but the route checks no key")
        if not audience.needs_key and asks:
            problems.append(f"{name}: the policy says {audience.value!r}, but the route asks for a key")
    return problems


def check_policy(app: FastAPI) -> None:
    """Refuse to serve an app whose routes and policy disagree."""
    problems = policy_problems(app)
    if problems:
        raise RuntimeError("access policy: " + "; ".join(problems))


# ------------------------------------------------------------------ dependencies


@dataclass(frozen=True)
class Reader:
    """A participant reading the ledger in bulk: everything, or its own lots ±1 step."""

    caller: Caller

    @property
    def sees_everything(self) -> bool:
        return self.caller.is_admin or self.caller.has("REGULATOR")

    def batch_ids(self) -> set[str] | None:
        """The batch ids it may read (None: every batch)."""
        if self.sees_everything:
            return None
        return visible_batches(self.caller.services.engine, self.caller.address)

    def within(self) -> CompoundSelect | None:
        """The same as a ``SELECT batch_id`` for a query to filter by (None: no filter)."""
        return None if self.sees_everything else visible_batches_query(self.caller.address)


def reader(caller: CallerDep) -> Reader:
    if caller.suspended:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"participant {caller.address} is suspended")
    return Reader(caller)


ReaderDep = Annotated[Reader, Depends(reader)]


def sale_vendor(sale_id: BatchId, caller: CallerDep) -> Caller:
    """Only the stall that made sale `sale_id` (its QR code and label carry the rating proof)."""
    if caller.suspended:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"participant {caller.address} is suspended")
    if not caller.has("VENDOR"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this needs the vendor role")
    sale, _ = get_sale(caller.services.engine, sale_id)
    if sale.vendor.address.lower() != caller.address.lower():
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"sale {sale_id} was made by another stall")
    return caller


SaleVendorDep = Annotated[Caller, Depends(sale_vendor)]
