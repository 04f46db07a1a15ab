"""Identifiers in EPCIS documents: lots, sold items, participants, places, substances, events.

- A lot (GTIN + lot, GS1's traceability lot code) is the class-level identifier
  ``https://id.gs1.org/01/{GTIN-14}/10/{lot}`` (GS1 Digital Link). Capture also reads other
  hosts' Digital Links and EPC URNs ``urn:epc:class:lgtin:{company prefix}.{indicator+item}.{lot}``.
- A sold item adds the sale serial: ``https://id.gs1.org/01/{GTIN-14}/10/{lot}/21/{serial}``.
- A participant is ``urn:freshledger:participant:{checksummed address}``: stable and exact,
  unlike a GLN, which two participants may share.
- A place is ``https://id.gs1.org/414/{GLN}`` when a GLN is known; a ``geo:`` origin stays as it is.
- An event id is a ``urn:uuid`` (version 5) of the transaction hash and log index, so every
  export of the same chain event carries the same id.

Example::

    >>> lot_uri("9506000134352", "LOT/7")
    'https://id.gs1.org/01/09506000134352/10/LOT%2F7'
    >>> parse_lot_uri("urn:epc:class:lgtin:4012345.012345.998877")
    ('04012345123456', '998877')
"""

from __future__ import annotations

import re
import uuid
from functools import lru_cache
from urllib.parse import quote, unquote, urlsplit

from eth_utils import is_address, to_checksum_address

from ledger.digital_link import DigitalLink, DigitalLinkError, build_uri, parse_path
from ledger.gs1 import gtin_check_digit

#: GS1's canonical resolver host: identifiers, not pages of this market.
ID_HOST = "id.gs1.org"
PARTICIPANT_PREFIX = "urn:freshledger:participant:"
SUBSTANCE_PREFIX = "urn:freshledger:substance:"
PORT_PREFIX = "urn:freshledger:port:"
CUSTOMS_DECLARATION_PREFIX = "urn:freshledger:customs-declaration:"
#: Namespace of FreshLedger's event ids (uuid5 of "{tx hash}:{log index}").
EVENT_NAMESPACE = uuid.UUID("6f3c8f4e-2b1d-5c0a-9e7f-5a1b2c3d4e5f")

_LGTIN = re.compile(r"^urn:epc:class:lgtin:(\d{6,12})\.(\d{1,7})\.(.+)$")
_SGTIN = re.compile(r"^urn:epc:id:sgtin:(\d{6,12})\.(\d{1,7})\.(.+)$")
_GLN = re.compile(r"^\d{13}$")

#: Residue units as the labs write them -> UN/ECE Recommendation 20 codes.
UNIT_CODES = {"ug/kg": "J33", "µg/kg": "J33", "mg/kg": "NA", "mg/l": "M1", "ug/l": "KX", "ppm": "59", "ppb": "61"}


class IdentifierError(ValueError):
    """An identifier FreshLedger cannot read as one of its own kinds."""


@lru_cache(maxsize=65_536)
def lot_uri(gtin: str, lot: str) -> str:
    """The class-level Digital Link of a lot."""
    return build_uri(ID_HOST, DigitalLink(gtin, lot=lot))


def item_uri(gtin: str, lot: str, serial: int | str) -> str:
    """The instance-level Digital Link of a sold item (the sale's serial)."""
    return build_uri(ID_HOST, DigitalLink(gtin, lot=lot, serial=str(serial)))


def parse_lot_uri(uri: str) -> tuple[str, str]:
    """(GTIN-14, lot) of a Digital Link or an lgtin EPC class URN; IdentifierError otherwise.

    A Digital Link with a serial (AI 21) names an item of the lot: its lot is returned.
    """
    match = _LGTIN.match(uri)
    if match:
        prefix, item, lot = match.groups()
        return _gtin_from_epc(prefix, item), unquote(lot)
    parts = urlsplit(uri)
    if parts.scheme in ("http", "https") and "/01/" in f"{parts.path}/":
        path = parts.path[parts.path.index("/01/") :]
        try:
            link = parse_path(path)
        except DigitalLinkError as exc:
            raise IdentifierError(f"{uri!r}: {exc}") from None
        if link.lot is None:
            raise IdentifierError(f"{uri!r} names a product (GTIN) but no lot (AI 10)")
        return link.gtin, link.lot
    if _SGTIN.match(uri):
        raise IdentifierError(f"{uri!r} is a serialised item without a lot (sgtin): FreshLedger records lots")
    raise IdentifierError(f"{uri!r} is not a GS1 Digital Link with a lot nor an lgtin EPC class URN")


