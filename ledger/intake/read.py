"""Which reader a file needs, from its media type or its name, and the size bound that comes
before any of them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath

from ledger.intake.columns import MAX_FILE_BYTES
from ledger.intake.problems import FileRefused, Problem
from ledger.intake.read_csv import read_csv
from ledger.intake.read_json import read_json
from ledger.intake.read_xlsx import read_xlsx
from ledger.intake.table import Table

CSV_MEDIA_TYPE = "text/csv"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JSON_MEDIA_TYPE = "application/json"

READERS: dict[str, Callable[[bytes], Table]] = {"csv": read_csv, "xlsx": read_xlsx, "json": read_json}
_MEDIA_TYPES = {CSV_MEDIA_TYPE: "csv", "application/csv": "csv", XLSX_MEDIA_TYPE: "xlsx", JSON_MEDIA_TYPE: "json"}
_SUFFIXES = {".csv": "csv", ".xlsx": "xlsx", ".json": "json"}


class UnknownFormat(ValueError):
    """Neither the media type nor the name says CSV, XLSX or JSON."""


def format_of_media_type(content_type: str) -> str:
    """'csv', 'xlsx' or 'json' for a Content-Type header (parameters such as charset ignored)."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    try:
        return _MEDIA_TYPES[media_type]
    except KeyError:
        raise UnknownFormat(
            f"{media_type or 'no media type'} is not a declaration format: send text/csv, {XLSX_MEDIA_TYPE} "
            f"or {JSON_MEDIA_TYPE}"
        ) from None


def format_of_name(name: str | PurePath) -> str:
    """'csv', 'xlsx' or 'json' from a file name's suffix."""
    suffix = PurePath(name).suffix.lower()
    try:
        return _SUFFIXES[suffix]
    except KeyError:
        raise UnknownFormat(f"{name}: a declaration file ends in .csv, .xlsx or .json") from None


def read_table(data: bytes, file_format: str) -> Table:
    """`data` as a table; FileRefused when it is too large or unreadable as `file_format`."""
    if len(data) > MAX_FILE_BYTES:
        raise FileRefused(
            [Problem(None, None, f"the file has {len(data):,} bytes, at most {MAX_FILE_BYTES:,} are read")]
        )
    if not data.strip():
        raise FileRefused([Problem(None, None, "the file is empty: a header row and one row a line are expected")])
    return READERS[file_format](data)
