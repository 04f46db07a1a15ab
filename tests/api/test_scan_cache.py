"""Scans served from the workers' cache: strong ETags, 304s, and every change to a sale's
lineage (a recall of the farm lot it was split from, a quarantine, a new sale, a reorg that
takes a recall away, a product's new name, a rating) in the next scan after one indexer poll;
on SQLite and PostgreSQL, over a real anvil. Cached answers and their 304s come from the fast
path ahead of FastAPI, as in production (:func:`still_fresh` checks that its 304s do)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
import pytest

from api.receipts import RECEIPT_PARAMETER
from api.shared_answers import SHARED_ANSWERS_FILE
from ledger.chain.node import free_port, rpc
from tests.api.conftest import Market, market_at
from tests.api.test_workers import ROOT
from tests.api.test_writes import GTIN, deliver, harvest, lot
from tests.support.databases import KINDS
from tests.support.processes import wait_until_up

PAGE = {"Accept": "text/html", "Accept-Language": "en"}
JSON = {"Accept": "application/json"}


@pytest.fixture(scope="module", params=KINDS)
def market(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Market]:
    with market_at(tmp_path_factory.mktemp(f"scans-{request.param}"), request.param) as market:
        yield market


@pytest.fixture(scope="module")
def cast(market: Market) -> dict[str, tuple[str, str]]:
    return {
        "farm": market.admit("SUPPLIER", "Green Valley Farm"),
        "wholesaler": market.admit("SUPPLIER", "West Lake Wholesale"),
        "lab": market.admit("LAB", "Market Lab", "CMA-2026-0417"),
        "vendor": market.admit("VENDOR", "Stall A12", "JY33010600012345"),
        "regulator": market.admit("REGULATOR", "Market Supervision Bureau", "SAMR-HZ-01"),
    }


def sell(m: Market, cast: dict, batch_id: str) -> dict:
    sold = m.client.post(
        "/sales", json={"batch_id": batch_id, "quantity": 1, "price": 900}, headers=m.auth(cast["vendor"][1])
    )
    assert sold.status_code == 201, sold.text
    m.sync()
    return sold.json()


def split_lot_at_the_stall(m: Market, cast: dict) -> tuple[str, str]:
    """A farm lot, split at the wholesaler, the part delivered to the stall: (farm lot, part)."""
    parent = harvest(m, cast["farm"][1], quantity=200)
    deliver(m, parent, cast["farm"], cast["wholesaler"])
    split = m.client.post(
        f"/batches/{parent}/split",
        json={"parts": [{"lot": lot(), "quantity": 20}]},
        headers=m.auth(cast["wholesaler"][1]),
    )
    assert split.status_code == 201, split.text
    (part,) = split.json()["batch_ids"]
    deliver(m, part, cast["wholesaler"], cast["vendor"])
    m.sync()
    return parent, part


def path_of(sale: dict) -> str:
    return "/" + sale["qr_url"].split("?")[0].split("/", 3)[3]


def scan(m: Market, path: str, headers: dict[str, str], **params: str) -> httpx.Response:
    answer = m.client.get(path, headers=headers, params=params)
    assert answer.status_code in (200, 304), answer.text
    return answer


def still_fresh(m: Market, path: str, headers: dict[str, str], etag: str) -> bool:
    """Whether a client holding `etag` may keep its copy (304) rather than take a new one (200).
    Each 304 here comes from the fast path ahead of FastAPI (:mod:`api.scan_fast_path`): the
    changes below reach the scan through it, not only through the resolver."""
    counts = m.client.app.state.scan_fast_path
    before = counts.revalidated
    fresh = scan(m, path, {**headers, "If-None-Match": etag}).status_code == 304
    assert counts.revalidated == before + fresh
    return fresh


def test_every_scan_answer_has_a_strong_etag_and_304s_on_it(market: Market, cast: dict) -> None:
    m = market
    _, part = split_lot_at_the_stall(m, cast)
    sale = sell(m, cast, part)
    path = path_of(sale)
    kinds = {"page": (PAGE, {}), "json": (JSON, {}), "linkset": ({}, {"linkType": "all"})}
    tags = set()
    for name, (headers, params) in kinds.items():
        first = scan(m, path, headers, **params)
        again = scan(m, path, headers, **params)
        etag = first.headers["etag"]
        assert first.status_code == 200 and etag.startswith('"') and not etag.startswith("W/"), name
        assert again.headers["etag"] == etag and again.content == first.content  # the cached answer
        assert first.headers["cache-control"] == "public, no-cache"  # a CDN or phone asks again each time
        assert "Accept" in first.headers["vary"] and "Accept-Language" in first.headers["vary"]
        assert parsedate_to_datetime(first.headers["last-modified"]).year >= 2025
        tags.add(etag)

        revalidated = scan(m, path, {**headers, "If-None-Match": etag}, **params)
        assert revalidated.status_code == 304 and revalidated.content == b""
        assert revalidated.headers["etag"] == etag
        assert revalidated.headers["last-modified"] == first.headers["last-modified"]
        assert revalidated.headers["cache-control"] == "public, no-cache"
        for held in (f'"x", W/{etag}', "*"):  # a list, a weak form of the same tag, any tag at all
            assert scan(m, path, {**headers, "If-None-Match": held}, **params).status_code == 304
        stale = scan(m, path, {**headers, "If-None-Match": '"not-this-one"'}, **params)
        assert stale.status_code == 200 and stale.content == first.content
    assert len(tags) == 3  # page, JSON and linkset are three answers

    chinese = scan(m, path, {"Accept": "text/html", "Accept-Language": "zh-CN"})
    assert chinese.headers["etag"] not in tags and 'lang="zh' in chinese.text
    assert not still_fresh(m, path, {"Accept": "text/html", "Accept-Language": "zh-CN"}, next(iter(tags)))


def test_the_receipts_page_is_never_served_without_its_proof(market: Market, cast: dict) -> None:
    m = market
    _, part = split_lot_at_the_stall(m, cast)
    sale = sell(m, cast, part)
    path, proof = path_of(sale), sale["receipt"]

    receipt = scan(m, path, PAGE, receipt=proof)
    assert proof in receipt.text and f'name="{RECEIPT_PARAMETER}"' in receipt.text
    assert receipt.headers["cache-control"] == "private, no-store"
    public = scan(m, path, PAGE)  # made after the receipt's page: the cache must not hand that over
    assert proof not in public.text and public.headers["cache-control"] == "public, no-cache"
    assert public.headers["etag"] != receipt.headers["etag"]
    wrong = scan(m, path, PAGE, receipt="A" * 16)
    assert proof not in wrong.text and wrong.headers["etag"] == public.headers["etag"]
    assert not still_fresh(m, path, PAGE, receipt.headers["etag"])
    assert scan(m, path, PAGE, receipt=proof).text == receipt.text  # the cached receipt's page


def test_a_recall_of_the_farm_lot_reaches_the_next_scan(market: Market, cast: dict) -> None:
    m = market
    farm_lot, part = split_lot_at_the_stall(m, cast)
    sale = sell(m, cast, part)
    path = path_of(sale)
    page, custody = scan(m, path, PAGE), scan(m, path, JSON)
    assert "banner-recalled" not in page.text

    recalled = m.client.post(
        "/recalls",
        json={"batch_ids": [farm_lot], "reason": "Listeria in the farm lot"},
        headers=m.auth(cast["regulator"][1]),
    )
    assert recalled.status_code == 201, recalled.text
    assert still_fresh(m, path, PAGE, page.headers["etag"])  # the index has not read it yet
    m.sync()  # one indexer poll
    assert not still_fresh(m, path, PAGE, page.headers["etag"])
    assert not still_fresh(m, path, JSON, custody.headers["etag"])
    assert "banner-recalled" in scan(m, path, PAGE).text
    assert [a["details"]["reason"] for a in scan(m, path, JSON).json()["alerts"]] == ["Listeria in the farm lot"]


def test_a_quarantine_reaches_the_next_scan(market: Market, cast: dict) -> None:
    m = market
    _, part = split_lot_at_the_stall(m, cast)
    sale = sell(m, cast, part)
    path = path_of(sale)
    page = scan(m, path, PAGE)
    tested = m.client.post(
        "/inspections",
        headers=m.auth(cast["lab"][1]),
        json={
            "batch_id": part,
            "passed": False,
            "residues": [{"substance": "carbofuran", "measured": 37, "limit": 20}],
        },
    )
    assert tested.status_code == 201, tested.text
    m.sync()
    assert not still_fresh(m, path, PAGE, page.headers["etag"])
    assert "banner-quarantined" in scan(m, path, PAGE).text
    assert scan(m, path, JSON).json()["batch"]["status"] == "quarantined"


def test_a_new_sale_in_the_lineage_reaches_the_next_scan(market: Market, cast: dict) -> None:
    m = market
    _, part = split_lot_at_the_stall(m, cast)
    first = sell(m, cast, part)
    path = path_of(first)
    before = scan(m, path, JSON)
    assert still_fresh(m, path, JSON, before.headers["etag"])
    sell(m, cast, part)  # the stall sells from the same lot again
    assert not still_fresh(m, path, JSON, before.headers["etag"])
    after = scan(m, path, JSON).json()
    assert after["batch"]["remaining"] == before.json()["batch"]["remaining"] - 1


def test_a_product_name_and_a_rating_reach_the_next_scan(market: Market, cast: dict) -> None:
    m = market
    _, part = split_lot_at_the_stall(m, cast)
    sale = sell(m, cast, part)
    path = path_of(sale)
    page = scan(m, path, PAGE)
    named = m.client.put(f"/products/{GTIN}", json={"name": "Leafy greens"}, headers=m.auth(m.authority_key))
    assert named.status_code == 200, named.text
    assert not still_fresh(m, path, PAGE, page.headers["etag"])  # no indexer poll needed: it is ours
    named_page = scan(m, path, PAGE)
    assert "Leafy greens" in named_page.text
    rated = m.client.post(f"/sales/{sale['sale_id']}/rating", json={"stars": 5, "receipt": sale["receipt"]})
    assert rated.status_code == 201, rated.text
    assert not still_fresh(m, path, PAGE, named_page.headers["etag"])


def test_a_notice_reaches_the_next_scan_and_leaves_it_when_it_expires(market: Market, cast: dict) -> None:
    m = market
    _, part = split_lot_at_the_stall(m, cast)
    path = path_of(sell(m, cast, part))
    title = f"Stall notice {lot()}"
    before = scan(m, path, PAGE)
    assert title not in before.text  # cached now

    until = datetime.now(UTC) + timedelta(seconds=12)  # room for a loaded machine to queue, mine and index it
    notice = {
        "title": {"en": title},
        "body": {"en": "Scales checked today."},
        "valid_until": until.isoformat(),
        "stall": cast["vendor"][0],
    }
    published = m.client.post("/notices", json=notice, headers=m.auth(cast["regulator"][1]))
    assert published.status_code == 201, published.text
    m.sync()
    shown = scan(m, path, PAGE)
    assert title in shown.text  # the indexer's mark on the stall, not a time-out
    assert not still_fresh(m, path, PAGE, before.headers["etag"])

    time.sleep(max(0.0, (until - datetime.now(UTC)).total_seconds()) + 1)
    gone = scan(m, path, PAGE)  # no new block: the cached page expired with its notice
    assert title not in gone.text
    assert not still_fresh(m, path, PAGE, shown.headers["etag"])


def test_a_page_one_api_process_made_is_served_by_another_from_the_shared_answers(market: Market, cast: dict) -> None:
    """A second API process on the host (as a second uvicorn worker is) takes the page the first
    made from ``scan-answers.sqlite`` instead of making it again: the copy in the file, altered
    here, is what it serves."""
    m = market
    _, part = split_lot_at_the_stall(m, cast)
    sale = sell(m, cast, part)
    path = path_of(sale)
    made = scan(m, path, PAGE)
    settings = m.client.app.state.services.settings
    shared = settings.data_dir / SHARED_ANSWERS_FILE
    altered = made.text.replace("</body>", "<!-- taken from the shared answers --></body>").encode()
    with closing(sqlite3.connect(shared)) as file, file:
        rows = file.execute(
            "UPDATE answers SET body = ? WHERE key LIKE ? AND media_type LIKE 'text/html%'",
            (altered, f'%"{sale["sale_id"].lower()}","page"%'),
        ).rowcount
    assert rows == 1
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "FRESHLEDGER_DATA_DIR": str(settings.data_dir),
        "FRESHLEDGER_DATABASE_URL": settings.database_url,
        "FRESHLEDGER_RPC_URL": m.rpc_url,
        "FRESHLEDGER_PUBLIC_HOST": settings.public_host,
    }
    command = [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory", "--port", str(port)]
    other = subprocess.Popen([*command, "--log-level", "warning"], env=env, cwd=ROOT, stdin=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base, other)
        served = httpx.get(base + path, headers={**PAGE, "Host": settings.public_host}, timeout=30)
        assert served.status_code == 200 and served.content == altered
        assert served.headers["etag"] == made.headers["etag"]
    finally:
        other.terminate()
        other.wait(timeout=60)
        with closing(sqlite3.connect(shared)) as file, file:
            file.execute("DELETE FROM answers WHERE body = ?", (altered,))


def test_a_reorg_that_drops_a_recall_reaches_the_next_scan(market: Market, cast: dict) -> None:
    """Last in the module: the reorg leaves the chain behind the API's nonces."""
    m = market
    _, part = split_lot_at_the_stall(m, cast)
    sale = sell(m, cast, part)
    path = path_of(sale)
    recalled = m.client.post(
        "/recalls",
        json={"batch_ids": [part], "reason": "a recall the chain forgets"},
        headers=m.auth(cast["regulator"][1]),
    )
    assert recalled.status_code == 201, recalled.text
    m.sync()
    page = scan(m, path, PAGE)
    assert "banner-recalled" in page.text

    head = int(str(rpc(m.rpc_url, "eth_blockNumber")), 16)
    assert recalled.json()["block_number"] == head  # the recall is the newest block
    rpc(m.rpc_url, "anvil_reorg", [1, []])  # replaced by an empty block
    m.sync()
    assert not still_fresh(m, path, PAGE, page.headers["etag"])
    assert "banner-recalled" not in scan(m, path, PAGE).text
    assert scan(m, path, JSON).json()["alerts"] == []
