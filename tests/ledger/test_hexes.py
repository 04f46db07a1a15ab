"""Ids and hashes as 0x hex: one spelling out, strict parsing in."""

from __future__ import annotations

import pytest

from ledger.hexes import from_hex, to_hex


def test_to_hex_is_lower_case_with_prefix() -> None:
    assert to_hex(b"\x12\xab") == "0x12ab"
    assert to_hex(b"") == "0x"


def test_from_hex_round_trips_and_checks_the_size() -> None:
    raw = bytes(range(32))
    assert from_hex(to_hex(raw), size=32) == raw
    assert from_hex("0xABcd") == b"\xab\xcd"
    with pytest.raises(ValueError, match="expected 32 bytes"):
        from_hex("0xabcd", size=32)


@pytest.mark.parametrize("text", ["abcd", "0xabc", "0xzz", "0X12", "", " 0x12"])
def test_from_hex_refuses_what_is_not_0x_hex(text: str) -> None:
    with pytest.raises(ValueError, match="0x followed by"):
        from_hex(text)
