"""JSON-RPC 2.0 calls over kept-alive HTTP/1.1 connections, parsed with orjson.

A call through web3 (its middleware, result formatters and ``requests`` session) costs about
0.9 ms of CPU, through httpx about 0.6 ms, through one kept-alive ``http.client`` connection
about 0.1 ms, most of it ``http.client`` reading the answer's headers through the ``email``
package. The write queue asks the node several times a transaction (estimate, send, head,
receipt) and the API once a burst of writes (the early check), so these calls are the write
path's hot path. So the exchange is written out here, on the socket: one ``sendall`` of the
request, the answer's head read and split by hand (status, ``Content-Length`` or chunked
transfer, ``Connection: close``), its body read to its length. On one machine an
``eth_blockNumber`` cost 225 µs of CPU through ``http.client`` and 45-49 µs this way. Answers
stay as the node gives them (hex strings), decoded by the caller only where it needs a value.

Each thread has its own connection (one connection carries one request at a time). A
connection the node closed while idle is opened again and the request sent once more: safe
for every call made here (reads, and a resent ``eth_sendRawTransaction``, whose "already
known" answer the chain client recognises).

Example::

    rpc = JsonRpcConnection("http://127.0.0.1:8545")
    head = int(rpc.call("eth_blockNumber", []), 16)
"""

from __future__ import annotations

import itertools
import socket
import ssl
import threading
from typing import Any
from urllib.parse import urlsplit

import orjson

from ledger.errors import NodeError

