"""GS1 Digital Link paths and URIs: building, parsing, percent-encoding and every refusal."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.digital_link import CSET_82, DigitalLink, DigitalLinkError, build_uri, parse_path
from ledger.errors import LedgerError

GTIN = "09506000134352"  # GS1's example GTIN


def fullwidth(digits: str) -> str:
    """`digits` as FULLWIDTH DIGITs: str.isdigit() says yes, GS1 says no."""
    return "".join(chr(0xFF10 + int(d)) for d in digits)


FULLWIDTH_12 = fullwidth("12")


def test_build_uri_writes_gtin_lot_and_serial() -> None:
    link = DigitalLink(GTIN, lot="ABC123", serial="12")
    assert build_uri("market.example", link) == f"https://market.example/01/{GTIN}/10/ABC123/21/12"
    assert build_uri("127.0.0.1:8000", link, scheme="http") == f"http://127.0.0.1:8000/01/{GTIN}/10/ABC123/21/12"


@pytest.mark.parametrize(
    ("gtin", "gtin14"),
    [("96385074", "00000096385074"), ("036000291452", "00036000291452"), ("9506000134352", GTIN), (GTIN, GTIN)],
)
def test_digital_link_pads_gtin_to_14_digits(gtin: str, gtin14: str) -> None:
    link = DigitalLink(gtin, lot="L1", serial="1")
    assert link.gtin == gtin14
    assert build_uri("m.example", link) == f"https://m.example/01/{gtin14}/10/L1/21/1"
    assert parse_path(f"/01/{gtin}/10/L1/21/1") == link


# Every CSET 82 symbol and its form in the URI: the RFC 3986 unreserved ones stay.
SYMBOL_ENCODINGS = {
    "!": "%21", '"': "%22", "%": "%25", "&": "%26", "'": "%27", "(": "%28", ")": "%29", "*": "%2A",
    "+": "%2B", ",": "%2C", "-": "-", ".": ".", "/": "%2F", ":": "%3A", ";": "%3B", "<": "%3C",
    "=": "%3D", ">": "%3E", "?": "%3F", "_": "_",
}  # fmt: skip


def test_symbol_table_covers_cset_82() -> None:
    assert set(SYMBOL_ENCODINGS) | set(string.ascii_letters + string.digits) == CSET_82
    assert len(CSET_82) == 82


@pytest.mark.parametrize(("symbol", "encoded"), SYMBOL_ENCODINGS.items())
def test_build_uri_percent_encodes_reserved_characters(symbol: str, encoded: str) -> None:
    link = DigitalLink(GTIN, lot=f"A{symbol}1", serial=f"{symbol}9")
    assert link.path == f"/01/{GTIN}/10/A{encoded}1/21/{encoded}9"
    assert parse_path(link.path) == link


def test_parse_path_full_and_short_forms() -> None:
    assert parse_path(f"/01/{GTIN}") == DigitalLink(GTIN)
    assert parse_path(f"/01/{GTIN}/10/LOT%2F7") == DigitalLink(GTIN, lot="LOT/7")
    assert parse_path(f"/01/{GTIN}/21/12") == DigitalLink(GTIN, serial="12")
    assert parse_path(f"/01/{GTIN}/10/LOT%2F7/21/12") == DigitalLink(GTIN, lot="LOT/7", serial="12")


def test_parse_path_accepts_lower_case_escapes_and_unencoded_sub_delims() -> None:
    # What scanner apps and browsers may send instead of the canonical form.
    assert parse_path(f"/01/{GTIN}/10/a%2fb%2D").lot == "a/b-"
    assert parse_path(f"/01/{GTIN}/10/A!(1)*,;=:/21/x+y&'z").lot == "A!(1)*,;=:"
    assert parse_path(f"/01/{GTIN}/10/A!(1)*,;=:/21/x+y&'z").serial == "x+y&'z"


def test_parse_path_reads_what_build_uri_writes_for_every_cset_82_character() -> None:
    chars = "".join(sorted(CSET_82))
    for start in range(0, len(chars), 20):
        link = DigitalLink(GTIN, lot=chars[start : start + 20], serial=chars[::-1][start : start + 20])
        uri = build_uri("market.example", link)
        assert parse_path(uri.removeprefix("https://market.example")) == link


cset82_values = st.text(alphabet=sorted(CSET_82), min_size=1, max_size=20)


@given(lot=st.none() | cset82_values, serial=st.none() | cset82_values)
def test_parse_path_round_trips_any_lot_and_serial(lot: str | None, serial: str | None) -> None:
    link = DigitalLink(GTIN, lot=lot, serial=serial)
    assert parse_path(link.path) == link


def test_digital_link_error_is_a_value_error_and_a_ledger_error() -> None:
    with pytest.raises(DigitalLinkError) as caught:
        parse_path("/01/09506000134353")
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, LedgerError)


@pytest.mark.parametrize(
    ("path", "reason", "message"),
    [
        ("", "syntax", "a Digital Link path starts with '/', got ''"),
        (f"01/{GTIN}", "syntax", f"a Digital Link path starts with '/', got '01/{GTIN}'"),
        ("/", "syntax", "empty path segment in '/' (doubled or trailing '/')"),
        (f"/01/{GTIN}/", "syntax", f"empty path segment in '/01/{GTIN}/' (doubled or trailing '/')"),
        (f"/01//{GTIN}", "syntax", f"empty path segment in '/01//{GTIN}' (doubled or trailing '/')"),
        ("/01", "syntax", "AI '01' has no value in '/01'"),
        (f"/01/{GTIN}/10", "syntax", f"AI '10' has no value in '/01/{GTIN}/10'"),
        (
            f"/01/{GTIN}?17=261231",
            "syntax",
            f"expected a path without query string or fragment, got '/01/{GTIN}?17=261231'",
        ),
        (f"/01/{GTIN}#x", "syntax", f"expected a path without query string or fragment, got '/01/{GTIN}#x'"),
        (f"/01/{GTIN}/10/A%2", "syntax", "malformed percent-encoding in lot 'A%2'"),
        (f"/01/{GTIN}/10/A%G1", "syntax", "malformed percent-encoding in lot 'A%G1'"),
        (f"/01/{GTIN}/21/%", "syntax", "malformed percent-encoding in serial '%'"),
        (f"/01/{GTIN}/10/A/10/B", "syntax", "AI 10 appears twice"),
        (f"/01/{GTIN}/21/1/10/A", "syntax", "AI 10 must come before AI 21 (GS1 qualifier order)"),
        (
            "/00/106141411234567897",
            "unknown_ai",
            "primary key AI '00' is not supported: FreshLedger links start with /01/ (GTIN)",
        ),
        (
            f"/gtin/{GTIN}",
            "unknown_ai",
            "primary key AI 'gtin' is not supported: FreshLedger links start with /01/ (GTIN)",
        ),
        (
            f"/01/{GTIN}/22/V1",
            "unknown_ai",
            "AI 22 (consumer product variant) is not supported: only 10 (lot) and 21 (serial)",
        ),
        (f"/01/{GTIN}/99/X", "unknown_ai", "unknown AI '99' after the GTIN: only 10 (lot) and 21 (serial)"),
        ("/01/123", "gtin", "GTIN must be 8, 12, 13 or 14 digits, got '123'"),
        ("/01/0950600013435X", "gtin", "GTIN must be 8, 12, 13 or 14 digits, got '0950600013435X'"),
        ("/01/09506000134353", "check_digit", "GTIN 09506000134353 has a wrong check digit: 3, expected 2"),
        ("/01/96385075", "check_digit", "GTIN 96385075 has a wrong check digit: 5, expected 4"),
        (f"/01/{GTIN}/10/{'L' * 21}", "lot_length", f"lot must be 1-20 characters, got 21: '{'L' * 21}'"),
        (f"/01/{GTIN}/10/A/21/{'9' * 21}", "serial_length", f"serial must be 1-20 characters, got 21: '{'9' * 21}'"),
        (f"/01/{GTIN}/10/a%20b", "charset", "lot 'a b' has characters outside GS1 AI character set 82: ' '"),
        (f"/01/{GTIN}/10/a~b", "charset", "lot 'a~b' has characters outside GS1 AI character set 82: '~'"),
        (f"/01/{GTIN}/21/a@b", "charset", "serial 'a@b' has characters outside GS1 AI character set 82: '@'"),
        (f"/01/{GTIN}/10/%C3%A9", "charset", "lot 'é' has characters outside GS1 AI character set 82: 'é'"),
        (f"/01/{GTIN}/10/a b", "charset", "lot 'a b' has characters a path cannot carry unencoded: ' '"),
        (f"/01/{GTIN}/10/<é>", "charset", "lot '<é>' has characters a path cannot carry unencoded: '<' '>' 'é'"),
    ],
)
def test_parse_path_rejects(path: str, reason: str, message: str) -> None:
    with pytest.raises(DigitalLinkError) as caught:
        parse_path(path)
    assert caught.value.reason == reason
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("kwargs", "reason", "message"),
    [
        ({"lot": ""}, "lot_length", "lot must be 1-20 characters, got 0: ''"),
        ({"serial": ""}, "serial_length", "serial must be 1-20 characters, got 0: ''"),
        (
            {"serial": FULLWIDTH_12},
            "charset",
            f"serial {FULLWIDTH_12!r} has characters outside GS1 AI character set 82: '\uff11' '\uff12'",
        ),
    ],
)
def test_digital_link_rejects_invalid_values(kwargs: dict[str, str], reason: str, message: str) -> None:
    with pytest.raises(DigitalLinkError) as caught:
        DigitalLink(GTIN, **kwargs)
    assert (caught.value.reason, str(caught.value)) == (reason, message)


def test_digital_link_rejects_fullwidth_gtin_digits() -> None:
    with pytest.raises(DigitalLinkError) as caught:
        DigitalLink(fullwidth(GTIN))
    assert caught.value.reason == "gtin"


@pytest.mark.parametrize(
    ("host", "scheme", "message"),
    [
        ("", "https", "host must be a bare host name or host:port, got ''"),
        ("market.example/shop", "https", "host must be a bare host name or host:port, got 'market.example/shop'"),
        ("user@market.example", "https", "host must be a bare host name or host:port, got 'user@market.example'"),
        ("market example", "https", "host must be a bare host name or host:port, got 'market example'"),
        ("market.example", "ftp", "scheme must be https or http, got 'ftp'"),
    ],
)
def test_build_uri_rejects_a_host_or_scheme_that_changes_the_uri(host: str, scheme: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        build_uri(host, DigitalLink(GTIN), scheme=scheme)
    assert not isinstance(caught.value, DigitalLinkError)  # a configuration error, not a client's
    assert str(caught.value) == message
