"""The test daemon itself: when it cannot start, the tests that need it fail with its log,
and it leaves no process behind."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.documents.jsipfs import DaemonStartError, JsIpfsDaemon, group_alive


def test_daemon_that_cannot_start_fails_with_its_log_and_leaves_no_process(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        daemon = JsIpfsDaemon(tmp_path, api_port=taken.getsockname()[1])
        with pytest.raises(DaemonStartError, match="EADDRINUSE") as failed:
            daemon.start()
    assert "(tail) ---" in str(failed.value)
    assert daemon.pid is not None
    assert not group_alive(daemon.pid)
