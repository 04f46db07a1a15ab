"""An ASGI app served by uvicorn in a thread on a loopback port, for the browser tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn
from starlette.types import ASGIApp

#: How long a server may take to start or stop.
START_TIMEOUT = 15.0


@contextmanager
def serve_in_thread(app: ASGIApp, port: int, name: str) -> Iterator[str]:
    """Serve `app` on 127.0.0.1:`port` until the block ends; yields its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:  # a readiness poll, bounded, not a fixed sleep
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail(f"the {name} server did not start on 127.0.0.1:{port}")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=START_TIMEOUT)
