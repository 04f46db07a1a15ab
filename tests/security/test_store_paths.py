"""CIDs and paths that try to leave the document store (``../``, ``%2e%2e``, absolute paths,
backslashes, NUL, over-long text) on ``GET /documents/{cid}`` and ``freshledger docs get``:
each is refused with 4xx (or exit 1 and a message), and nothing outside the store is read;
the server keeps answering scans."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.api.conftest import Market, api_market, cast  # noqa: F401 (module fixtures)
from tests.security.live_sale import Scan, scan  # noqa: F401 (module fixture)

#: Planted beside the store, in the data directory: no request may read it back.
PLANTED = "planted-outside-the-store-7f3a"

ESCAPES = [
    "../outside.txt",
    "../../outside.txt",
    "..%2Foutside.txt",
    "%2e%2e%2foutside.txt",
    "%2e%2e/%2e%2e/outside.txt",
    "....//outside.txt",
    "..\\outside.txt",
    "..%5coutside.txt",
    "/etc/passwd",
    "%2fetc%2fpasswd",
    "file:///etc/passwd",
    "outside.txt%00",
    "outside.txt\x00.pdf",
    "%252e%252e%252foutside.txt",
    "a" * 5000,
    "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku/../../outside.txt",
]


@pytest.fixture(scope="module")
def planted(api_market: Market) -> Path:  # noqa: F811
    data_dir = api_market.client.app.state.services.settings.data_dir
    for place in (data_dir / "outside.txt", data_dir / "documents" / "outside.txt", data_dir.parent / "outside.txt"):
        place.parent.mkdir(parents=True, exist_ok=True)
        place.write_text(PLANTED)
    return data_dir


@pytest.mark.parametrize("attempt", ESCAPES)
def test_get_document_refuses_paths_out_of_the_store(
    api_market: Market,  # noqa: F811
    scan: Scan,  # noqa: F811
    planted: Path,
    attempt: str,
) -> None:
    m = api_market
    spellings = [quote(attempt, safe="")] + ([] if "\x00" in attempt else [attempt])  # httpx sends no raw NUL
    for path in (f"/documents/{spelling}" for spelling in spellings):
        answer = m.client.get(path)
        assert 400 <= answer.status_code < 500, (path, answer.status_code, answer.text[:200])
        assert PLANTED not in answer.text and "root:" not in answer.text
    scan()


def test_a_stored_document_is_still_served(api_market: Market, cast: dict, scan: Scan) -> None:  # noqa: F811
    m = api_market
    put = m.client.post(
        "/documents", content=b"lab report", headers={**m.auth(cast["lab"][1]), "Content-Type": "text/plain"}
    )
    assert put.status_code == 201, put.text
    assert m.client.get(f"/documents/{put.json()['cid']}").content == b"lab report"
    scan()


#: One of each kind (each run is a new process: a few seconds of imports).
CLI_ESCAPES = ["../outside.txt", "..\\outside.txt", "/etc/passwd", "a" * 5000, ESCAPES[-1]]


@pytest.mark.parametrize("attempt", CLI_ESCAPES)
def test_the_cli_refuses_paths_out_of_the_store(planted: Path, attempt: str) -> None:
    env = {**os.environ, "FRESHLEDGER_DATA_DIR": str(planted)}
    env.pop("FRESHLEDGER_IPFS_API", None)
    done = subprocess.run(
        [sys.executable, "-m", "ledger.cli", "docs", "get", attempt],
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert PLANTED.encode() not in done.stdout + done.stderr
    assert b"Traceback" not in done.stderr
