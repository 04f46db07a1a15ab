"""The demo market plus a merged, quarantined lot, recorded on a fresh anvil and indexed once
per package: into SQLite and PostgreSQL for the rendering tests, into SQLite for the browser."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tests.factories.shopper_market import ShopperMarket, shopper_market
from tests.support.browser import chromium
from tests.support.databases import KINDS


@pytest.fixture(scope="package", params=KINDS)
def indexed_market(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShopperMarket]:
    with shopper_market(request.param, tmp_path_factory.mktemp("shopper")) as market:
        yield market


@pytest.fixture(scope="package")
def browser_market(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShopperMarket]:
    with shopper_market("sqlite", tmp_path_factory.mktemp("browser")) as market:
        yield market


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One headless Chromium for every browser test of the pages."""
    with chromium() as launched:
        yield launched
