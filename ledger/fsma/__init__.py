"""FDA FSMA 204 (21 CFR 1 subpart S): the electronic sortable spreadsheet a regulator may
ask for within 24 hours, one row per critical tracking event with its key data elements.

Example::

    sheet = build_spreadsheet(engine, lot="GV-2611-01-A")           # the lot's whole lineage
    sheet = build_spreadsheet(engine, since=t0, until=t1)           # everything in a window
    Path("fsma204.xlsx").write_bytes(sheet.xlsx())
    sys.stdout.write(sheet.csv().decode())
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ledger.fsma.rows import HEADERS, FsmaRow, build_rows
from ledger.fsma.writers import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, csv_bytes, iso_time, xlsx_bytes
from ledger.queries.fsma import lot_records, range_records

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = [
    "CSV_MEDIA_TYPE",
    "HEADERS",
    "XLSX_MEDIA_TYPE",
    "FsmaRow",
    "Spreadsheet",
    "build_spreadsheet",
]


@dataclass(frozen=True)
class Spreadsheet:
    """The rows, what was asked, and the block the data is current to."""

    rows: list[FsmaRow]
    lot: str | None = None
    gtin: str | None = None
    since: int | None = None
    until: int | None = None
    as_of_block: int | None = None
    generated_at: int = field(default_factory=lambda: int(datetime.now(UTC).timestamp()))

    def filename(self, extension: str) -> str:
        """A file name that says what the file answers, e.g. ``fsma204-GV-2611-01-A.xlsx``."""
        subject = self.lot or "-".join(iso_time(t)[:10] for t in (self.since, self.until) if t is not None) or "all"
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in subject)
        return f"fsma204-{safe}.{extension}"

    def about(self) -> dict[str, str]:
        """What the spreadsheet answers, for its "About" sheet."""
        return {
            "Request": "FDA FSMA 204 electronic sortable spreadsheet (21 CFR 1.1455(c)(3)(ii))",
            "Traceability lot code": self.lot or "(all lots)",
            "GTIN": self.gtin or "(any)",
            "Lineage": "the lot, every lot it came from and every lot made from it" if self.lot else "-",
            "Events from (UTC)": iso_time(self.since) or "(start)",
            "Events until, exclusive (UTC)": iso_time(self.until) or "(now)",
            "Current to block": "" if self.as_of_block is None else str(self.as_of_block),
            "Generated at (UTC)": iso_time(self.generated_at),
            "Rows": str(len(self.rows)),
            "Record Type": "CTE rows are FSMA 204 critical tracking events; Reference rows are other steps "
            "(inspections, releases, recalls, cancelled shipments, sales to consumers)",
            "Event ID": "transaction hash and log index of the chain event the row comes from",
        }

    def csv(self) -> bytes:
        return csv_bytes(self.rows)

    def xlsx(self) -> bytes:
        return xlsx_bytes(self.rows, self.about())


def build_spreadsheet(
    engine: Engine,
    *,
    lot: str | None = None,
    gtin: str | None = None,
    since: int | None = None,
    until: int | None = None,
) -> Spreadsheet:
    """The spreadsheet for lot `lot` (and its whole lineage) or, without a lot, for every
    event with block time in ``[since, until)``; a lot with a window keeps the lineage's
    events inside the window. Raises ValueError when neither a lot nor a window is given
    and :class:`~ledger.errors.NotFound` for an unknown lot."""
    if lot is None and since is None and until is None:
        raise ValueError("give a lot code or a time window (since and/or until)")
    if since is not None and until is not None and since >= until:
        raise ValueError("the window is empty: since must come before until")
    if lot is not None:
        records = lot_records(engine, lot, gtin=gtin, since=since, until=until)
    else:
        records = range_records(engine, since=since, until=until)
    rows = build_rows(records)
    if lot is None and gtin:
        rows = [row for row in rows if row.gtin == gtin]
    return Spreadsheet(rows, lot, gtin, since, until, records.as_of_block)
