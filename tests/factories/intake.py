"""Builders for declaration files and harvest sheets (the same rows as CSV, XLSX or JSON)
and an in-memory ledger state for the pure checks (the real ones, index and chain, are
tested against a real database and a real anvil)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from openpyxl import Workbook

from ledger.intake import ParticipantFacts, RecordedDeclaration
from ledger.intake.columns import DECLARATION, HARVEST_SHEET

IMPORTER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
IMPORTER_GLN = "6901234000016"
CUSTOMS = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
CLEARED_AT = "2026-11-24T09:30:00+08:00"
#: The pure checks' clock: 2027-01-01T00:00:00Z, after every date in these files.
NOW = 1_798_761_600
DURIAN = "08850000000010"
MANGOSTEEN = "08850000000027"

__all__ = [
    "CLEARED_AT",
    "CUSTOMS",
    "DURIAN",
    "IMPORTER",
    "IMPORTER_GLN",
    "MANGOSTEEN",
    "NOW",
    "MemoryState",
    "as_csv",
    "as_json",
    "as_xlsx",
    "declaration_rows",
    "encode",
    "harvest_rows",
]


@dataclass
class MemoryState:
    """A ledger state held in dicts: one active supplier (the importer) by address and GLN."""

    participants_by_reference: dict[str, list[ParticipantFacts]] = field(default_factory=dict)
    declarations: dict[str, RecordedDeclaration] = field(default_factory=dict)
    lots: set[tuple[str, str]] = field(default_factory=set)
    asked_lots: int = 0

    def __post_init__(self) -> None:
        importer = ParticipantFacts(IMPORTER, 1, False)
        self.participants_by_reference.setdefault(IMPORTER, [importer])
        self.participants_by_reference.setdefault(IMPORTER_GLN, [importer])
        self.participants_by_reference.setdefault(CUSTOMS, [ParticipantFacts(CUSTOMS, 2, False)])

    def participants(self, reference: str) -> list[ParticipantFacts]:
        return self.participants_by_reference.get(reference, [])

    def declaration(self, number: str) -> RecordedDeclaration | None:
        return self.declarations.get(number)

    def registered_lots(self, lots: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
        self.asked_lots += 1
        return self.lots & set(lots)


def declaration_rows(lines: int = 3, *, number: str = "310120261000123456", **header: str) -> list[dict[str, str]]:
    """`lines` good rows of one declaration (durian and mangosteen lots)."""
    fields = {
        "declaration_number": number,
        "entry_port": "CNNGB",
        "cleared_at": CLEARED_AT,
        "importer": IMPORTER,
        "document": "",
        **header,
    }
    return [
        {
            **fields,
            "line": str(i),
            "gtin": DURIAN if i % 2 else MANGOSTEEN,
            "lot": f"TH-{number[-6:]}-{i:04d}",
            "quantity": str(100 + i),
            "unit": "KGM",
            "origin_country": "TH",
            "hs_code": "0810600000" if i % 2 else "0810902000",
        }
        for i in range(1, lines + 1)
    ]


def harvest_rows(lots: int = 3, *, prefix: str = "GV") -> list[dict[str, str]]:
    return [
        {
            "gtin": "06901234000016",
            "lot": f"{prefix}-{i:05d}",
            "quantity": str(50 * i),
            "unit": "KGM",
            "harvested_at": "2026-11-24T05:00:00+08:00",
            "origin": "geo:30.2336,119.7248",
            "document": "",
        }
        for i in range(1, lots + 1)
    ]


def _columns(rows: Sequence[dict[str, str]]) -> list[str]:
    layout = DECLARATION if rows and "declaration_number" in rows[0] else HARVEST_SHEET
    extra = [k for k in rows[0] if k not in layout.columns] if rows else []
    present = [c for c in layout.columns if any(c in r for r in rows)]
    return present + extra


def as_csv(rows: Sequence[dict[str, str]], *, bom: bool = False, delimiter: str = ",") -> bytes:
    out = io.StringIO(newline="")
    columns = _columns(rows)
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")


def as_xlsx(rows: Sequence[dict[str, object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    columns = _columns(rows)  # type: ignore[arg-type]
    sheet.append(columns)
    for row in rows:
        sheet.append([row.get(c) if row.get(c) != "" else None for c in columns])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def as_json(rows: Sequence[dict[str, object]]) -> bytes:
    return json.dumps(list(rows)).encode()


def encode(rows: Sequence[dict[str, str]], file_format: str) -> bytes:
    return {"csv": as_csv, "xlsx": as_xlsx, "json": as_json}[file_format](rows)
