"""Security headers on every answer: every GET route of the app (enumerated from its OpenAPI
document and FastAPI's documentation routes, so a new route is checked without being listed
here), the error pages, and the pages in a real Chromium, where the policy must block nothing
the pages need and must stop framing.

Pages: a Content-Security-Policy allowing no inline script or style but the pages' own (by
hash), ``frame-ancestors 'none'``, ``Referrer-Policy``, ``nosniff``; JSON and images: ``nosniff``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser

from api.main import create_app
from ledger.chain.freshledger import batch_id_of, sale_id_of
from ledger.chain.node import free_port
from tests.api.conftest import Market
from tests.support.browser import chromium
from tests.support.server import serve_in_thread

_INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.DOTALL)
#: Markup that would run or style outside the hashed elements.
_INLINE_ATTRIBUTES = re.compile(r"<[^>]*\s(on[a-z]+|style)\s*=", re.IGNORECASE)


def sha256_source(text: str) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"


def directives(policy: str) -> dict[str, list[str]]:
    parsed = (part.split() for part in policy.split(";") if part.strip())
    return {words[0]: words[1:] for words in parsed}


def assert_page_headers(answer: httpx.Response, *, ours: bool = True) -> None:
    """The headers of an HTML page; for the market's own pages (not FastAPI's documentation),
    every inline script and style is allowed by its hash and nothing else inline is."""
    where = f"{answer.request.method} {answer.request.url.path}"
    assert answer.headers["x-content-type-options"] == "nosniff", where
    assert answer.headers["referrer-policy"] == "no-referrer", where
    assert answer.headers["x-frame-options"] == "DENY", where
    policy = directives(answer.headers["content-security-policy"])
    assert policy["default-src"] == ["'none'"], where
    assert policy["frame-ancestors"] == ["'none'"], where
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"], where
    if not ours:
        return
    assert "'unsafe-inline'" not in policy["style-src"], where
    for kind, content in _INLINE.findall(answer.text):
        assert sha256_source(content) in policy[f"{kind}-src"], f"{where}: an inline {kind} the policy does not allow"
    assert _INLINE_ATTRIBUTES.search(answer.text) is None, where


@pytest.fixture(scope="module")
def samples(api_market: Market, cast: dict, scan_path: str) -> dict[str, str]:
    """A value for each path parameter of the app's GET routes (a route with another
    parameter fails the enumeration test until it is given one here)."""
    m = api_market
    _, _, gtin, _, lot, _, serial = scan_path.split("/")
    batch = batch_id_of(gtin, lot)
    cid = m.client.post(
        "/documents",
        content=b"%PDF-1.7 certificate",
        headers={**m.auth(cast["lab"][1]), "Content-Type": "application/pdf"},
    ).json()["cid"]
    return {
        "batch_id": "0x" + batch.hex(),
        "sale_id": "0x" + sale_id_of(batch, int(serial)).hex(),
        "address": cast["vendor"][0],
        "rest": scan_path.removeprefix("/01/"),
        "cid": cid,
        "webhook_id": "1",
        "intent_id": "1",
        "capture_id": "no-such-capture",
    }


def get_routes(m: Market) -> list[str]:
    app = m.client.app
    paths = [path for path, operations in app.openapi()["paths"].items() if "get" in operations]
    return paths + [path for path in (app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url) if path]


def test_every_get_route_answers_nosniff_and_every_page_its_policy(
    api_market: Market, cast: dict, samples: dict[str, str]
) -> None:
    m = api_market
    pages = set()
    for route in get_routes(m):
        path = re.sub(r"\{(\w+)(:\w+)?\}", lambda match: samples[match.group(1)], route)
        for headers in ({"Accept": "text/html"}, {"Accept": "application/json", **m.auth(cast["regulator"][1])}):
            answer = m.client.get(path, headers=headers)
            assert answer.headers.get("x-content-type-options") == "nosniff", f"{route} {answer.status_code}"
            if answer.headers.get("content-type", "").startswith("text/html"):
                assert_page_headers(answer, ours=route not in ("/docs", "/redoc", "/docs/oauth2-redirect"))
                pages.add(route)
    assert {"/01/{rest}", "/board", "/board/stalls/{address}", "/docs", "/redoc"} <= pages


@pytest.mark.parametrize(
    "path",
    [
        "/01/09506000134352/10/NO-SUCH-LOT/21/1",  # the shopper's "no such sale" page
        "/01/12345/10/X/21/1",  # not a GTIN: the "bad request" page
        "/01/<script>alert(1)</script>",
        "/board?day=1900-01-01",
        "/board/stalls/0x0000000000000000000000000000000000000000",
    ],
)
def test_error_pages_carry_the_page_policy(api_market: Market, path: str) -> None:
    answer = api_market.client.get(path, headers={"Accept": "text/html"})
    assert 400 <= answer.status_code < 500
    assert answer.headers["x-content-type-options"] == "nosniff"
    if answer.headers["content-type"].startswith("text/html"):
        assert_page_headers(answer)


def test_the_rating_forms_refusal_page_carries_the_page_policy(api_market: Market, samples: dict[str, str]) -> None:
    answer = api_market.client.post(
        f"/sales/{samples['sale_id']}/rating",
        content="stars=9",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    # Without the receipt's proof the form post is refused (403) before its stars are read.
    assert answer.status_code == 403 and answer.headers["content-type"].startswith("text/html")
    assert_page_headers(answer)


def test_refusals_of_bodies_and_api_errors_carry_nosniff(api_market: Market) -> None:
    m = api_market
    for answer in (
        m.client.post("/harvests", content=b"[" * 1000, headers={"Content-Type": "application/json"}),
        m.client.post("/harvests", json={}),
        m.client.get("/batches/not-a-batch"),
    ):
        assert 400 <= answer.status_code < 500
        assert answer.headers["x-content-type-options"] == "nosniff"


@pytest.fixture(scope="module")
def served(api_market: Market) -> Iterator[str]:
    """The same app over HTTP, for the browser."""
    services = api_market.client.app.state.services
    with serve_in_thread(create_app(services.settings, services), free_port(), "security-pages") as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def test_pages_run_in_chromium_with_nothing_blocked(browser: Browser, served: str, scan_path: str) -> None:
    context = browser.new_context(java_script_enabled=True)
    console: list[str] = []
    context.on("console", lambda message: console.append(message.text))
    page = context.new_page()
    try:
        for path in (scan_path, "/01/09506000134352/10/NO-SUCH-LOT/21/1", "/board?refresh=1"):
            response = page.goto(served + path)
            assert response is not None and "content-security-policy" in response.headers
            # The page's CSS applied (a blocked <style> would leave the browser's defaults).
            assert page.evaluate("getComputedStyle(document.body).margin") != "8px", path
        # The board's refresh script ran under the policy and fetched its fragment.
        page.locator("body[data-refreshes]").wait_for(timeout=15_000)
    finally:
        context.close()
    assert [text for text in console if "Content Security Policy" in text] == []


def test_pages_cannot_be_framed(browser: Browser, served: str, scan_path: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    try:
        # Another origin (about:blank here) frames the shopper's page: Chromium refuses, and says why.
        with page.expect_console_message(lambda message: "frame-ancestors" in message.text, timeout=15_000):
            page.set_content(f'<iframe src="{served}{scan_path}"></iframe>')
        assert page.frames[-1].url.startswith("chrome-error://")  # the frame shows the refusal, not the page
    finally:
        context.close()
