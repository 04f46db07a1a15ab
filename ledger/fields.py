"""The rules a key data element must meet before a transaction is signed: the contract's
own checks and more (an ISO country must be assigned, a date not in the future). The API's
request schemas and the declaration-file checks both use these, so a field means the same
at every door.

Each function takes the value, returns it normalised and raises ValueError with a sentence
for people.

Example::

    >>> country("th")
    'TH'
    >>> unit("kg")
    Traceback (most recent call last):
    ...
    ValueError: 'kg' is not a UN/ECE Rec 20 unit code (three upper-case letters or digits, e.g. KGM)
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

import pycountry
from eth_utils import is_address, to_checksum_address

#: GS1 AI (10) / (21) values: 1-20 characters of GS1's CSET 82.
CSET82 = r"^[!\"%-?A-Z_a-z]{1,20}$"
#: UN/ECE Recommendation 20 codes as the contract stores them: three upper-case letters or digits.
UNIT_PATTERN = r"^[A-Z0-9]{3}$"
#: The contract keeps quantities below 2**63 (uint64 with room for sums).
MAX_QUANTITY = 2**63 - 1

_CSET82 = re.compile(CSET82)
_UNIT = re.compile(UNIT_PATTERN)


def address(value: str) -> str:
    """An Ethereum address in checksum form."""
    if not is_address(value):
        raise ValueError(f"{value!r} is not an Ethereum address")
    return to_checksum_address(value)


def country(value: str) -> str:
    """An assigned ISO 3166-1 alpha-2 code, upper-case."""
    if len(value) != 2 or pycountry.countries.get(alpha_2=value.upper()) is None:
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
    return value.upper()


def currency(value: str) -> str:
    """An ISO 4217 currency code, upper-case."""
    if len(value) != 3 or pycountry.currencies.get(alpha_3=value.upper()) is None:
        raise ValueError(f"{value!r} is not an ISO 4217 currency code")
    return value.upper()


def past(value: datetime) -> datetime:
    """`value` with UTC assumed when it has no offset; ValueError when in the future."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if value > datetime.now(UTC):
        raise ValueError("the date lies in the future")
    return value


def not_blank(value: str) -> str:
    # Spaces alone would pass the contract's non-empty check and record a blank reason or name.
    if not value.strip():
        raise ValueError("the text is blank")
    return value


#: Unicode categories no name, reason or comment needs: controls (NUL, ESC ...), format
#: characters (right-to-left overrides and isolates such as U+202E, zero-width spaces and
#: joiners, the BOM), surrogates, private use, and line and paragraph separators. They hide
#: or reorder text on screens, labels and exports ("ABC" shown for "CBA").
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
LINE_BREAKS = frozenset("\t\n\r")


def _visible(value: str, allowed: frozenset[str]) -> str:
    for position, char in enumerate(value):
        if char not in allowed and unicodedata.category(char) in HIDDEN_CATEGORIES:
            name = unicodedata.name(char, "a control character")
            raise ValueError(f"the text has an invisible or control character U+{ord(char):04X} ({name}) at {position}")
    return value


def plain_line(value: str) -> str:
    """One line of visible text (names, reasons, origins, descriptions)."""
    return _visible(value, frozenset())


def plain_lines(value: str) -> str:
    """Visible text that may break lines (a shopper's comment typed in a text area)."""
    return _visible(value, LINE_BREAKS)


def lot(value: str) -> str:
    """A GS1 batch/lot number: 1-20 characters of CSET 82 (letters, digits, some punctuation)."""
    if not _CSET82.match(value):
        raise ValueError(f"{value!r} is not a lot code (1 to 20 letters, digits or GS1 CSET 82 punctuation)")
    return value


def unit(value: str) -> str:
    """A UN/ECE Rec 20 unit code of the shape the contract accepts."""
    if not _UNIT.match(value):
        raise ValueError(f"{value!r} is not a UN/ECE Rec 20 unit code (three upper-case letters or digits, e.g. KGM)")
    return value
