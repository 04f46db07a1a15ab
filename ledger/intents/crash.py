"""A test hook that kills the process at a named step of the submitter, as ``kill -9`` would.

``FRESHLEDGER_TEST_CRASH_AT`` names the step (``before_send``: the signed bytes are stored,
not sent; ``after_send``: sent, not yet mined; ``after_mining``: mined, the outcome not yet
stored). The process sends itself SIGKILL the first time it reaches that step, so no
``finally`` and no exit handler runs: the crash tests restart it and count on the chain.
Unset (always, outside those tests) it costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

CRASH_ENV = "FRESHLEDGER_TEST_CRASH_AT"
STEPS = ("before_send", "after_send", "after_mining")


def crash_point(step: str) -> None:
    if os.environ.get(CRASH_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)
