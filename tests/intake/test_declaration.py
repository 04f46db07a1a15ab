"""check_declaration(): every reason a declaration file is refused, all problems at once,
the same answers from CSV, XLSX and JSON."""

from __future__ import annotations

import re

import pytest

from ledger.intake import (
    Checked,
    DeclarationFile,
    ParticipantFacts,
    RecordedDeclaration,
    check_declaration,
    read_table,
)
from tests.factories.intake import (
    DURIAN,
    IMPORTER,
    IMPORTER_GLN,
    NOW,
    MemoryState,
    declaration_rows,
    encode,
)

FORMATS = ("csv", "xlsx", "json")


def check(
    rows: list[dict[str, str]], file_format: str = "csv", state: MemoryState | None = None
) -> Checked[DeclarationFile]:
    return check_declaration(read_table(encode(rows, file_format), file_format), state or MemoryState(), now=NOW)


def reasons(rows: list[dict[str, str]], file_format: str = "csv", state: MemoryState | None = None) -> list[tuple]:
    return [(p.row, p.column, p.reason) for p in check(rows, file_format, state).problems]


@pytest.mark.parametrize("file_format", FORMATS)
def test_check_declaration_gives_the_typed_declaration(file_format: str) -> None:
    rows = declaration_rows(4)
    rows.reverse()  # lines come back in line order whatever the order of rows
    checked = check(rows, file_format)
    assert checked.ok and checked.problems == []
    declaration = checked.value
    assert declaration.number == "310120261000123456"
    assert declaration.entry_port == "CNNGB"
    assert declaration.cleared_at == 1_795_483_800  # 2026-11-24T01:30:00Z
    assert declaration.importer == IMPORTER
    assert declaration.document_cid is None
    assert [line.line for line in declaration.lines] == [1, 2, 3, 4]
    first = declaration.lines[0]
    assert (first.gtin, first.lot, first.quantity, first.unit, first.origin_country, first.hs_code) == (
        DURIAN,
        "TH-123456-0001",
        101,
        "KGM",
        "TH",
        "0810600000",
    )


@pytest.mark.parametrize(
    ("column", "value", "fragment"),
    [
        ("gtin", "08850000000011", "wrong check digit: GS1's mod-10 check digit is 0"),
        ("gtin", "8850000", "not a GTIN: 8, 12, 13 or 14 digits"),
        ("gtin", "", "the cell is blank"),
        ("lot", "L" * 21, "not a lot code"),
        ("lot", "lot with spaces", "not a lot code"),
        ("quantity", "0", "above zero"),
        ("quantity", "12.5", "not a whole number"),
        ("quantity", "1,000", "not a whole number"),
        ("quantity", str(2**63), "exceeds"),
        ("unit", "kg", "UN/ECE Rec 20"),
        ("unit", "KGMS", "UN/ECE Rec 20"),
        ("origin_country", "XX", "ISO 3166-1 alpha-2"),
        ("origin_country", "THA", "ISO 3166-1 alpha-2"),
        ("hs_code", "0810", "not an HS code: 6 to 10 digits"),
        ("hs_code", "08106000001", "not an HS code"),
        ("hs_code", "0810-60", "not an HS code"),
        ("line", "0", "not a line number"),
        ("line", "two", "not a line number"),
    ],
)
@pytest.mark.parametrize("file_format", FORMATS)
def test_check_declaration_names_a_bad_line_cell(file_format: str, column: str, value: str, fragment: str) -> None:
    rows = declaration_rows(3)
    rows[1][column] = value
    problems = check(rows, file_format).problems
    row = 2 if file_format == "json" else 3
    assert [(p.row, p.column) for p in problems if column != "line" or p.row is not None] == [(row, column)]
    assert fragment in problems[0].reason
    assert check(rows, file_format).value is None


@pytest.mark.parametrize(
    ("column", "value", "fragment"),
    [
        ("cleared_at", "2099-01-01T00:00:00Z", "lies in the future"),
        ("cleared_at", "24/11/2026", "not an ISO 8601 date-time"),
        ("cleared_at", "1969-12-31", "before 1970"),
        ("importer", "0x" + "12" * 20, "no participant of this market is registered under the address"),
        ("importer", "6901234000023", "no participant of this market is registered under the GLN"),
        ("declaration_number", " ", "the cell is blank"),
        ("entry_port", "P" * 201, "at most 200"),
        ("document", "not-a-cid", "not a CID"),
    ],
)
def test_check_declaration_names_a_bad_header_field_once(column: str, value: str, fragment: str) -> None:
    """A header field wrong on every row is one problem, on the first row."""
    rows = declaration_rows(5, **{column: value})
    problems = check(rows).problems
    assert [(p.row, p.column) for p in problems] == [(2, column)]
    assert fragment in problems[0].reason


