"""One cell's text to its value, or ValueError with a sentence saying what is wrong.

The rules are those of :mod:`ledger.fields` and :mod:`ledger.gs1` (the API's own), read from
text: a spreadsheet cell has no types."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from ledger import fields
from ledger.documents import parse_cid
from ledger.errors import InvalidCid
from ledger.gs1 import GTIN_LENGTHS, gtin_check_digit, is_valid_gtin
from ledger.intake.columns import MAX_ROWS
from ledger.intake.problems import shown

#: The longest text field the contract takes from a file (declaration number, entry port,
#: origin), as the API's ``Text200``.
MAX_TEXT = 200
_HS_SEPARATORS = re.compile(r"[.\s]")


def gtin(text: str) -> str:
    """A GTIN-8/12/13/14 with a correct check digit, as GTIN-14."""
    if not text.isdigit() or len(text) not in GTIN_LENGTHS:
        raise ValueError(f"{shown(text)} is not a GTIN: 8, 12, 13 or 14 digits")
    if not is_valid_gtin(text):
        expected = gtin_check_digit(text[:-1])
        raise ValueError(f"{shown(text)} has a wrong check digit: GS1's mod-10 check digit is {expected}")
    return text.zfill(14)


def lot(text: str) -> str:
    return fields.lot(text)


def quantity(text: str) -> int:
    """A whole number above zero (the unit's multiple: 300 KGM, not 0.3 TNE)."""
    if not text.isdigit():
        raise ValueError(f"{shown(text)} is not a whole number of units")
    value = int(text)
    if value == 0:
        raise ValueError("the quantity must be above zero")
    if value > fields.MAX_QUANTITY:
        raise ValueError(f"the quantity exceeds {fields.MAX_QUANTITY}")
    return value


def unit(text: str) -> str:
    return fields.unit(text)


def country(text: str) -> str:
    return fields.country(text)


def hs_code(text: str) -> str:
    """A Harmonized System code: 6 to 10 digits (dots and spaces between groups are dropped)."""
    digits = _HS_SEPARATORS.sub("", text)
    if not digits.isdigit() or not 6 <= len(digits) <= 10:
        raise ValueError(f"{shown(text)} is not an HS code: 6 to 10 digits (e.g. 0810.60 or 0810600000)")
    return digits


def moment(text: str, now: int) -> int:
    """Unix seconds of an ISO 8601 date or date-time (UTC when it has no offset), not after `now`."""
    try:
        if len(text) == 10:
            parsed = datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        else:
            parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise ValueError(f"{shown(text)} is not an ISO 8601 date-time (e.g. 2026-11-24T09:30:00+08:00)") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    seconds = int(parsed.timestamp())
    if seconds <= 0:
        raise ValueError(f"{shown(text)} lies before 1970")
    if seconds > now:
        raise ValueError(f"{shown(text)} lies in the future")
    return seconds


def text(value: str) -> str:
    """Free text the contract stores: not blank, at most 200 characters."""
    fields.not_blank(value)
    if len(value) > MAX_TEXT:
        raise ValueError(f"the text has {len(value)} characters, at most {MAX_TEXT}")
    return value


def line(value: str) -> int:
    """A declaration's line (item) number: 1 and up."""
    if not value.isdigit() or not 1 <= int(value) <= MAX_ROWS:
        raise ValueError(f"{shown(value)} is not a line number (1 to {MAX_ROWS:,})")
    return int(value)


def cid(value: str) -> str:
    """A document's CID (CIDv1, sha2-256) in its base32 text form."""
    try:
        return parse_cid(value).encode("base32")
    except InvalidCid as exc:
        raise ValueError(str(exc)) from None
