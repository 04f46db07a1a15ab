"""API processes started by the tests as production starts them (uvicorn in a process)."""

from __future__ import annotations

import subprocess
import time

import httpx


def wait_until_up(base: str, server: subprocess.Popen, timeout: float = 180.0) -> None:
    """Return once the API served by `server` at `base` answers its health check."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, "uvicorn exited"
        try:
            if httpx.get(f"{base}/health", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the API did not come up within {timeout:.0f} s")
