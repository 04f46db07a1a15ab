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
from api.workbench.session import posted_form, signed_in
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
    # the workbench: people signed in with a password (a session cookie), not keys
    SIGN_IN = "anyone (the workbench's sign-in form)"
    PERSON = "a signed-in person of any participant"
    PERSON_SUPPLIER = "a signed-in person of a supplier"
    PERSON_CUSTOMS = "a signed-in person of a customs office"
    PERSON_VENDOR = "a signed-in person of a vendor"
    PERSON_LAB = "a signed-in person of a lab"
    PERSON_REGULATOR = "a signed-in person of a regulator"
    PERSON_AUTHORITY = "a signed-in person of the market authority"

    @property
    def needs_key(self) -> bool:
        return self not in (Audience.ANYONE, Audience.RECEIPT, Audience.SIGN_IN) and not self.needs_session

    @property
    def needs_session(self) -> bool:
        return self.name.startswith("PERSON")

    @property
    def person_role(self) -> str | None:
        """The role a workbench audience's gate checks (None: any signed-in person)."""
        return _PERSON_ROLES.get(self)


A = Audience
_PERSON_ROLES = {
    A.PERSON_SUPPLIER: "SUPPLIER",
    A.PERSON_CUSTOMS: "CUSTOMS",
    A.PERSON_VENDOR: "VENDOR",
    A.PERSON_LAB: "LAB",
    A.PERSON_REGULATOR: "REGULATOR",
    A.PERSON_AUTHORITY: "ADMIN",
}
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
    "GET /stalls/{address}/plu": A.ANYONE,
    "GET /participants": A.ANYONE,
    "GET /documents/{cid}": A.ANYONE,
    "GET /board": A.ANYONE,
    "GET /board/stalls/{address}": A.ANYONE,
    "GET /market/prices": A.ANYONE,
    "GET /market/arrivals": A.ANYONE,
    "GET /market/status": A.ANYONE,
    "GET /market/status.csv": A.ANYONE,
    "GET /products": A.ANYONE,
    "GET /notices": A.ANYONE,
    "GET /board/map": A.ANYONE,
    "GET /kiosk": A.ANYONE,
    "GET /market/search": A.ANYONE,
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
    "PUT /stalls/{address}/plu/{key}": A.VENDOR,
    "DELETE /stalls/{address}/plu/{key}": A.VENDOR,
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
    "POST /notices": A.REGULATOR_OR_AUTHORITY,
    "POST /participants": A.AUTHORITY,
    "POST /participants/{address}/suspend": A.AUTHORITY,
    "POST /participants/{address}/reinstate": A.AUTHORITY,
    "POST /participants/{address}/keys": A.AUTHORITY,
    "GET /participants/{address}/keys": A.AUTHORITY,
    "DELETE /participants/{address}/keys/{key_id}": A.AUTHORITY,
    "PUT /products/{gtin}": A.AUTHORITY,
    # the participants' workbench (api.workbench): sessions, CSRF on every form, role gates
    "GET /workbench/sign-in": A.SIGN_IN,
    "POST /workbench/sign-in": A.SIGN_IN,
    "POST /workbench/sign-out": A.PERSON,
    "POST /workbench/sign-out-everywhere": A.PERSON,
    "GET /workbench": A.PERSON,
    "GET /workbench/activity": A.PERSON,
    "GET /workbench/intents/{intent_id}": A.PERSON,
    "POST /workbench/shipments/{batch_id}/accept": A.PERSON,
    "GET /workbench/supplier": A.PERSON_SUPPLIER,
    "GET /workbench/supplier/harvest": A.PERSON_SUPPLIER,
    "POST /workbench/supplier/harvest": A.PERSON_SUPPLIER,
    "GET /workbench/supplier/lots/{batch_id}/ship": A.PERSON_SUPPLIER,
    "POST /workbench/supplier/lots/{batch_id}/ship": A.PERSON_SUPPLIER,
    "GET /workbench/customs": A.PERSON_CUSTOMS,
    "POST /workbench/customs/declarations": A.PERSON_CUSTOMS,
    "GET /workbench/vendor": A.PERSON_VENDOR,
    "GET /workbench/lab": A.PERSON_LAB,
    "GET /workbench/lab/lots/{batch_id}/test": A.PERSON_LAB,
    "POST /workbench/lab/lots/{batch_id}/test": A.PERSON_LAB,
    "GET /workbench/regulator": A.PERSON_REGULATOR,
    "GET /workbench/regulator/trace": A.PERSON_REGULATOR,
    "GET /workbench/regulator/lots/{batch_id}": A.PERSON_REGULATOR,
    "POST /workbench/regulator/lots/{batch_id}/recall": A.PERSON_REGULATOR,
    "POST /workbench/regulator/lots/{batch_id}/release": A.PERSON_REGULATOR,
    "GET /workbench/authority": A.PERSON_AUTHORITY,
    "POST /workbench/authority/people": A.PERSON_AUTHORITY,
    "POST /workbench/authority/participants": A.PERSON_AUTHORITY,
    "POST /workbench/authority/participants/{address}/suspend": A.PERSON_AUTHORITY,
    "POST /workbench/authority/participants/{address}/reinstate": A.PERSON_AUTHORITY,
    # the workbench's harvest sheet, scale keys, and regulator's notices
    "GET /workbench/supplier/sheet": A.PERSON_SUPPLIER,
    "POST /workbench/supplier/sheet": A.PERSON_SUPPLIER,
    "GET /workbench/vendor/plu": A.PERSON_VENDOR,
    "POST /workbench/vendor/plu": A.PERSON_VENDOR,
    "POST /workbench/vendor/plu/{key}/clear": A.PERSON_VENDOR,
    "GET /workbench/regulator/notices": A.PERSON_REGULATOR,
    "POST /workbench/regulator/notices": A.PERSON_REGULATOR,
    "GET /workbench/authority/participants/{address}/keys": A.PERSON_AUTHORITY,
    "POST /workbench/authority/participants/{address}/keys": A.PERSON_AUTHORITY,
    "POST /workbench/authority/participants/{address}/keys/{key_id}/revoke": A.PERSON_AUTHORITY,
    "GET /workbench/authority/catalog": A.PERSON_AUTHORITY,
    "POST /workbench/authority/catalog": A.PERSON_AUTHORITY,
    "GET /workbench/authority/floor-plan": A.PERSON_AUTHORITY,
    "POST /workbench/authority/floor-plan": A.PERSON_AUTHORITY,
    "PUT /market/layout": A.AUTHORITY,
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


