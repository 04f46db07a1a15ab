"""Empty files to fill in: the header row and one example row, as CSV and as XLSX.

The XLSX formats every column whose leading zeros matter (GTIN, HS code, declaration
number, lot) as text, so a spreadsheet does not turn ``0810600000`` into ``810600000``.
"""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ledger.intake.columns import TEXT_COLUMNS, Layout

TEXT_FORMAT = "@"


def template_csv(layout: Layout) -> bytes:
    """UTF-8 CSV with a byte-order mark (so Excel reads it as UTF-8): header and example."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(layout.columns)
    writer.writerow([layout.example[c] for c in layout.columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx(layout: Layout) -> bytes:
    """A workbook of one sheet: a bold, frozen header, the example row, text columns as text."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = layout.kind.replace(" ", "_")
    sheet.append(list(layout.columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    sheet.append([layout.example[c] for c in layout.columns])
    for position, name in enumerate(layout.columns, start=1):
        letter = get_column_letter(position)
        sheet.column_dimensions[letter].width = max(12, len(name) + 2, len(layout.example[name]) + 2)
        if name in TEXT_COLUMNS:
            sheet.column_dimensions[letter].number_format = TEXT_FORMAT
            sheet.cell(row=2, column=position).number_format = TEXT_FORMAT
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
