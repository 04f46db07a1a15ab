"""The JSON-RPC client's own HTTP/1.1 exchange, against a scripted server on loopback: the
answer shapes a node or a proxy in front of it may give (a length, chunks with trailers, a
body to the end of the connection, an interim 100), a kept-alive connection the server closed
while idle (sent again, once), and what it refuses with a NodeError instead of hanging or
answering wrong (a cut answer, a head that never ends, no answer in time). The calls against
the real node are every other chain test."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import orjson
import pytest

from ledger.chain.jsonrpc import MAX_HEAD_BYTES, JsonRpcConnection, RpcError
from ledger.errors import NodeError

#: What the scripted server does with one request: given the request's body, the bytes it
#: sends back and whether it then closes the connection.
Reply = Callable[[bytes], tuple[bytes, bool]]


def _result(body: bytes, result: object = "0x2a") -> bytes:
    request = orjson.loads(body)
    return orjson.dumps({"jsonrpc": "2.0", "id": request["id"], "result": result})


def with_length(body: bytes) -> tuple[bytes, bool]:
    answer = _result(body)
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
        len(answer),
        answer,
    ), False


class ScriptedServer:
    """A loopback HTTP server answering each request (in order, whatever the connection) with
    the next reply of its script; it records how many connections it accepted."""

    def __init__(self, script: list[Reply]) -> None:
        self.script = list(script)
        self.connections = 0
        self.requests = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._listener.close()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _talk(self, conn: socket.socket) -> None:
        buffer = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buffer:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
                while len(buffer) < length:
                    buffer += conn.recv(65536)
                body, buffer = buffer[:length], buffer[length:]
                self.requests += 1
                if not self.script:
                    return
                answer, close = self.script.pop(0)(body)
                conn.sendall(answer)
                if close:
                    return


@pytest.fixture
def serve() -> Iterator[Callable[[list[Reply]], ScriptedServer]]:
    servers: list[ScriptedServer] = []

    def start(script: list[Reply]) -> ScriptedServer:
        servers.append(ScriptedServer(script))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def test_answers_with_a_length_share_one_kept_alive_connection(serve) -> None:
    server = serve([with_length] * 3)
    rpc = JsonRpcConnection(server.url)
    assert [rpc.call("eth_blockNumber", []) for _ in range(3)] == ["0x2a"] * 3
    assert server.connections == 1


def test_a_chunked_answer_with_extensions_and_trailers_is_joined(serve) -> None:
    def chunked(body: bytes) -> tuple[bytes, bool]:
        answer = _result(body, "0x" + "ab" * 5_000)
        first, second = answer[:7], answer[7:]
        return (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"%x;note=1\r\n%s\r\n" % (len(first), first)
            + b"%X\r\n%s\r\n" % (len(second), second)
            + b"0\r\nX-Trailer: yes\r\n\r\n"
        ), False

    server = serve([chunked, with_length])
    rpc = JsonRpcConnection(server.url)
    assert rpc.call("eth_call", []) == "0x" + "ab" * 5_000
    assert rpc.call("eth_blockNumber", []) == "0x2a"  # the same connection, read to the end of the chunks
    assert server.connections == 1


def test_a_body_without_length_runs_to_the_end_of_the_connection(serve) -> None:
    def until_close(body: bytes) -> tuple[bytes, bool]:
        return b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + _result(body), True

    server = serve([until_close, with_length])
    rpc = JsonRpcConnection(server.url)
    assert rpc.call("eth_blockNumber", []) == "0x2a"
    assert rpc.call("eth_blockNumber", []) == "0x2a"
    assert server.connections == 2  # HTTP/1.0 without keep-alive: a new connection for the next


def test_connection_close_opens_a_new_connection_for_the_next_call(serve) -> None:
    def closing(body: bytes) -> tuple[bytes, bool]:
        answer = _result(body)
        return b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(answer), answer), True

    server = serve([closing, with_length])
    rpc = JsonRpcConnection(server.url)
    assert rpc.call("eth_blockNumber", []) == rpc.call("eth_blockNumber", []) == "0x2a"
    assert server.connections == 2


def test_an_interim_100_is_skipped(serve) -> None:
    def interim(body: bytes) -> tuple[bytes, bool]:
        return b"HTTP/1.1 100 Continue\r\n\r\n" + with_length(body)[0], False

    rpc = JsonRpcConnection(serve([interim]).url)
    assert rpc.call("eth_blockNumber", []) == "0x2a"


def test_a_connection_closed_while_idle_is_opened_again_and_the_request_sent_once_more(serve) -> None:
    def then_close(body: bytes) -> tuple[bytes, bool]:
        return with_length(body)[0], True  # answered with keep-alive, then closed by the server

    server = serve([then_close, with_length])
    rpc = JsonRpcConnection(server.url)
    assert rpc.call("eth_blockNumber", []) == "0x2a"
    assert rpc.call("eth_blockNumber", []) == "0x2a"
    assert (server.connections, server.requests) == (2, 2)


def test_a_large_answer_is_read_whole(serve) -> None:
    logs = [{"data": "0x" + "00" * 500, "logIndex": hex(n)} for n in range(5_000)]  # ~5 MB

    def big(body: bytes) -> tuple[bytes, bool]:
        answer = _result(body, logs)
        return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(answer), answer), False

    rpc = JsonRpcConnection(serve([big]).url)
    assert rpc.call("eth_getLogs", []) == logs


def test_error_answers_are_named(serve) -> None:
    def rpc_error(body: bytes) -> tuple[bytes, bool]:
        answer = orjson.dumps(
            {"jsonrpc": "2.0", "id": orjson.loads(body)["id"], "error": {"code": 3, "message": "execution reverted"}}
        )
        return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(answer), answer), False

    def http_error(body: bytes) -> tuple[bytes, bool]:
        return b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy", False

    rpc = JsonRpcConnection(serve([rpc_error, http_error]).url)
    with pytest.raises(RpcError, match="execution reverted") as caught:
        rpc.call("eth_call", [])
    assert caught.value.code == 3
    with pytest.raises(NodeError, match="HTTP 503: busy"):
        rpc.call("eth_call", [])


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"jsonrpc"', "middle of an answer's body"),
        (b"HTTP/1.1 200 OK\r\nContent-Le", "middle of an answer's head"),
        (b"SSH-2.0-OpenSSH\r\n\r\n", "not an HTTP/1.x status line"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n", "not a number"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "not hexadecimal"),
        (b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * (MAX_HEAD_BYTES + 10), "head longer than"),
    ],
    ids=["cut-body", "cut-head", "not-http", "bad-length", "bad-chunk", "endless-head"],
)
def test_a_broken_answer_is_a_node_error_not_a_hang(serve, answer: bytes, words: str) -> None:
    server = serve([lambda body: (answer, True)])
    rpc = JsonRpcConnection(server.url, timeout=5.0)
    with pytest.raises(NodeError, match=words):
        rpc.call("eth_blockNumber", [])
    assert server.requests == 1  # a broken answer to a fresh connection is not asked again


def test_no_answer_in_time_is_a_node_error(serve) -> None:
    never = threading.Event()

    def silent(body: bytes) -> tuple[bytes, bool]:
        never.wait(5.0)
        return b"", True

    rpc = JsonRpcConnection(serve([silent]).url, timeout=0.3)
    with pytest.raises(NodeError, match="cannot reach"):
        rpc.call("eth_blockNumber", [])
    never.set()


def test_a_node_that_is_down_is_a_node_error() -> None:
    with socket.create_server(("127.0.0.1", 0)) as unused:
        port = unused.getsockname()[1]
    with pytest.raises(NodeError, match="cannot reach"):
        JsonRpcConnection(f"http://127.0.0.1:{port}").call("eth_blockNumber", [])
