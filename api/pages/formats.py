"""Dates, money, quantities, places and countries as each language writes them (CLDR data
through Babel); the values themselves are never changed, only written out.

Example::

    >>> fmt = Formatter("zh", Messages("zh"))
    >>> fmt.money(1200, "CNY"), fmt.quantity(2, "KGM")
    ('CNY 12.00', '2 千克')
    >>> Formatter("en", Messages("en")).money(13600, "KRW")
    'KRW 13,600'
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from decimal import Decimal

from babel import Locale
from babel.dates import format_skeleton, get_timezone_name
from babel.numbers import NumberPattern, get_currency_precision, parse_pattern

from api.pages.i18n import BABEL_LOCALE, Messages

#: ``geo:lat,lon`` (RFC 5870), optionally with altitude and parameters we do not show.
_GEO = re.compile(r"^geo:(-?\d{1,2}(?:\.\d+)?),(-?\d{1,3}(?:\.\d+)?)(?:,[^;]*)?(?:;.*)?$", re.IGNORECASE)
NBSP = "\u00a0"
#: A GS1 Global Location Number: 13 digits.
_GLN = re.compile(r"^\d{13}$")
#: Residue units as labs type them, written with the micro sign.
_RESIDUE_UNITS = {"ug/kg": "μg/kg", "ug/g": "μg/g", "ug/l": "μg/L"}
#: Zones shown as plain "UTC" (Babel would call them "Unknown Region (UTC) Time").
_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Zulu", "Etc/Zulu", "GMT", "Etc/GMT"})


@functools.cache
def _number_pattern(decimals: int) -> NumberPattern:
    """``#,##0`` with `decimals` places, parsed once (``format_decimal`` parses per call,
    which was a fifth of a shopper page's rendering)."""
    return parse_pattern("#,##0" + ("." + "0" * decimals if decimals else ""))


@dataclass(frozen=True)
class Place:
    """A place as shown: its text, and a link (``geo:`` opens the phone's map app) if any."""

    text: str
    href: str | None = None


class Formatter:
    """Writes values for one language and time zone."""

    def __init__(self, lang: str, messages: Messages, tz: tzinfo = UTC) -> None:
        self.locale = Locale.parse(BABEL_LOCALE[lang])
        self.t = messages
        self.tz = tz
        symbols = self.locale.number_symbols["latn"]
        self._symbols = str.maketrans({",": symbols["group"], ".": symbols["decimal"]})
        self._groups_by_thousands = _number_pattern(0).apply(1234567, self.locale) == f"{1234567:,}".translate(
            self._symbols
        )

    def date(self, timestamp: int) -> str:
        """A day, e.g. ``Nov 25, 2026`` / ``2026년 11월 25일`` / ``2026年11月25日``."""
        return format_skeleton("yMMMd", self._moment(timestamp), tzinfo=self.tz, locale=self.locale)

    def datetime(self, timestamp: int) -> str:
        """A day and a 24-hour time in the page's time zone."""
        moment = self._moment(timestamp)
        time = format_skeleton("Hm", moment, tzinfo=self.tz, locale=self.locale)
        return f"{self.date(timestamp)} {time}"

    def iso(self, timestamp: int) -> str:
        """The machine-readable moment for ``<time datetime>``."""
        return self._moment(timestamp).astimezone(self.tz).isoformat()

    def zone(self, timestamp: int) -> str:
        """The time zone at `timestamp`, e.g. ``China Time (UTC+08:00)``, or ``UTC``."""
        moment = self._moment(timestamp).astimezone(self.tz)
        raw = moment.strftime("%z")
        offset = f"UTC{raw[0]}{raw[1:3]}:{raw[3:]}"
        key = getattr(self.tz, "key", None)  # zoneinfo zones have a name; fixed offsets do not
        if key in _UTC_NAMES or (key is None and raw == "+0000"):
            return "UTC"
        if key is None:
            return offset
        return f"{get_timezone_name(moment, locale=self.locale)} ({offset})"

    def number(self, value: int | Decimal, decimals: int = 0) -> str:
        if self._groups_by_thousands:
            # Python's own grouping, with the locale's symbols: a page writes dozens of
            # numbers, and Babel's general path cost 40 us each.
            plain = f"{Decimal(value):,.{decimals}f}"
            return plain.translate(self._symbols)
        return _number_pattern(decimals).apply(value, self.locale)

    def money(self, minor_units: int, currency: str) -> str:
        """A price from minor units with the currency's ISO 4217 decimals: ``CNY 12.00``."""
        decimals = get_currency_precision(currency)
        return f"{currency} {self.number(Decimal(minor_units).scaleb(-decimals), decimals)}"

    def unit(self, code: str) -> str:
        """A UN/ECE Rec 20 unit in words (``KGM`` is kg); an unknown code as recorded."""
        return self.t.get(f"unit_{code}") or code

    def quantity(self, amount: int, unit: str) -> str:
        return f"{self.number(amount)} {self.unit(unit)}"

    def residue(self, amount: int, unit: str) -> str:
        return f"{self.number(amount)} {_RESIDUE_UNITS.get(unit.lower(), unit)}"

    def country(self, code: str) -> str:
        """A country's name in the page's language with its code: ``泰国 (TH)``."""
        name = self.country_name(code)
        return f"{name} ({code})" if name != code else code

    def country_name(self, code: str) -> str:
        """A country's name in the page's language, or the code as recorded when unknown."""
        return self.locale.territories.get(code.upper(), code)

    @staticmethod
    def hs_code(code: str) -> str:
        """An HS code as tariffs print it: heading, subheading, then national digits in pairs
        (``08106000`` is ``0810.60.00``)."""
        if len(code) <= 4 or not code.isdigit():
            return code
        rest = code[4:]
        return ".".join([code[:4], *(rest[i : i + 2] for i in range(0, len(rest), 2))])

    def place(self, origin: str) -> Place:
        """A harvest origin: a ``geo:`` URI in degrees with a map link, a GLN, or the text."""
        if match := _GEO.match(origin.strip()):
            lat, lon = (Decimal(v) for v in match.groups())
            # Each coordinate stays on one line (no-break spaces); a line may break between them.
            text = self.t(
                "coordinates",
                lat=self.t("lat_north" if lat >= 0 else "lat_south", value=abs(lat)).replace(" ", NBSP),
                lon=self.t("lon_east" if lon >= 0 else "lon_west", value=abs(lon)).replace(" ", NBSP),
            )
            return Place(text, f"geo:{match.group(1)},{match.group(2)}")
        if _GLN.match(origin.strip()):
            return Place(self.t("gln", gln=origin.strip()))
        return Place(origin)

    @staticmethod
    def _moment(timestamp: int) -> datetime:
        return datetime.fromtimestamp(timestamp, UTC)
