"""The templates read back as a file of one good line (once its importer is known)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ledger.intake import DECLARATION, HARVEST_SHEET, Layout, check_declaration, check_harvest_sheet, read_table
from ledger.intake.templates import template_csv, template_xlsx
from tests.factories.intake import NOW, MemoryState


@pytest.mark.parametrize(("make", "file_format"), [(template_csv, "csv"), (template_xlsx, "xlsx")])
def test_templates_hold_the_columns_and_a_good_example(make: Callable[[Layout], bytes], file_format: str) -> None:
    declaration = read_table(make(DECLARATION), file_format)
    assert declaration.columns == list(DECLARATION.columns)
    assert check_declaration(declaration, MemoryState(), now=NOW).ok
    sheet = read_table(make(HARVEST_SHEET), file_format)
    assert sheet.columns == list(HARVEST_SHEET.columns)
    assert check_harvest_sheet(sheet, MemoryState(), now=NOW).ok


def test_template_csv_has_a_bom_for_excel() -> None:
    assert template_csv(DECLARATION).startswith(b"\xef\xbb\xbfdeclaration_number,")


def test_template_xlsx_keeps_leading_zeros_as_text() -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(template_xlsx(DECLARATION))).active
    hs = list(DECLARATION.columns).index("hs_code") + 1
    assert sheet.cell(row=2, column=hs).value == "0810600000"
    assert sheet.cell(row=2, column=hs).number_format == "@"