#: The most an answer's status line and headers may take: a node's are a few hundred bytes.
MAX_HEAD_BYTES = 64 * 1024
#: What one read from the socket asks for.
READ_BYTES = 256 * 1024


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

    def post_raw(self, body: bytes) -> tuple[int, bytes | bytearray]:
        """POST `body`; the HTTP status and the answer's bytes (a ``bytearray`` for a large
        answer, read in place). A kept-alive connection found closed is replaced and the
        request sent again, once."""
        for attempt in (1, 2):
            connection = self._connection()
            try:
                status, content, keep = connection.exchange(body)
            except _BadAnswer as exc:
                self._drop()
                raise NodeError(f"{self.url} answered what is not HTTP/1.1 as expected: {exc}") from exc
            except OSError as exc:
                self._drop()
                if attempt == 2 or not isinstance(exc, _ClosedWhileIdle | BrokenPipeError | ConnectionResetError):
                    raise NodeError(f"cannot reach {self.url}: {exc}") from exc
                continue
            if not keep:
                self._drop()
            return status, content
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def close(self) -> None:
        """Close this thread's connection (others close with their threads)."""
        self._drop()

    def _connection(self) -> _HttpConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = _HttpConnection(self._host, self._port, self._path, secure=self._secure, timeout=self._timeout)
            self._local.connection = connection
        return connection

    def _drop(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            connection.close()


class _BadAnswer(Exception):
    """The server's answer is not HTTP/1.x as this client reads it."""


class _ClosedWhileIdle(ConnectionError):
    """The server closed a kept-alive connection before answering anything (worth one retry;
    refused connections and timeouts are not retried)."""


class _HttpConnection:
    """One HTTP/1.1 connection that POSTs JSON and reads the answers, opened on first use."""

    def __init__(self, host: str, port: int | None, path: str, *, secure: bool, timeout: float) -> None:
        self._address = (host, port or (443 if secure else 80))
        self._secure = secure
        self._timeout = timeout
        authority = host if port is None else f"{host}:{port}"
        self._request_head = (
            f"POST {path} HTTP/1.1\r\nHost: {authority}\r\n"
            "Content-Type: application/json\r\nAccept: application/json\r\nContent-Length: "
        ).encode("latin-1")
        self._socket: socket.socket | None = None
        self._unread = b""  # bytes received past the last answer (none from a well-behaved server)

    def exchange(self, body: bytes) -> tuple[int, bytes | bytearray, bool]:
        """Send one POST of `body`; the answer's status, its body and whether the connection
        stays open."""
        fresh = self._socket is None
        sock = self._open() if fresh else self._socket
        sock.sendall(b"%s%d\r\n\r\n%s" % (self._request_head, len(body), body))
        buffer = self._unread
        while True:
            while (end := buffer.find(b"\r\n\r\n")) < 0:
                if len(buffer) > MAX_HEAD_BYTES:
                    raise _BadAnswer(f"an answer's head longer than {MAX_HEAD_BYTES} bytes")
                chunk = sock.recv(READ_BYTES)
                if not chunk:
                    if buffer or fresh:
                        raise _BadAnswer("the connection closed in the middle of an answer's head")
                    raise _ClosedWhileIdle("the server closed the kept-alive connection")
                buffer += chunk
            status, length, chunked, keep = _head(buffer[:end])
            buffer = buffer[end + 4 :]
            if not 100 <= status < 200:
                break  # an interim answer (100 Continue, unasked for) is followed by the real one
        if status in (204, 304):
            content = b""
        elif chunked:
            content, buffer = self._read_chunked(buffer)
        elif length is not None:
            content, buffer = self._read_exactly(buffer, length)
        else:  # no length: the body runs to the end of the connection
            parts = [buffer]
            while chunk := sock.recv(READ_BYTES):
                parts.append(chunk)
            content, buffer, keep = b"".join(parts), b"", False
        self._unread = buffer
        return status, content, keep

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        self._unread = b""

    def _open(self) -> socket.socket:
        sock = socket.create_connection(self._address, timeout=self._timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._secure:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self._address[0])
        self._socket = sock
        return sock

    def _read_exactly(self, buffer: bytes, length: int) -> tuple[bytes | bytearray, bytes]:
        """`length` bytes of body, `buffer` (what was read past the head) first, the rest
        straight into one buffer of that size, returned as it is (a backfill's answers are
        megabytes, and a copy of each into ``bytes`` is CPU for nothing); the body and what
        follows it."""
        if len(buffer) >= length:
            return buffer[:length], buffer[length:]
        assert self._socket is not None
        body = bytearray(length)
        view = memoryview(body)
        got = len(buffer)
        view[:got] = buffer
        while got < length:
            count = self._socket.recv_into(view[got:], length - got)
            if not count:
                raise _BadAnswer("the connection closed in the middle of an answer's body")
            got += count
        view.release()
        return body, b""

    def _receive(self) -> bytes:
        assert self._socket is not None
        chunk = self._socket.recv(READ_BYTES)
        if not chunk:
            raise _BadAnswer("the connection closed in the middle of an answer's body")
        return chunk

    def _read_chunked(self, buffer: bytes) -> tuple[bytes, bytes]:
        """A chunked body (RFC 9112 section 7.1) from `buffer` on; the body and what follows it."""
        parts = []
        while True:
            while (line_end := buffer.find(b"\r\n")) < 0:
                if len(buffer) > MAX_HEAD_BYTES:
                    raise _BadAnswer("a chunk's size line too long")
                buffer += self._receive()
            size_text = buffer[:line_end].split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise _BadAnswer(f"a chunk size that is not hexadecimal: {size_text[:20]!r}") from None
            buffer = buffer[line_end + 2 :]
            if size == 0:  # the last chunk, then trailer fields until an empty line
                while (trailers_end := buffer.find(b"\r\n")) != 0:
                    if trailers_end > 0:
                        buffer = buffer[trailers_end + 2 :]
                    else:
                        buffer += self._receive()
                return b"".join(parts), buffer[2:]
            while len(buffer) < size + 2:
                buffer += self._receive()
            parts.append(buffer[:size])
            buffer = buffer[size + 2 :]


def _head(head: bytes) -> tuple[int, int | None, bool, bool]:
    """An answer's status, Content-Length, whether it is chunked and whether the connection
    stays open, from its status line and header fields."""
    lines = head.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    code = rest[:3]
    if not version.startswith("HTTP/1.") or not code.isdigit():
        raise _BadAnswer(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
    length, chunked, keep = None, False, version != "HTTP/1.0"
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            if not value.strip().isdigit():
                raise _BadAnswer(f"a Content-Length that is not a number: {value.strip()[:20]!r}")
            length = int(value)
        elif name == "transfer-encoding":
            chunked = value.strip().lower().endswith("chunked")
        elif name == "connection":
            tokens = {token.strip().lower() for token in value.split(",")}
            keep = "close" not in tokens and (keep or "keep-alive" in tokens)
    return int(code), length, chunked, keep