def _gtin_from_epc(company_prefix: str, item_reference: str) -> str:
    if len(company_prefix) + len(item_reference) != 13:
        raise IdentifierError("company prefix and item reference of an lgtin must have 13 digits together")
    body = item_reference[0] + company_prefix + item_reference[1:]
    return body + str(gtin_check_digit(body))


@lru_cache(maxsize=65_536)
def participant_uri(address: str) -> str:
    # Cached: checksumming (a keccak) dominated an export, and a market has few participants.
    return PARTICIPANT_PREFIX + to_checksum_address(address)


def parse_participant_uri(uri: str) -> str | None:
    """The address a participant URN names, or None when `uri` is not one."""
    if not uri.startswith(PARTICIPANT_PREFIX):
        return None
    address = uri[len(PARTICIPANT_PREFIX) :]
    return to_checksum_address(address) if is_address(address) else None


def is_gln(value: str | None) -> bool:
    return bool(value and _GLN.match(value) and gtin_check_digit(value[:-1]) == int(value[-1]))


def party_gln_uri(gln: str) -> str:
    """A party's GLN as a Digital Link (AI 417)."""
    return f"https://{ID_HOST}/417/{gln}"


def parse_party_gln(uri: str) -> str | None:
    """The GLN of a party Digital Link (AI 417) or a pgln EPC URN is not readable without the
    company prefix length, so only the Digital Link form is read; None otherwise."""
    parts = urlsplit(uri)
    match = re.match(r"^/417/(\d{13})$", parts.path)
    return match.group(1) if parts.scheme in ("http", "https") and match and is_gln(match.group(1)) else None


def place_uri(place: str | None, fallback_address: str | None = None) -> str | None:
    """A location URI: a GLN as a Digital Link (AI 414), a URI as it is, else the party's URN."""
    if place and is_gln(place):
        return f"https://{ID_HOST}/414/{place}"
    if place and re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$", place):
        return place
    return participant_uri(fallback_address) if fallback_address else None


def parse_place(uri: str) -> str:
    """The origin text FreshLedger records for a location URI (a GLN, or the URI itself)."""
    parts = urlsplit(uri)
    match = re.match(r"^/414/(\d{13})$", parts.path)
    if parts.scheme in ("http", "https") and match:
        return match.group(1)
    return uri


def port_uri(port: str) -> str:
    """A port of entry (UN/LOCODE such as CNNGB)."""
    return PORT_PREFIX + quote(port, safe="")


def country_uri(alpha2: str) -> str:
    """A country of origin: ISO's own page of the ISO 3166-1 code (GS1 has no country URI)."""
    return f"https://www.iso.org/obp/ui/#iso:code:3166:{alpha2.upper()}"


def customs_declaration_uri(number: str) -> str:
    return CUSTOMS_DECLARATION_PREFIX + quote(number, safe="")


def substance_uri(name: str) -> str:
    """A residue substance by name (labs record names, not InChIKeys)."""
    return SUBSTANCE_PREFIX + quote(name.strip().lower(), safe="")


def unit_code(unit: str) -> str:
    """A residue unit as a UN/ECE Rec 20 code (``ug/kg`` -> ``J33``); unknown units unchanged."""
    return UNIT_CODES.get(unit.strip().lower(), unit)


def event_id(tx_hash: str, log_index: int) -> str:
    """The deterministic id of the EPCIS event made from log `log_index` of `tx_hash`."""
    return f"urn:uuid:{uuid.uuid5(EVENT_NAMESPACE, f'{tx_hash.lower()}:{log_index}')}"
