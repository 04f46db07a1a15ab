"""Providers that refuse large log queries, each in its own words: a JSON-RPC proxy in front
of anvil rejects ranges wider than a limit, and the indexer still completes."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from ledger.indexer.fetch import JsonRpc, LogFetcher, RangeTooLarge, RpcError
from ledger.indexer.sync import Indexer
from ledger.store.writer import IndexStore
from tests.factories.activity import run_activity
from tests.factories.chain import Chain, make_indexer
from tests.support.databases import Databases, projections

# (JSON-RPC error code, message) as providers word them, or an HTTP status.
REFUSALS = {
    "infura": (-32005, "query returned more than 10000 results"),
    "alchemy": (-32602, "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range"),
    "quicknode": (-32614, "eth_getLogs is limited to a 5 range"),
    "range-limit": (-32000, "block range exceeds limit"),
    "too-big": (-32603, "Response is too big"),
    "http-413": (413, "Request Entity Too Large"),
}
MAX_SPAN = 4


class RefusingProxy(ThreadingHTTPServer):
    """Forwards JSON-RPC to anvil, but refuses ``eth_getLogs`` over more than MAX_SPAN blocks."""

    def __init__(self, upstream: str, refusal: tuple[int, str], max_span: int = MAX_SPAN) -> None:
        self.upstream = upstream
        self.refusal = refusal
        self.max_span = max_span
        self.refused = 0
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: RefusingProxy

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        request = json.loads(body)
        code, message = self.server.refusal
        if isinstance(request, dict) and request.get("method") == "eth_getLogs":
            params = request["params"][0]
            span = int(params["toBlock"], 16) - int(params["fromBlock"], 16) + 1
            if span > self.server.max_span:
                self.server.refused += 1
                if code >= 400:
                    return self._reply(code, message.encode())
                error = {"jsonrpc": "2.0", "id": request["id"], "error": {"code": code, "message": message}}
                return self._reply(200, json.dumps(error).encode())
        upstream = httpx.post(self.server.upstream, content=body, headers={"content-type": "application/json"})
        return self._reply(upstream.status_code, upstream.content)

    def _reply(self, status: int, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def proxy_factory(chain: Chain) -> Iterator:
    servers: list[RefusingProxy] = []

    def start(refusal: tuple[int, str], max_span: int = MAX_SPAN) -> RefusingProxy:
        server = RefusingProxy(chain.node.rpc_url, refusal, max_span)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("provider", list(REFUSALS))
def test_indexer_completes_behind_a_provider_that_refuses_large_ranges(
    chain: Chain,
    databases: Databases,
    proxy_factory,
    provider: str,
) -> None:
    run_activity(chain.market, rounds=2)
    proxy = proxy_factory(REFUSALS[provider])
    engine = databases.engine()
    indexer = Indexer(JsonRpc(proxy.url), IndexStore(engine), chain.source())
    indexer.check_identity()
    indexer.sync()
    assert proxy.refused > 0
    assert indexer.fetcher.range <= MAX_SPAN * 2
    direct = databases.engine()
    make_indexer(chain, direct).sync()
    assert projections(engine) == projections(direct)


def test_a_single_block_that_is_refused_is_reported(chain: Chain, proxy_factory) -> None:
    """Nothing is smaller than one block: the refusal surfaces instead of a loop."""
    proxy = proxy_factory((-32005, "query returned more than 10000 results"), max_span=0)
    fetcher = LogFetcher(JsonRpc(proxy.url), chain.deployment.address)
    with pytest.raises(RangeTooLarge, match="more than 10000 results"):
        fetcher.logs(1, 40)
    assert fetcher.range == 1


def test_other_rpc_errors_are_not_taken_for_size_limits(chain: Chain, proxy_factory) -> None:
    proxy = proxy_factory((-32000, "header not found"), max_span=0)
    fetcher = LogFetcher(JsonRpc(proxy.url), chain.deployment.address)
    with pytest.raises(RpcError, match="header not found") as raised:
        fetcher.logs(1, 40)
    assert not isinstance(raised.value, RangeTooLarge)
    assert fetcher.shrinks == 0
