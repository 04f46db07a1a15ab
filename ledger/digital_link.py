"""GS1 Digital Link URIs of sales: what every sale's QR code carries and the resolver reads back.

A sale is identified by its GTIN, lot (AI 10) and sale serial (AI 21)::

    https://{host}/01/{GTIN-14}/10/{lot}/21/{serial}

Rules applied here (GS1 Digital Link: URI Syntax):

- the GTIN is always written as 14 digits; GTIN-8, -12 and -13 are left-padded with zeros;
- lot and serial are 1-20 characters of the GS1 AI encodable character set 82 (CSET 82);
- in the URI every value character that is not an RFC 3986 unreserved character is
  percent-encoded (``/`` becomes ``%2F``, ``!`` becomes ``%21``), so ``-``, ``.``, ``_``,
  letters and digits stay as they are;
- key qualifiers follow the GTIN in GS1 order (10 before 21), each at most once, so
  ``/01/{gtin}``, ``/01/{gtin}/10/{lot}``, ``/01/{gtin}/21/{serial}`` and the full form
  are all valid paths.

Example::

    >>> link = DigitalLink("9506000134352", lot="LOT/7", serial="12")
    >>> build_uri("market.example", link)
    'https://market.example/01/09506000134352/10/LOT%2F7/21/12'
    >>> parse_path("/01/09506000134352/10/LOT%2F7/21/12") == link
    True
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from ledger.errors import LedgerError
from ledger.gs1 import GTIN_LENGTHS, gtin_check_digit

GTIN_AI = "01"
LOT_AI = "10"
SERIAL_AI = "21"
#: Key qualifiers of a GTIN in the order GS1 requires them; only lot and serial mean
#: something to FreshLedger (a sale is GTIN + lot + serial).
QUALIFIER_ORDER = (LOT_AI, SERIAL_AI)
#: AIs that GS1 allows in a GTIN path but FreshLedger does not use: named in the error so
#: that a client learns the URI is valid GS1 yet not one of ours.
UNSUPPORTED_QUALIFIERS = {"22": "consumer product variant", "235": "third-party controlled serial"}
#: AI 10 and AI 21 are both X..20 in the GS1 General Specifications.
MAX_VALUE_LENGTH = 20

#: GS1 AI encodable character set 82: digits, both alphabets and 20 symbols.
CSET_82 = frozenset(string.ascii_letters + string.digits + "!\"%&'()*+,-./:;<=>?_")
# What a path segment may hold unencoded: RFC 3986 `pchar`. GS1 asks for the sub-delims
# to be percent-encoded, but a resolver should not refuse a URI that a browser or a scanner
# app passes on as it is; the decoded value is then checked against CSET 82 ("~" is not in it).
_RAW_PATH_CHARS = frozenset(string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@")
_PERCENT_ESCAPE = re.compile(r"%(?:[0-9A-Fa-f]{2})?")

Reason = Literal["syntax", "unknown_ai", "gtin", "check_digit", "lot_length", "serial_length", "charset"]


class DigitalLinkError(LedgerError, ValueError):
    """A Digital Link path or value is not valid; ``reason`` says which rule it breaks.

    Raised for what a client sent, so the API answers it with HTTP 400.
    """

    def __init__(self, reason: Reason, message: str) -> None:
        self.reason = reason
        super().__init__(message)


@dataclass(frozen=True)
class DigitalLink:
    """GTIN (kept as GTIN-14), optional lot (AI 10) and optional serial (AI 21).

    Validated on construction; a GTIN-8/12/13 is normalized to 14 digits.
    """

    gtin: str
    lot: str | None = None
    serial: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "gtin", _checked_gtin(self.gtin))
        if self.lot is not None:
            _check_value("lot", "lot_length", self.lot)
        if self.serial is not None:
            _check_value("serial", "serial_length", self.serial)

    @property
    def path(self) -> str:
        """The URI path: ``/01/{gtin}`` then ``/10/{lot}`` and ``/21/{serial}`` when present."""
        parts = [GTIN_AI, self.gtin]
        for ai, value in ((LOT_AI, self.lot), (SERIAL_AI, self.serial)):
            if value is not None:
                # safe="" leaves only RFC 3986 unreserved characters unencoded; of those,
                # CSET 82 has letters, digits, "-", "." and "_" (no "~").
                parts += [ai, quote(value, safe="")]
        return "/" + "/".join(parts)


def build_uri(host: str, link: DigitalLink, scheme: str = "https") -> str:
    """The Digital Link URI of `link` on `host` (a host name or ``host:port``).

    ValueError for a host or scheme that would make another URI than intended: this is a
    configuration mistake, not a client's, so it is not a DigitalLinkError.
    """
    if scheme not in ("https", "http"):
        raise ValueError(f"scheme must be https or http, got {scheme!r}")
    if not host or any(ch in host for ch in "/?#@\\") or any(ch.isspace() for ch in host):
        raise ValueError(f"host must be a bare host name or host:port, got {host!r}")
    return f"{scheme}://{host}{link.path}"


def parse_path(path: str) -> DigitalLink:
    """The DigitalLink in a raw, still percent-encoded URI path such as ``/01/{gtin}/10/{lot}``.

    Pass the path as received (ASGI ``raw_path``), not a decoded one: after decoding, a
    ``%2F`` inside a lot would be taken for a segment separator. The path must start at
    the ``/01/`` segment and carry no query string or fragment.
    """
    if "?" in path or "#" in path:
        raise DigitalLinkError("syntax", f"expected a path without query string or fragment, got {path!r}")
    if not path.startswith("/"):
        raise DigitalLinkError("syntax", f"a Digital Link path starts with '/', got {path!r}")
    segments = path[1:].split("/")
    if "" in segments:
        raise DigitalLinkError("syntax", f"empty path segment in {path!r} (doubled or trailing '/')")
    if len(segments) % 2:
        raise DigitalLinkError("syntax", f"AI {segments[-1]!r} has no value in {path!r}")

    (primary, gtin), *qualifiers = zip(segments[::2], segments[1::2], strict=True)
    if primary != GTIN_AI:
        raise DigitalLinkError(
            "unknown_ai", f"primary key AI {primary!r} is not supported: FreshLedger links start with /01/ (GTIN)"
        )
    values: dict[str, str] = {}
    for ai, raw in qualifiers:
        _check_qualifier_position(ai, values)
        values[ai] = _decode("lot" if ai == LOT_AI else "serial", raw)
    return DigitalLink(_decode("GTIN", gtin), lot=values.get(LOT_AI), serial=values.get(SERIAL_AI))


def _check_qualifier_position(ai: str, seen: dict[str, str]) -> None:
    """Known qualifier, not repeated, and after every qualifier GS1 puts before it."""
    if ai in UNSUPPORTED_QUALIFIERS:
        raise DigitalLinkError(
            "unknown_ai", f"AI {ai} ({UNSUPPORTED_QUALIFIERS[ai]}) is not supported: only 10 (lot) and 21 (serial)"
        )
    if ai not in QUALIFIER_ORDER:
        raise DigitalLinkError("unknown_ai", f"unknown AI {ai!r} after the GTIN: only 10 (lot) and 21 (serial)")
    if ai in seen:
        raise DigitalLinkError("syntax", f"AI {ai} appears twice")
    later = QUALIFIER_ORDER[QUALIFIER_ORDER.index(ai) + 1 :]
    if any(other in seen for other in later):
        raise DigitalLinkError("syntax", f"AI {ai} must come before AI {', '.join(later)} (GS1 qualifier order)")


def _decode(field: str, raw: str) -> str:
    """Strict percent-decoding of one path segment: malformed escapes are refused, not kept."""
    for match in _PERCENT_ESCAPE.finditer(raw):
        if len(match.group()) != 3:
            raise DigitalLinkError("syntax", f"malformed percent-encoding in {field} {raw!r}")
    unencoded = set(_PERCENT_ESCAPE.sub("", raw)) - _RAW_PATH_CHARS
    if unencoded:
        raise DigitalLinkError(
            "charset", f"{field} {raw!r} has characters a path cannot carry unencoded: {_listed(unencoded)}"
        )
    data = bytearray()
    pos = 0
    for match in _PERCENT_ESCAPE.finditer(raw):
        data += raw[pos : match.start()].encode("ascii")
        data.append(int(match.group()[1:], 16))
        pos = match.end()
    data += raw[pos:].encode("ascii")
    # Bytes outside ASCII are never CSET 82; decode leniently so the error can show them.
    return data.decode("utf-8", errors="replace")


def _checked_gtin(gtin: str) -> str:
    if not (gtin.isascii() and gtin.isdigit() and len(gtin) in GTIN_LENGTHS):
        raise DigitalLinkError("gtin", f"GTIN must be 8, 12, 13 or 14 digits, got {gtin!r}")
    expected = gtin_check_digit(gtin[:-1])
    if int(gtin[-1]) != expected:
        raise DigitalLinkError("check_digit", f"GTIN {gtin} has a wrong check digit: {gtin[-1]}, expected {expected}")
    return gtin.zfill(14)


def _check_value(field: str, length_reason: Reason, value: str) -> None:
    if not 1 <= len(value) <= MAX_VALUE_LENGTH:
        raise DigitalLinkError(
            length_reason, f"{field} must be 1-{MAX_VALUE_LENGTH} characters, got {len(value)}: {value!r}"
        )
    outside = set(value) - CSET_82
    if outside:
        raise DigitalLinkError(
            "charset", f"{field} {value!r} has characters outside GS1 AI character set 82: {_listed(outside)}"
        )


def _listed(chars: set[str]) -> str:
    return " ".join(repr(ch) for ch in sorted(chars))
