"""The routers matched first (:data:`api.main.FIRST_ROUTERS`, ahead of the others for the busiest
writes' sake) answer exactly what they would answer in any order: none of their requests is
matched in full by another route, so no other route is shadowed and none shadows them."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Match

import api.routes
from api.main import FIRST_ROUTERS, create_app
from api.settings import ApiSettings


def _other_routes(tmp_path: Path) -> list[BaseRoute]:
    first = {module.__name__ for module in FIRST_ROUTERS}
    routes: list[BaseRoute] = []
    for info in pkgutil.iter_modules(api.routes.__path__):
        module = importlib.import_module(f"api.routes.{info.name}")
        if module.__name__ not in first and hasattr(module, "router"):
            routes += module.router.routes
    # The app's own routes (OpenAPI, docs); services are not needed to list routes.
    app = create_app(ApiSettings(data_dir=tmp_path, database_url="sqlite://"), services=object())  # type: ignore[arg-type]
    routes += [route for route in app.router.routes if isinstance(route, APIRoute) or hasattr(route, "path_regex")]
    return routes


def test_no_other_route_matches_a_first_routers_request(tmp_path: Path) -> None:
    others = _other_routes(tmp_path)
    assert len(others) > 100  # every router was found
    checked = 0
    for module in FIRST_ROUTERS:
        for route in module.router.routes:
            assert isinstance(route, APIRoute)
            # A path without parameters: its requests are exactly this path.
            assert not route.param_convertors, route.path
            for method in route.methods:
                scope = {"type": "http", "path": route.path, "method": method, "root_path": "", "headers": []}
                assert route.matches(scope)[0] == Match.FULL
                clashes = [other for other in others if other.matches(scope)[0] == Match.FULL]
                assert clashes == [], f"{method} {route.path} is also matched by {clashes}"
                checked += 1
    assert checked >= 2  # POST /sales and POST /sales/bulk at least
