"""JSON-RPC 2.0 calls over kept-alive HTTP/1.1 connections, parsed with orjson.

A call through web3 (its middleware, result formatters and ``requests`` session) costs about
0.9 ms of CPU, through httpx about 0.6 ms; through one kept-alive ``http.client`` connection
about 0.1 ms. The write queue asks the node several times a transaction (estimate, send, head,
receipt) and the API once a burst of writes (the early check), so these calls are the write
path's hot path; answers stay as the node gives them (hex strings), decoded by the caller only
where it needs a value.

Each thread has its own connection (one ``http.client`` connection carries one request at a
time). A connection the node closed while idle is opened again and the request sent once more:
safe for every call made here (reads, and a resent ``eth_sendRawTransaction``, whose "already
known" answer the chain client recognises).

Example::

    rpc = JsonRpcConnection("http://127.0.0.1:8545")
    head = int(rpc.call("eth_blockNumber", []), 16)
"""

from __future__ import annotations

import http.client
import itertools
import threading
from typing import Any
from urllib.parse import urlsplit

import orjson

from ledger.errors import NodeError

_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


class RpcError(NodeError):
    """The node answered a JSON-RPC call with an error object (its code, message and data)."""

    def __init__(self, method: str, code: int | None, message: str, data: Any = None) -> None:
        self.method = method
        self.code = code
        self.rpc_message = message
        self.data = data
        detail = f" {data}" if data and not isinstance(data, dict) else ""
        super().__init__(f"{method} failed: {message}{detail} (code {code})")


class JsonRpcConnection:
    """JSON-RPC calls to one node URL, one kept-alive connection per calling thread."""

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise NodeError(f"not an HTTP JSON-RPC URL: {url}")
        self.url = url
        self._secure = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._timeout = timeout
        self._local = threading.local()
        self._ids = itertools.count(1)

    def call(self, method: str, params: list[Any]) -> Any:
        """The call's ``result``; :class:`RpcError` for an error answer, :class:`NodeError`
        when the node cannot be reached or answers something else than JSON-RPC."""
        body = self.post({"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params})
        if not isinstance(body, dict):
            raise NodeError(f"{self.url} answered {method} with no JSON-RPC object")
        error = body.get("error")
        if error is not None:
            if not isinstance(error, dict):
                raise RpcError(method, None, str(error))
            raise RpcError(method, error.get("code"), str(error.get("message", "")), error.get("data"))
        if "result" not in body:
            raise RpcError(method, None, "no result in the answer")
        return body["result"]

    def post(self, payload: Any) -> Any:
        """POST `payload` as JSON; the parsed answer (HTTP errors raise :class:`NodeError`)."""
        status, content = self.post_raw(orjson.dumps(payload))
        if status >= 400:
            raise NodeError(f"{self.url} answered HTTP {status}: {content[:200].decode(errors='replace')}")
        try:
            return orjson.loads(content)
        except orjson.JSONDecodeError as exc:
            raise NodeError(f"{self.url} answered with invalid JSON: {exc}") from exc

    def post_raw(self, body: bytes) -> tuple[int, bytes]:
        """POST `body`; the HTTP status and the answer's bytes. A kept-alive connection found
        closed is replaced and the request sent again, once."""
        for attempt in (1, 2):
            connection = self._connection()
            try:
                connection.request("POST", self._path, body, _HEADERS)
                response = connection.getresponse()
                content = response.read()
            except (OSError, http.client.HTTPException) as exc:
                self._drop()
                if attempt == 2 or not _closed_while_idle(exc):
                    raise NodeError(f"cannot reach {self.url}: {exc}") from exc
                continue
            if response.will_close:
                self._drop()
            return response.status, content
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def close(self) -> None:
        """Close this thread's connection (others close with their threads)."""
        self._drop()

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            kind = http.client.HTTPSConnection if self._secure else http.client.HTTPConnection
            connection = kind(self._host, self._port, timeout=self._timeout)
            self._local.connection = connection
        return connection

    def _drop(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            connection.close()


def _closed_while_idle(error: BaseException) -> bool:
    """Whether `error` is a kept-alive connection the server had closed (worth one retry),
    not a node that is down or too slow (refused connections and timeouts are not retried)."""
    return isinstance(
        error, http.client.RemoteDisconnected | BrokenPipeError | ConnectionResetError | http.client.CannotSendRequest
    )
