"""GS1 identifiers: the GTIN check digit, shared by the demo, the API's validation and tests.

Example::

    >>> gtin_check_digit("0950600013435")
    2
    >>> normalize_gtin("9506000134352")
    '09506000134352'
"""

from __future__ import annotations

GTIN_LENGTHS = (8, 12, 13, 14)


def gtin_check_digit(body: str) -> int:
    """The mod-10 check digit for the digits of a GTIN without its last digit."""
    if not body.isdigit():
        raise ValueError(f"GTIN digits expected, got {body!r}")
    total = sum(int(digit) * (3 if i % 2 == 0 else 1) for i, digit in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def is_valid_gtin(gtin: str) -> bool:
    """Whether `gtin` is a GTIN-8/12/13/14 with a correct check digit."""
    return gtin.isdigit() and len(gtin) in GTIN_LENGTHS and gtin_check_digit(gtin[:-1]) == int(gtin[-1])


def normalize_gtin(gtin: str) -> str:
    """`gtin` as a GTIN-14 (left-padded with zeros); ValueError when it is not valid."""
    if not is_valid_gtin(gtin):
        raise ValueError(f"{gtin!r} is not a valid GTIN (8, 12, 13 or 14 digits with a correct check digit)")
    return gtin.zfill(14)


def make_gtin(body13: str) -> str:
    """A GTIN-14 from its first 13 digits, with the check digit appended."""
    return body13 + str(gtin_check_digit(body13))
