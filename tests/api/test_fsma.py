"""GET /regulators/fsma204: the FSMA 204 spreadsheet as a download, for regulators only,
over a real chain written through the API and indexed into its database."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from ledger.fsma import HEADERS
from tests.api.conftest import Market
from tests.factories.traceability import sell_through_api

GTIN = "06901234000016"
URL = "/regulators/fsma204"


@pytest.fixture(scope="module")
def sold_lot(api_market: Market, cast: dict) -> str:
    """FS-01 harvested, handed to the wholesaler, split into FS-01-A, delivered and sold."""
    sell_through_api(api_market, cast, "FS-01")
    return "FS-01-A"


def test_csv_download_has_every_cte_of_the_lineage(api_market: Market, cast: dict, sold_lot: str) -> None:
    answer = api_market.client.get(URL, params={"lot": sold_lot}, headers=api_market.auth(cast["regulator"][1]))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == 'attachment; filename="fsma204-FS-01-A.csv"'
    lines = list(csv.reader(io.StringIO(answer.text, newline="")))
    assert lines[0] == list(HEADERS.values())
    assert [(line[1], line[3], line[4]) for line in lines[1:]] == [
        ("Harvesting", "", "FS-01"),
        ("Initial Packing", "", "FS-01"),
        ("Shipping", "", "FS-01"),
        ("Receiving", "", "FS-01"),
        ("Transformation", "Input", "FS-01"),
        ("Transformation", "Output", "FS-01-A"),
        ("Shipping", "", "FS-01-A"),
        ("Receiving", "", "FS-01-A"),
        ("Sale", "", "FS-01-A"),
    ]
    assert lines[-1][12] == "Stall A12 (王丽) (JY33010600012345)"


def test_xlsx_download(api_market: Market, cast: dict, sold_lot: str) -> None:
    params = {"lot": sold_lot, "gtin": GTIN, "format": "xlsx"}
    answer = api_market.client.get(URL, params=params, headers=api_market.auth(cast["regulator"][1]))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert answer.headers["content-disposition"] == 'attachment; filename="fsma204-FS-01-A.xlsx"'
    table = load_workbook(io.BytesIO(answer.content))["FSMA 204"]
    assert [c.value for c in table[1]] == list(HEADERS.values())
    assert table.auto_filter.ref == f"A1:{get_column_letter(len(HEADERS))}10"
    assert table.freeze_panes == "A2"


def test_time_window_download(api_market: Market, cast: dict, sold_lot: str) -> None:
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    answer = api_market.client.get(URL, params={"since": since}, headers=api_market.auth(cast["regulator"][1]))
    assert answer.status_code == 200, answer.text
    lots = {line[4] for line in list(csv.reader(io.StringIO(answer.text, newline="")))[1:]}
    assert {"FS-01", "FS-01-A"} <= lots


def test_only_regulators_may_download(api_market: Market, cast: dict, sold_lot: str) -> None:
    assert api_market.client.get(URL, params={"lot": sold_lot}).status_code == 401
    answer = api_market.client.get(URL, params={"lot": sold_lot}, headers=api_market.auth(cast["vendor"][1]))
    assert answer.status_code == 403


@pytest.mark.parametrize(
    ("params", "status", "fragment"),
    [
        ({}, 400, "give a lot, or a window"),
        ({"lot": "NOPE-1"}, 404, "no batch with lot NOPE-1"),
        ({"lot": "FS-01-A", "format": "pdf"}, 422, "format"),
        ({"lot": "FS-01-A", "gtin": "06901234000017"}, 422, "gtin"),
        ({"since": "2026-11-25T00:00:00Z", "until": "2026-11-24T00:00:00Z"}, 400, "window is empty"),
        ({"since": "yesterday"}, 422, "since"),
    ],
)
def test_bad_requests_say_why(
    api_market: Market, cast: dict, sold_lot: str, params: dict, status: int, fragment: str
) -> None:
    answer = api_market.client.get(URL, params=params, headers=api_market.auth(cast["regulator"][1]))
    assert answer.status_code == status, answer.text
    assert fragment in answer.text
