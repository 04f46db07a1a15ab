"""``/market/status`` and its CSV over the API (real chain and index): public, a page under
the strict policy with no script, the CSV as a download, bad windows refused."""

from __future__ import annotations

from tests.api.conftest import Market
from tests.support.html import parse_html


def test_status_page_and_csv(api_market: Market, cast: dict) -> None:
    m = api_market
    m.sync()  # the stalls admitted through the API, indexed
    page = m.client.get("/market/status")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src 'sha256-" in page.headers["content-security-policy"]
    doc = parse_html(page.text)
    assert doc.find_all("script") == []
    assert doc.find("a", download="").attrs["href"] == "/market/status.csv?days=30"
    addresses = {a.attrs["data-address"] for a in doc.by_id("stalls").find_all("tr", cls="stall")}
    assert {cast["vendor"][0], cast["vendor2"][0]} <= addresses
    assert doc.by_id("licensed").text() == str(len(addresses))
    sheet = m.client.get("/market/status.csv", params={"days": 7})
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/csv")
    assert sheet.headers["content-disposition"] == 'attachment; filename="market-status.csv"'
    lines = sheet.text.splitlines()
    assert lines[0] == "section,stall,name,day,figure,value" and f"market,,,,licensed_stalls,{len(addresses)}" in lines
    assert sum(line.startswith("market_day,") for line in lines) == 14
    assert m.client.get("/market/status", params={"days": 0}).status_code == 422
    assert m.client.get("/market/status.csv", params={"days": "x"}).status_code == 422
