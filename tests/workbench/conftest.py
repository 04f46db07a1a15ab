"""A real market for the workbench: anvil with FreshLedger deployed, the API over SQLite
served by uvicorn on a loopback port (the browser's server) with its write queue running, an
indexer, one participant per role admitted through the API, and one person of each with a
password (the authority's person with a second factor too)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from playwright.sync_api import Browser

from api.main import create_app
from api.services import Services, build_services
from ledger.chain.accounts import dev_account
from ledger.chain.node import free_port
from ledger.demo.market import GREENS_GTIN, STRAWBERRY_GTIN
from ledger.indexer.fetch import JsonRpc
from ledger.indexer.sync import Indexer
from ledger.people import totp
from ledger.store.api_keys import issue_key
from ledger.store.people import create_person
from ledger.store.products import set_product
from ledger.store.writer import IndexStore
from tests.factories.chain import deployed_node
from tests.support.axe import AXE
from tests.support.browser import chromium
from tests.support.server import serve_in_thread

PASSWORD = "correct horse battery"
#: name -> (role, participant name, identifier)
CAST = {
    "farm": ("SUPPLIER", "Green Valley Farm", "6901234000016"),
    "wholesaler": ("SUPPLIER", "West Lake Wholesale", "6901234000023"),
    "lab": ("LAB", "Market Lab", "CMA-2026-0417"),
    "vendor": ("VENDOR", "Stall A12 (王丽)", "JY33010600012345"),
    "regulator": ("REGULATOR", "Market Supervision Bureau", "SAMR-HZ-01"),
    "customs": ("CUSTOMS", "Ningbo Customs", "CN-NGB-3100"),
}
_HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')


@dataclass
class Bench:
    """The served market: its base URL, services, indexer, participants and people."""

    base: str
    services: Services
    indexer: Indexer
    authority_key: str
    addresses: dict[str, str] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    usernames: dict[str, str] = field(default_factory=dict)
    authority_totp: str = ""

    def sync(self) -> None:
        self.indexer.sync()

    def client(self) -> httpx.Client:
        """A browser-like client of its own (its own cookies); redirects are not followed."""
        return httpx.Client(base_url=self.base, timeout=90)

    def sign_in(self, name: str, password: str = PASSWORD, code: str = "") -> httpx.Client:
        client = self.client()
        answer = sign_in(client, self.usernames[name], password, code or self.code_for(name))
        assert answer.status_code == 303, answer.text[:500]
        return client

    def code_for(self, name: str) -> str:
        return totp.code_at(self.authority_totp, __import__("time").time()) if name == "authority" else ""


def hidden_fields(html: str, action: str | None = None) -> dict[str, str]:
    """The hidden fields of the form posting to `action` (the first form without one)."""
    if action is not None:
        start = html.index(f'action="{action}"')
        html = html[start : html.index("</form>", start)]
    return dict(_HIDDEN.findall(html))


def sign_in(client: httpx.Client, username: str, password: str, code: str = "") -> httpx.Response:
    page = client.get("/workbench/sign-in")
    fields = hidden_fields(page.text, "/workbench/sign-in")
    return client.post("/workbench/sign-in", data={**fields, "username": username, "password": password, "code": code})


def post_form(
    client: httpx.Client, page_path: str, action: str, data: dict, files: dict | None = None
) -> httpx.Response:
    """Open the page, fill the form posting to `action` with `data` (and its hidden fields), send."""
    page = client.get(page_path)
    assert page.status_code == 200, (page_path, page.status_code, page.text[:300])
    fields = hidden_fields(page.text, action)
    return client.post(action, data={**fields, **data}, files=files)


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bench]:
    base = tmp_path_factory.mktemp("workbench")
    with deployed_node(base) as chain:
        authority = dev_account(0)
        port = free_port()
        settings = chain.api_settings(public_host=f"127.0.0.1:{port}", public_scheme="http")
        services = build_services(settings)
        services.keys.create(authority.key)
        indexer = Indexer(JsonRpc(chain.rpc_url), IndexStore(services.engine), chain.source())
        indexer.check_identity()
        set_product(services.engine, GREENS_GTIN, "Green vegetables", {"zh": "青菜", "ko": "청경채"})
        set_product(services.engine, STRAWBERRY_GTIN, "Strawberries", {"zh": "草莓", "ko": "딸기"})
        app = create_app(settings, services)
        services.start_queue()  # the served app's lifespan is off (tests.support.server)
        try:
            with serve_in_thread(app, port, "workbench") as url:
                bench = Bench(url, services, indexer, issue_key(services.engine, authority.address, "authority"))
                _admit_cast(bench)
                yield bench
        finally:
            services.stop_queue()


def _admit_cast(bench: Bench) -> None:
    auth = {"Authorization": f"Bearer {bench.authority_key}"}
    with httpx.Client(base_url=bench.base, timeout=90) as api:
        for name, (role, title, identifier) in CAST.items():
            answer = api.post(
                "/participants", json={"role": role, "name": title, "identifier": identifier}, headers=auth
            )
            assert answer.status_code == 201, answer.text
            bench.addresses[name], bench.keys[name] = answer.json()["address"], answer.json()["api_key"]
    engine = bench.services.engine
    for name, (_, title, _) in CAST.items():
        create_person(engine, f"{name}.one", bench.addresses[name], PASSWORD, f"{title} person")
        bench.usernames[name] = f"{name}.one"
    bench.authority_totp = totp.new_secret()
    bench.addresses["authority"] = dev_account(0).address
    create_person(
        engine, "authority.one", dev_account(0).address, PASSWORD, "Market office", totp_secret=bench.authority_totp
    )
    bench.usernames["authority"] = "authority.one"
    bench.sync()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for the workbench's browser tests, which check each page with axe-core."""
    if not AXE.exists():
        pytest.fail("axe-core is not installed: npm install (package.json's devDependencies)", pytrace=False)
    with chromium() as launched:
        yield launched