def test_check_declaration_reports_header_fields_that_differ_between_rows() -> None:
    rows = declaration_rows(4)
    rows[2]["entry_port"] = "CNSHA"
    rows[3]["cleared_at"] = "2026-11-23T09:30:00+08:00"
    assert reasons(rows) == [
        (4, "entry_port", "differs from row 2 ('CNNGB'): a file holds one declaration"),
        (5, "cleared_at", "differs from row 2 ('2026-11-24T09:30:00+08:00'): a file holds one declaration"),
    ]


def test_check_declaration_compares_header_fields_by_meaning() -> None:
    """The same moment in another offset, or the importer by its GLN, is the same value."""
    rows = declaration_rows(3)
    rows[1]["cleared_at"] = "2026-11-24T01:30:00Z"
    rows[2]["importer"] = IMPORTER_GLN
    assert check(rows).ok


def test_check_declaration_importer_must_be_an_active_supplier() -> None:
    state = MemoryState()
    suspended = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
    lab = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
    state.participants_by_reference[suspended] = [ParticipantFacts(suspended, 1, True)]
    state.participants_by_reference[lab] = [ParticipantFacts(lab, 4, False)]
    state.participants_by_reference["LIC-7"] = [ParticipantFacts(lab, 4, False), ParticipantFacts(suspended, 1, True)]
    assert "is suspended" in reasons(declaration_rows(1, importer=suspended), state=state)[0][2]
    assert "is not a supplier" in reasons(declaration_rows(1, importer=lab), state=state)[0][2]
    assert "names 2 participants" in reasons(declaration_rows(1, importer="LIC-7"), state=state)[0][2]
    # a lower-case address is the same participant
    assert check(declaration_rows(1, importer=IMPORTER.lower()), state=state).ok


def test_check_declaration_accepts_an_importer_by_its_gln() -> None:
    checked = check(declaration_rows(2, importer=IMPORTER_GLN))
    assert checked.ok
    assert checked.value.importer == IMPORTER


def test_check_declaration_reports_duplicate_lots_and_lines() -> None:
    rows = declaration_rows(4)
    rows[2]["lot"], rows[2]["gtin"] = rows[0]["lot"], rows[0]["gtin"]
    rows[3]["line"] = "2"
    assert reasons(rows) == [
        (4, "lot", "lot TH-123456-0001 of GTIN 08850000000010 is also on row 2"),
        (5, "line", "line 2 is also on row 3"),
    ]


def test_check_declaration_same_lot_of_another_gtin_is_another_batch() -> None:
    rows = declaration_rows(2)
    rows[1]["lot"] = rows[0]["lot"]  # GTINs differ: two batch ids
    assert check(rows).ok


def test_check_declaration_reports_missing_line_numbers() -> None:
    rows = declaration_rows(3)
    rows[2]["line"] = "7"
    assert reasons(rows) == [(None, "line", "the lines are numbered 1 to 3; missing: 3")]


def test_check_declaration_reports_lots_already_registered() -> None:
    rows = declaration_rows(3)
    state = MemoryState(lots={(DURIAN, rows[2]["lot"])})
    assert reasons(rows, state=state) == [(4, "lot", "lot TH-123456-0003 of GTIN 08850000000010 is already registered")]
    assert state.asked_lots == 1  # one question for the whole file


def test_check_declaration_names_a_declaration_already_recorded() -> None:
    recorded = RecordedDeclaration("310120261000123456", "0x" + "ab" * 32, 42, 3)
    rows = declaration_rows(3)
    state = MemoryState(declarations={recorded.number: recorded}, lots={(r["gtin"], r["lot"]) for r in rows})
    checked = check(rows, state=state)
    assert checked.recorded == recorded
    assert [(p.row, p.column) for p in checked.problems] == [(None, "declaration_number")]
    assert "already recorded (block 42" in checked.problems[0].reason


def _partly(rows: list[dict[str, str]], recorded_lines: int, line_count: int) -> RecordedDeclaration:
    lots = tuple((r["gtin"], r["lot"]) for r in rows[:recorded_lines])
    return RecordedDeclaration(rows[0]["declaration_number"], "0x" + "ab" * 32, 42, recorded_lines, line_count, lots)


def test_check_declaration_lets_the_same_file_finish_a_declaration_partly_recorded() -> None:
    rows = declaration_rows(5)
    partly = _partly(rows, 2, 5)
    # The lots of the recorded lines are batches (of this declaration); the others are free.
    state = MemoryState(declarations={partly.number: partly}, lots=set(partly.lots))
    checked = check(rows, state=state)
    assert checked.ok and checked.recorded is None, checked.problems
    state.lots.add((rows[3]["gtin"], rows[3]["lot"]))  # a line not recorded yet is checked as ever
    assert [(p.row, p.column) for p in check(rows, state=state).problems] == [(5, "lot")]


