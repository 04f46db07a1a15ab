"""A stall's registered name read as the market's signs write it: its sign, its place in the
market and its owner.

Participants have no location field on-chain (``ParticipantRegistered`` carries a name and a
GLN or licence number), so the market authority writes a stall's place and owner into its
name: ``Stall A12 Fresh Greens (Wang Li)`` is place ``A12``, owner ``Wang Li``, sign ``Stall
A12 Fresh Greens``. The pages and the regulators' JSON show them; the queries keep the name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ledger.queries.views import StallEntry

# "Stall A12 ...", "摊位 A12", "A12号摊位", "매장 A12": a row letter or two and a number.
_PLACE = re.compile(r"(?:stall|摊位|摊|档口|매장|점포)\s*(?:no\.?\s*)?([A-Z]{1,2}-?\d{1,4})\b", re.IGNORECASE)
_PLACE_BEFORE = re.compile(r"\b([A-Z]{1,2}-?\d{1,4})\s*号?(?:摊位|档口)")
# A trailing "(Wang Li)", or the same in full-width parentheses (U+FF08, U+FF09).
_OWNER = re.compile(r"\s*[(\uff08]([^()\uff08\uff09]+)[)\uff09]\s*$")


@dataclass(frozen=True)
class StallName:
    """A stall's registered name read as its sign, its place in the market and its owner."""

    sign: str
    place: str | None
    owner: str | None


def describe_stall(name: str) -> StallName:
    """A stall's sign, place and owner read from its registered name (see the module notes).

    >>> describe_stall("Stall A12 Fresh Greens (Wang Li)")
    StallName(sign='Stall A12 Fresh Greens', place='A12', owner='Wang Li')
    >>> describe_stall("Fruit Corner")
    StallName(sign='Fruit Corner', place=None, owner=None)
    """
    sign, owner = name.strip(), None
    if match := _OWNER.search(sign):
        owner, sign = match.group(1).strip(), sign[: match.start()].strip() or sign
    match = _PLACE.search(sign) or _PLACE_BEFORE.search(sign)
    return StallName(sign, match.group(1).upper() if match else None, owner)


def place_order(entry: StallEntry) -> tuple[bool, str, str, str]:
    """Sort key of a stall: by its place in the market (stalls without one last), then by
    sign and address."""
    named = describe_stall(entry.name)
    return named.place is None, named.place or "", named.sign, entry.address
