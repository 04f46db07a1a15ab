"""``freshledger fsma204``: the FSMA 204 sortable spreadsheet from the indexer's database.

freshledger fsma204 --lot LOT [--gtin GTIN] [--since DATE] [--until DATE] --format csv|xlsx [--output FILE]

CSV goes to stdout unless ``--output`` is given; XLSX needs ``--output`` (a binary file on a
terminal helps nobody). ``--since`` / ``--until`` take a date (``2026-11-25``, UTC; an
``--until`` date includes that whole day) or an ISO 8601 time (``2026-11-25T08:00:00Z``;
``--until`` exclusive).
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ledger.documents.atomic import write_atomic
from ledger.fsma import build_spreadsheet
from ledger.store.db import make_engine


class FileFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


def parse_time(text: str, *, end_of_day: bool = False) -> int:
    """Unix seconds of a date (UTC midnight; the next midnight with `end_of_day`) or of an
    ISO 8601 time (UTC unless it names an offset). Raises ValueError on anything else."""
    text = text.strip()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return int(moment.timestamp())
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return int((start + timedelta(days=1 if end_of_day else 0)).timestamp())


def _time_option(text: str | None, *, name: str, end_of_day: bool = False) -> int | None:
    if text is None:
        return None
    try:
        return parse_time(text, end_of_day=end_of_day)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date (2026-11-25) or an ISO 8601 time", param_hint=name) from None


def fsma204(
    lot: Annotated[str | None, typer.Option(help="traceability lot code (GS1 AI 10)")] = None,
    gtin: Annotated[str | None, typer.Option(help="GTIN of the lot (when several GTINs use the lot code)")] = None,
    since: Annotated[str | None, typer.Option(help="events from this date or time (UTC)")] = None,
    until: Annotated[str | None, typer.Option(help="events up to this date (inclusive) or time (exclusive)")] = None,
    file_format: Annotated[FileFormat, typer.Option("--format", help="csv or xlsx")] = FileFormat.csv,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write here (CSV default: stdout)")] = None,
    database_url: Annotated[
        str | None, typer.Option(help="SQLAlchemy URL (default: SQLite under the data directory)")
    ] = None,
) -> None:
    """The FDA FSMA 204 sortable spreadsheet for a lot (with its whole lineage) or a time
    range: one row per critical tracking event with its key data elements."""
    start = _time_option(since, name="--since")
    end = _time_option(until, name="--until", end_of_day=True)
    if lot is None and start is None and end is None:
        raise typer.BadParameter("give --lot, or a window with --since and/or --until", param_hint="--lot")
    if file_format is FileFormat.xlsx and output is None:
        raise typer.BadParameter("XLSX is a binary file: give --output FILE", param_hint="--output")
    engine = make_engine(database_url)
    try:
        sheet = build_spreadsheet(engine, lot=lot, gtin=gtin, since=start, until=end)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--since/--until") from None
    finally:
        engine.dispose()
    data = sheet.xlsx() if file_format is FileFormat.xlsx else sheet.csv()
    if output is None:
        sys.stdout.write(data.decode("utf-8"))
        sys.stdout.flush()
        return
    write_atomic(output, [data])
    typer.echo(f"{len(sheet.rows)} rows written to {output}", err=True)
