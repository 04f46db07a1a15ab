"""describe_stall: a stall's registered name read as its sign, place and owner."""

from __future__ import annotations

import pytest

from api.pages.stall_names import describe_stall


@pytest.mark.parametrize(
    ("name", "sign", "place", "owner"),
    [
        ("Stall A12 Fresh Greens (Wang Li)", "Stall A12 Fresh Greens", "A12", "Wang Li"),
        ("Stall B03", "Stall B03", "B03", None),
        ("A12号摊位\uff08王丽\uff09", "A12号摊位", "A12", "王丽"),
        ("매장 C7 (김민수)", "매장 C7", "C7", "김민수"),
        ("Fruit Corner", "Fruit Corner", None, None),
    ],
)
def test_describe_stall_reads_sign_place_and_owner(name: str, sign: str, place: str | None, owner: str | None) -> None:
    found = describe_stall(name)
    assert (found.sign, found.place, found.owner) == (sign, place, owner)