def _asks_for_session(dependant: Dependant) -> bool:
    return any(d.call is signed_in or _asks_for_session(d) for d in dependant.dependencies)


def _gated_roles(dependant: Dependant) -> set[str]:
    """The roles the workbench gates among the dependencies check (api.workbench.session.person_with)."""
    found = set()
    for d in dependant.dependencies:
        role = getattr(d.call, "workbench_role", None)
        if role is not None:
            found.add(role)
        found |= _gated_roles(d)
    return found


def _posts_checked_form(dependant: Dependant) -> bool:
    return any(d.call is posted_form or _posts_checked_form(d) for d in dependant.dependencies)


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
        if isinstance(key.route, APIRoute):
            problems += _session_problems(name, audience, key.route.dependant)
    return problems


def _session_problems(name: str, audience: Audience, dependant: Dependant) -> list[str]:
    """A workbench route must check the session its audience needs, the role it names, and the
    CSRF token of every form it takes."""
    problems = []
    session = _asks_for_session(dependant)
    if audience.needs_session and not session:
        problems.append(f"{name}: the policy says {audience.value!r}, but the route checks no session")
    if not audience.needs_session and session:
        problems.append(f"{name}: the policy says {audience.value!r}, but the route asks for a session")
    if audience.needs_session and _gated_roles(dependant) != ({audience.person_role} - {None}):
        problems.append(f"{name}: the policy says {audience.value!r}, but the route gates {_gated_roles(dependant)}")
    if audience.needs_session and name.startswith("POST ") and not _posts_checked_form(dependant):
        problems.append(f"{name}: a workbench form without the CSRF check")
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
