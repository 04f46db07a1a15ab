"""The columns of a customs declaration file and of a supplier's harvest sheet, and the
bounds every file is held to before it is parsed.

A declaration is flat: one row a line, the declaration's own (header) fields repeated on
every row, so that a spreadsheet, a CSV export of a customs system and a JSON array all
carry the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Bounds on what is read at all. A 10,000-line declaration in CSV is about 2 MB; XLSX holds
#: the same in less. Anything larger is refused before parsing.
MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_ROWS = 10_000
#: The longest text a cell may hold; the longest field the contract takes (a name, an
#: origin) is 200 characters.
MAX_CELL_CHARS = 256
#: A header wider than this is not a declaration (and a sheet of 16,384 columns is a trap).
MAX_COLUMNS = 64
#: XLSX is a zip of XML parts: the parts' declared uncompressed sizes together may not exceed
#: this (Python's zipfile never inflates a part beyond its declared size).
MAX_XLSX_UNCOMPRESSED_BYTES = 64 * 1024 * 1024
MAX_XLSX_PARTS = 200


@dataclass(frozen=True)
class Layout:
    """The columns of one kind of file.

    ``header``: fields of the whole file, the same on every row; ``optional``: columns that
    may be missing or blank.
    """

    kind: str
    columns: tuple[str, ...]
    header: tuple[str, ...]
    optional: tuple[str, ...]
    example: dict[str, str]

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c for c in self.columns if c not in self.optional)


DECLARATION = Layout(
    kind="declaration",
    columns=(
        "declaration_number",
        "entry_port",
        "cleared_at",
        "importer",
        "line",
        "gtin",
        "lot",
        "quantity",
        "unit",
        "origin_country",
        "hs_code",
        "document",
    ),
    header=("declaration_number", "entry_port", "cleared_at", "importer", "document"),
    optional=("document",),
    example={
        "declaration_number": "310120261000123456",
        "entry_port": "CNNGB",
        "cleared_at": "2026-11-24T09:30:00+08:00",
        "importer": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        "line": "1",
        "gtin": "08850000000010",
        "lot": "TH-DUR-2611-01",
        "quantity": "300",
        "unit": "KGM",
        "origin_country": "TH",
        "hs_code": "0810600000",
        "document": "",
    },
)

HARVEST_SHEET = Layout(
    kind="harvest sheet",
    columns=("gtin", "lot", "quantity", "unit", "harvested_at", "origin", "document"),
    header=(),
    optional=("document",),
    example={
        "gtin": "06901234000016",
        "lot": "GV-2611-01",
        "quantity": "400",
        "unit": "KGM",
        "harvested_at": "2026-11-24T05:00:00+08:00",
        "origin": "geo:30.2336,119.7248",
        "document": "",
    },
)

#: Columns whose text must keep its leading zeros (a spreadsheet that stores them as numbers
#: drops them): the XLSX template formats these as text.
TEXT_COLUMNS = frozenset({"declaration_number", "gtin", "lot", "hs_code", "entry_port", "importer"})
