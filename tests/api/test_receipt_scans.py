"""Receipt scans over the API, on a real chain and database: the sale's page says when its
receipt was first scanned and how often, counted per network (/24, /48) without slowing the
scan; a receipt scanned from many networks in the window is flagged on its page and listed for
regulators, and nothing finer than a network prefix is stored."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.routes import resolver
from api.services import Services
from ledger.store import models
from tests.api.conftest import Market
from tests.api.test_board import GTIN, harvest_at
from tests.support.html import parse_html

#: Five networks flag a receipt (ApiSettings.scan_flag_networks).
NETWORKS = ["203.0.113.7", "198.51.100.20", "192.0.2.33", "2001:db8:aa:1::9"]
FIFTH = "2001:db8:bb::1"


@pytest.fixture(scope="module")
def sale_path(api_market: Market, cast: dict) -> Iterator[str]:
    m = api_market
    batch_id = harvest_at(m, cast, "vendor", 10)
    m.sync()
    sold = m.client.post(
        "/sales", json={"batch_id": batch_id, "quantity": 1, "price": 900}, headers=m.auth(cast["vendor"][1])
    )
    assert sold.status_code == 201, sold.text
    m.sync()
    batches = models.Batch.__table__
    with services_of(m).engine.connect() as conn:
        lot = conn.execute(select(batches.c.lot).where(batches.c.batch_id == batch_id)).scalar_one()
    yield f"/01/{GTIN}/10/{lot}/21/1"


def services_of(m: Market) -> Services:
    return m.client.app.state.services  # type: ignore[attr-defined]


def scan_from(m: Market, host: str, path: str) -> str:
    client = TestClient(m.client.app, client=(host, 40000))
    answer = client.get(path, params={"lang": "en"})
    assert answer.status_code == 200, answer.text
    return answer.text


def test_sale_page_says_when_its_receipt_was_first_scanned_and_how_often(
    api_market: Market, sale_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = api_market
    # A cached page's count may lag by SCAN_COUNT_FRESH_S; here each scan asks afresh.
    monkeypatch.setattr(resolver, "SCAN_COUNT_FRESH_S", 0)
    first = parse_html(scan_from(m, NETWORKS[0], sale_path)).by_id("scans")
    assert first.find("p", cls="scan-count").text().endswith("this is its only scan so far.")
    assert "copied" not in first.classes
    scan_from(m, "203.0.113.200", sale_path)  # the same /24: the same network
    # The page shows the counts as written (in batches, off the scan's path).
    services_of(m).scans.flush()
    page = parse_html(scan_from(m, NETWORKS[1], sale_path))
    assert page.by_id("scans").find("p", cls="scan-count").text().endswith("scanned 2 times so far.")
    services_of(m).scans.flush()
    page = parse_html(scan_from(m, NETWORKS[1], sale_path))
    assert page.by_id("scans").find("p", cls="scan-count").text().endswith("scanned 3 times so far.")
    assert page.by_id("scans").find_all("p", cls="copied-warning") == []
    # The JSON of the sale counts as a scan too.
    json_scan = TestClient(m.client.app, client=(NETWORKS[2], 1)).get(sale_path, headers={"Accept": "application/json"})
    assert json_scan.status_code == 200
    services_of(m).scans.flush()
    with services_of(m).engine.connect() as conn:
        networks = conn.execute(select(models.ReceiptScan.__table__.c.network)).scalars().all()
    assert sorted(networks) == ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"]


def test_receipt_scanned_from_many_networks_is_flagged_and_listed_for_regulators(
    api_market: Market, cast: dict, sale_path: str
) -> None:
    m = api_market
    for host in NETWORKS:
        scan_from(m, host, sale_path)
    services_of(m).scans.flush()
    assert parse_html(scan_from(m, NETWORKS[0], sale_path)).by_id("scans").find_all("p", cls="copied-warning") == []
    scan_from(m, FIFTH, sale_path)
    services_of(m).scans.flush()
    scans = parse_html(scan_from(m, NETWORKS[0], sale_path)).by_id("scans")
    assert "copied" in scans.classes and scans.attrs["role"] == "alert"
    assert (
        scans.find("p", cls="copied-warning")
        .text()
        .startswith("Possibly copied: this receipt was scanned from 5 different networks within 60 minutes.")
    )
    listed = m.client.get("/regulators/suspect-receipts", headers=m.auth(cast["regulator"][1]))
    assert listed.status_code == 200, listed.text
    (entry,) = listed.json()["data"]
    assert entry["link"] == f"https://market.example{sale_path}"
    assert entry["vendor"] == cast["vendor"][0] and entry["networks"] == 5 and entry["scans"] >= 10
    assert set(entry) == {
        "sale_id",
        "link",
        "vendor",
        "gtin",
        "lot",
        "serial",
        "first_scanned_at",
        "last_scanned_at",
        "scans",
        "networks",
        "flagged_at",
    }
    assert m.client.get("/regulators/suspect-receipts", headers=m.auth(cast["vendor"][1])).status_code == 403
    assert m.client.get("/regulators/suspect-receipts").status_code == 401
    # Only prefixes are stored: no scanner's full address anywhere.
    with services_of(m).engine.connect() as conn:
        networks = conn.execute(select(models.ReceiptScan.__table__.c.network)).scalars().all()
    assert "2001:db8:aa::/48" in networks and "2001:db8:bb::/48" in networks
    assert all(n.endswith(("/24", "/48")) for n in networks)
    stored = " ".join(networks)
    assert not any(host in stored for host in [*NETWORKS, FIFTH, "203.0.113.200"])
