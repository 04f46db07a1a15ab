"""A real local HTTP endpoint for webhook tests: a threading ``http.server`` on a free port
that records every request and answers with the status codes it is told to."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    base_url: str
    requests: list[Received] = field(default_factory=list)
    #: Status codes to answer with, in order, per path; then 200.
    script: dict[str, list[int]] = field(default_factory=dict)
    #: Paths answered with 307 and this Location (a redirect the notifier must not follow).
    redirects: dict[str, str] = field(default_factory=dict)
    #: A body every answer carries (what the delivery log must never keep).
    answer_body: bytes = b""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return self.base_url + path

    def to(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.path == path]


@contextmanager
def receiver() -> Iterator[Receiver]:
    """Serve on 127.0.0.1 (a free port) in a thread; shut down on exit."""
    state = Receiver("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with state.lock:
                state.requests.append(Received(self.path, dict(self.headers.items()), body))
                planned = state.script.get(self.path, [])
                code = planned.pop(0) if planned else 200
                location = state.redirects.get(self.path)
                answer = state.answer_body
            self.send_response(307 if location else code)
            if location:
                self.send_header("Location", location)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_args: object) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
