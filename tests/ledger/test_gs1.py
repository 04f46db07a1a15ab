"""GTIN check digits in Python (the edge) and their examples from GS1."""

from __future__ import annotations

import pytest

from ledger.gs1 import gtin_check_digit, is_valid_gtin, make_gtin, normalize_gtin


@pytest.mark.parametrize("gtin", ["09506000134352", "9506000134352", "96385074", "036000291452", "00012345600012"])
def test_valid_gtins(gtin: str) -> None:
    assert is_valid_gtin(gtin)
    assert normalize_gtin(gtin) == gtin.zfill(14)


@pytest.mark.parametrize("gtin", ["09506000134353", "950600013435", "12345", "abcdefghijklm", ""])
def test_invalid_gtins(gtin: str) -> None:
    assert not is_valid_gtin(gtin)
    with pytest.raises(ValueError):
        normalize_gtin(gtin)


def test_make_gtin_appends_check_digit() -> None:
    assert make_gtin("0950600013435") == "09506000134352"
    assert gtin_check_digit("629104150021") == 3  # GS1 check digit calculator example
