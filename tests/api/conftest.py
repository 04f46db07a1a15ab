"""A real API over a real chain and database: anvil with FreshLedger deployed, the
authority's key in the keystore, a SQLite database, an indexer to bring reads up to date,
and FastAPI's TestClient in front."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.services import build_services
from ledger.chain.accounts import dev_account
from ledger.indexer.fetch import JsonRpc
from ledger.indexer.sync import Indexer
from ledger.store.api_keys import issue_key
from ledger.store.writer import IndexStore
from tests.factories.chain import deployed_node
from tests.support.databases import Databases


@dataclass
class Market:
    """The API, an indexer on its database, and the authority's key."""

    client: TestClient
    indexer: Indexer
    authority_key: str
    rpc_url: str

    def sync(self) -> None:
        self.indexer.sync()

    def auth(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    def admit(self, role: str, name: str, identifier: str = "6901234000016") -> tuple[str, str]:
        """Register a participant through the API; return (address, api key)."""
        answer = self.client.post(
            "/participants",
            json={"role": role, "name": name, "identifier": identifier},
            headers=self.auth(self.authority_key),
        )
        assert answer.status_code == 201, answer.text
        return answer.json()["address"], answer.json()["api_key"]


@contextmanager
def market_at(base: Path, kind: str | None = None) -> Iterator[Market]:
    """A fresh anvil with FreshLedger deployed and the API over a fresh database of `kind`
    (SQLite or PostgreSQL, dropped afterwards; without a kind: SQLite under `base`)."""
    databases = Databases(kind, base) if kind else None
    try:
        database_url = databases.url() if databases else None
        with deployed_node(base) as chain:
            authority = dev_account(0)
            settings = chain.api_settings(database_url)
            services = build_services(settings)
            services.keys.create(authority.key)
            indexer = Indexer(JsonRpc(chain.rpc_url), IndexStore(services.engine), chain.source())
            indexer.check_identity()
            with TestClient(create_app(settings, services)) as client:
                yield Market(client, indexer, issue_key(services.engine, authority.address, "authority"), chain.rpc_url)
    finally:
        if databases:
            databases.close()


@pytest.fixture(scope="module")
def api_market(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Market]:
    with market_at(tmp_path_factory.mktemp("api")) as market:
        yield market


@pytest.fixture(scope="module")
def cast(api_market: Market) -> dict[str, tuple[str, str]]:
    """One participant per role (and a second vendor), admitted through the API."""
    return {
        "farm": api_market.admit("SUPPLIER", "Green Valley Farm"),
        "wholesaler": api_market.admit("SUPPLIER", "West Lake Wholesale"),
        "customs": api_market.admit("CUSTOMS", "Ningbo Customs", "CN-NGB-3100"),
        "lab": api_market.admit("LAB", "Market Lab", "CMA-2026-0417"),
        "vendor": api_market.admit("VENDOR", "Stall A12 (王丽)", "JY33010600012345"),
        "vendor2": api_market.admit("VENDOR", "Stall B03", "JY33010600067890"),
        "regulator": api_market.admit("REGULATOR", "Market Supervision Bureau", "SAMR-HZ-01"),
    }
