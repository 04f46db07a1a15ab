"""`freshledger fsma204` as a user runs it: a real process on the indexed database (SQLite
and PostgreSQL through --database-url)."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from openpyxl import load_workbook

from ledger.fsma import HEADERS
from ledger.fsma.cli import parse_time
from ledger.fsma.writers import iso_time
from tests.fsma.conftest import Traced

CLI = [sys.executable, "-m", "ledger.cli", "fsma204"]


def run(traced: Traced, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [*CLI, "--database-url", traced.url, *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_csv_to_stdout(traced: Traced) -> None:
    result = run(traced, "--lot", "GV-01-A", "--format", "csv")
    assert result.returncode == 0, result.stderr
    lines = list(csv.reader(io.StringIO(result.stdout, newline="")))
    assert lines[0] == list(HEADERS.values())
    assert [line[1] for line in lines[1:]] == [
        "Harvesting",
        "Initial Packing",
        "Shipping",
        "Receiving",
        "Transformation",
        "Transformation",
        "Inspection",
        "Shipping",
        "Receiving",
        "Sale",
    ]


def test_xlsx_to_a_file_for_a_window(traced: Traced, tmp_path: Path) -> None:
    out = tmp_path / "fsma.xlsx"
    since = iso_time(traced.chain.scenario.day2_from)
    result = run(traced, "--since", since, "--format", "xlsx", "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert "6 rows written" in result.stderr
    table = load_workbook(out)["FSMA 204"]
    assert {row[4].value for row in table.iter_rows(min_row=2)} == {"TH-01", "TH-01-A"}


def test_refusals_say_what_is_wrong(traced: Traced) -> None:
    nothing = run(traced, "--format", "csv")
    assert nothing.returncode == 2
    assert "give --lot" in nothing.stderr
    binary = run(traced, "--lot", "GV-01-A", "--format", "xlsx")
    assert binary.returncode == 2
    assert "give --output FILE" in binary.stderr
    seconds = run(traced, "--since", "1795550000")
    assert seconds.returncode == 2
    assert "is not a date" in seconds.stderr
    unknown = run(traced, "--lot", "NOPE")
    assert unknown.returncode == 1
    assert "no batch with lot NOPE" in unknown.stderr


def test_parse_time_takes_dates_and_iso_times() -> None:
    midnight = parse_time("2026-11-25")
    assert midnight == int(datetime(2026, 11, 25, tzinfo=UTC).timestamp())
    assert parse_time("2026-11-25", end_of_day=True) == midnight + 86_400
    assert parse_time("2026-11-25T08:00:00Z") == midnight + 8 * 3600
    assert parse_time("2026-11-25T16:00:00+08:00") == midnight + 8 * 3600
    assert parse_time("2026-11-25T08:00:00") == midnight + 8 * 3600
