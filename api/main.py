"""The FreshLedger API: ``create_app()`` assembles one router per audience.

Run it with ``freshledger serve`` (uvicorn on 127.0.0.1:8000 by default).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute

from api.errors import install_error_handlers
from api.routes import (
    admin,
    board,
    customs,
    documents,
    epcis,
    labs,
    products,
    public,
    ratings,
    regulators,
    resolver,
    suppliers,
    transactions,
    vendors,
    webhooks,
)
from api.services import Services, build_services
from api.settings import ApiSettings

DESCRIPTION = """
Provenance of fresh produce from farm harvest or customs entry to the market stall.

Writes need an API key (`Authorization: Bearer fl_...` or `X-API-Key`) of a participant with
the right role; each answers once its transaction is mined. Reads come from the indexer's
database and say up to which block they are current (`as_of_block`).
"""


def _operation_id(route: APIRoute) -> str:
    # Stable operation ids: generated clients keep their method names across releases.
    return route.name


def create_app(settings: ApiSettings | None = None, services: Services | None = None) -> FastAPI:
    """The app; `services` may be given (tests), else it is built from `settings`."""
    settings = settings or ApiSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if getattr(app.state, "services", None) is None:
            app.state.services = build_services(settings)
        yield
        app.state.services.engine.dispose()

    app = FastAPI(
        title="FreshLedger",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    app.state.services = services
    routers = (public, resolver, suppliers, customs, labs, vendors, regulators, admin, transactions, documents)
    routers += (webhooks,)
    routers += (board, ratings)  # the market board and shoppers' ratings
    routers += (epcis,)  # GS1 EPCIS 2.0 capture and queries
    routers += (products,)  # the product catalog: names behind the GTINs
    for module in routers:
        app.include_router(module.router)
    install_error_handlers(app)
    return app