def test_check_declaration_refuses_another_file_under_a_declaration_partly_recorded() -> None:
    rows = declaration_rows(5)
    partly = _partly(rows, 2, 5)
    state = MemoryState(declarations={partly.number: partly}, lots=set(partly.lots))
    other = declaration_rows(5)
    other[1]["lot"] = "TH-OTHER-0002"
    assert reasons(other, state=state) == [
        (
            3,
            "lot",
            "declaration 310120261000123456 is partly recorded (2 of 5 lines); "
            "its line 2 is lot TH-123456-0002 of GTIN 08850000000027",
        )
    ]
    longer = declaration_rows(6)
    assert reasons(longer, state=state) == [
        (
            None,
            "line",
            "declaration 310120261000123456 is partly recorded (2 of 5 lines); "
            "the file that finishes it has 5 lines, this one 6",
        )
    ]


def test_check_declaration_reports_every_problem_at_once() -> None:
    rows = declaration_rows(6)
    rows[0]["gtin"] = "123"
    rows[1]["unit"] = "kilo"
    rows[2]["origin_country"] = "ZZ"
    rows[3]["hs_code"] = "08"
    rows[4]["quantity"] = "-5"
    rows[5]["entry_port"] = "CNSHA"
    problems = check(rows).problems
    assert [(p.row, p.column) for p in problems] == [
        (2, "gtin"),
        (3, "unit"),
        (4, "origin_country"),
        (5, "hs_code"),
        (6, "quantity"),
        (7, "entry_port"),
    ]


@pytest.mark.parametrize("file_format", FORMATS)
def test_check_declaration_same_problems_in_every_format(file_format: str) -> None:
    rows = declaration_rows(5)
    rows[0]["gtin"] = "08850000000011"
    rows[2]["cleared_at"] = "2026-11-20"
    rows[4]["origin_country"] = "XX"
    expected = [(2, "gtin"), (4, "cleared_at"), (6, "origin_country")]
    offset = 1 if file_format == "json" else 0  # a JSON array has no header row
    assert [(p.row + offset, p.column) for p in check(rows, file_format).problems] == expected
    csv_reasons = [p.reason for p in check(rows, "csv").problems]
    # reasons that name another row name it as the format numbers it
    renumbered = [
        re.sub(r"row (\d+)", lambda m: f"row {int(m[1]) + offset}", p.reason) for p in check(rows, file_format).problems
    ]
    assert renumbered == csv_reasons


def test_check_declaration_column_problems_come_before_rows() -> None:
    rows = declaration_rows(2)
    for row in rows:
        del row["hs_code"]
        row["colour"] = "green"
    problems = reasons(rows)
    assert (1, "hs_code", "the column is missing") in problems
    assert any(p[:2] == (1, "colour") and "not a column of a declaration" in p[2] for p in problems)
    assert len(problems) == 2


def test_check_declaration_header_names_ignore_case_and_spaces() -> None:
    data = encode(declaration_rows(2), "csv")
    header, rest = data.split(b"\r\n", 1)
    header = header.replace(b"declaration_number", b"Declaration Number").replace(b"hs_code", b"HS-Code")
    checked = check_declaration(read_table(header + b"\r\n" + rest, "csv"), MemoryState(), now=NOW)
    assert checked.ok, checked.problems


def test_check_declaration_document_column_is_optional() -> None:
    rows = declaration_rows(2)
    for row in rows:
        del row["document"]
    assert check(rows).ok
    cid = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
    checked = check(declaration_rows(2, document=cid))
    assert checked.ok and checked.value.document_cid == cid


def test_check_declaration_takes_a_document_resolver() -> None:
    """The CLI passes a resolver that turns a file's path into its CID."""
    cid = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
    table = read_table(encode(declaration_rows(2, document="papers/declaration.pdf"), "csv"), "csv")
    checked = check_declaration(table, MemoryState(), now=NOW, documents=lambda text: cid)
    assert checked.value.document_cid == cid


def test_check_declaration_refuses_a_file_without_lines() -> None:
    data = encode(declaration_rows(1), "csv").split(b"\r\n")[0] + b"\r\n\r\n,,,\r\n"
    checked = check_declaration(read_table(data, "csv"), MemoryState(), now=NOW)
    assert [(p.row, p.column, p.reason) for p in checked.problems] == [(None, None, "the declaration has no lines")]
