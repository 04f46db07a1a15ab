"""The FreshLedger API: ``create_app()`` assembles one router per audience.

Run it with ``freshledger serve`` (uvicorn on 127.0.0.1:8000 by default).
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.types import Receive, Scope, Send

from api.bodies import BodyLimitMiddleware
from api.errors import install_error_handlers
from api.headers import SecurityHeadersMiddleware
from api.plain_params import RefuseControlCharacters
from api.policy import check_policy
from api.routes import (
    admin,
    board,
    customs,
    documents,
    epcis,
    intake,
    intents,
    kiosk,
    labs,
    market_map,
    notices,
    products,
    public,
    ratings,
    regulators,
    resolver,
    scales,
    status,
    suppliers,
    transactions,
    vendors,
    webhooks,
    workbench,
    workbench_authority,
    workbench_catalog,
    workbench_customs,
    workbench_floor_plan,
    workbench_keys,
    workbench_lab,
    workbench_notices,
    workbench_plu,
    workbench_regulator,
    workbench_sheet,
    workbench_supplier,
    workbench_vendor,
)
from api.sale_fast_path import SaleFastPath, SaleFastPathCounts
from api.scan_fast_path import FastPathCounts, ScanFastPath
from api.services import Services, build_services
from api.settings import ApiSettings
from api.workbench.handlers import install_workbench_handlers

DESCRIPTION = """
Provenance of fresh produce from farm harvest or customs entry to the market stall.

Writes need an API key (`Authorization: Bearer fl_...` or `X-API-Key`) of a participant with
the right role; each is stored in a durable queue and answers once its transaction is mined
(`Prefer: respond-async`: 202 at once, follow `Location: /intents/{id}`; `Idempotency-Key`
makes a retry safe). Reads come from the indexer's
database and say up to which block they are current (`as_of_block`).
"""


#: Routers matched before every other (see :func:`create_app`).
FIRST_ROUTERS = (vendors,)
#: New container objects between two young garbage collections (CPython's default is 700). A
#: busy worker makes thousands a request; at 700 the young passes promoted what the requests in
#: flight hold (a bulk phase's 8,000 sales) to the old generations, whose passes walked it again
#: and again: the workers spent 5-9 s of a three-minute `bench/writes.py` run collecting, and a
#: bulk sale cost the API 0.23-0.26 ms of CPU against 0.17-0.18 at 20,000.
GC_YOUNG_THRESHOLD = 20_000


def _operation_id(route: APIRoute) -> str:
    # Stable operation ids: generated clients keep their method names across releases.
    return route.name


class LedgerApi(FastAPI):
    """The FastAPI app, behind the scan fast path (:mod:`api.scan_fast_path`): every request
    meets the fast path first, which answers current cached scans and their 304s with the
    resolver's bytes and passes everything else to FastAPI untouched. In front of FastAPI's own
    ``__call__``, not among its middlewares: that is where the telemetry check and the
    middleware stack's entry cost a cached scan a fifth of its time.

    ``state.scan_fast_path`` counts what the fast path did (:class:`FastPathCounts`)."""

    def __init__(self, *, scan_fast_path: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.state.scan_fast_path = FastPathCounts()
        self._front = ScanFastPath(super().__call__, self.state, self.state.scan_fast_path, enabled=scan_fast_path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._front(scope, receive, send)


def create_app(settings: ApiSettings | None = None, services: Services | None = None) -> LedgerApi:
    """The app; `services` may be given (tests), else it is built from `settings`."""
    settings = settings or ApiSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if getattr(app.state, "services", None) is None:
            app.state.services = build_services(settings)
        # What exists now (modules, routes, the services) lives as long as the worker: a full
        # garbage collection skips it from here on. Else each one walks some 230,000 objects
        # (~100 ms of CPU), and a recall's trace (10,000 sales of new objects) set one off
        # every other run.
        gc.freeze()
        gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
        app.state.services.start_queue()
        try:
            yield
        finally:
            app.state.services.stop_queue()
            app.state.services.scan_cache.close()
            app.state.services.stop_scans()
            app.state.services.engine.dispose()

    app = LedgerApi(
        scan_fast_path=settings.scan_fast_path,
        title="FreshLedger",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    app.state.services = services
    # The busiest writes' router first (FastAPI walks the routers in this order, twice a
    # request: to match and to handle): POST /sales behind five routers cost it 15 % of its
    # event loop's time. Order decides only between two routes that both match a request in
    # full; tests/api/test_routing.py checks that no other route matches these ones' requests.
    routers = FIRST_ROUTERS
    routers += (public, resolver, suppliers, customs, labs, regulators, admin, transactions, documents)
    routers += (webhooks,)
    routers += (board, ratings, status)  # the market board, shoppers' ratings, the market's status
    routers += (epcis,)  # GS1 EPCIS 2.0 capture and queries
    routers += (products,)  # the product catalog: names behind the GTINs
    routers += (intake,)  # declaration files and harvest sheets
    routers += (intents,)  # the write queue: where an accepted write stands
    # the participants' workbench: screens for people signed in with a password
    routers += (workbench, workbench_supplier, workbench_vendor, workbench_lab, workbench_regulator)
    routers += (workbench_customs, workbench_authority)
    routers += (workbench_sheet, workbench_plu, workbench_notices)  # harvest sheets, scale keys, notices
    routers += (workbench_keys, workbench_catalog, workbench_floor_plan)  # the market authority's desk
    routers += (notices, market_map, kiosk)  # notices, the floor plan and the touchscreen
    routers += (scales,)  # the stalls' scale keys
    for module in routers:
        app.include_router(module.router)
    install_error_handlers(app)
    install_workbench_handlers(app)
    check_policy(app)  # a route without a line in the access table does not start
    # The last added runs first: security headers go on every answer, refusals of bodies and
    # of control characters in the URL too. Plain sales are answered inside all three
    # (:mod:`api.sale_fast_path`), the rest by FastAPI's routes.
    app.state.sale_fast_path = SaleFastPathCounts()
    app.add_middleware(SaleFastPath, counts=app.state.sale_fast_path, enabled=settings.sale_fast_path)
    app.add_middleware(RefuseControlCharacters)
    app.add_middleware(BodyLimitMiddleware, limits=settings.limits)
    docs = (app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url)
    app.add_middleware(SecurityHeadersMiddleware, docs_paths=[path for path in docs if path])
    return app
