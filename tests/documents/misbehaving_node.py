"""An HTTP server on loopback that answers every RPC call the same way and records what it
was asked: a node that misbehaves on request (another CID, garbage, a refusal), which a real
IPFS daemon will not do."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str = "application/json"


@dataclass
class Seen:
    """One request: its path and query parameters."""

    path: str
    params: dict[str, str] = field(default_factory=dict)


@contextmanager
def misbehaving_node(answer: Answer) -> Iterator[tuple[str, list[Seen]]]:
    """A node at ``http://127.0.0.1:PORT`` answering `answer` to everything, and the list of
    requests it received."""
    seen: list[Seen] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            seen.append(Seen(parts.path, dict(parse_qsl(parts.query))))
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def log_message(self, *args: object) -> None:  # quiet: the test reads `seen`
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
