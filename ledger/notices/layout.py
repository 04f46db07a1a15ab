"""The market's floor plan: where each stall is, the empty places, the entrances and the lab,
on a grid of whole units (metres, say). The market authority sets it as a JSON document; it
is checked here first: every registered stall placed exactly once and nothing else named as
a stall, every place inside the hall with a positive size, no two places overlapping, at
least one entrance on the hall's edge, and one lab.

Document::

    {"width": 40, "height": 24,
     "stalls": [{"stall": "0xA1...", "x": 2, "y": 2, "w": 6, "h": 4}, ...],
     "empty": [{"label": "C07", "x": 30, "y": 2, "w": 6, "h": 4}],
     "entrances": [{"label": "North gate", "x": 20, "y": 0}],
     "lab": {"x": 32, "y": 16, "w": 6, "h": 6}}
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from eth_utils import is_address, to_checksum_address

from ledger.errors import LedgerError

#: Largest hall side, in units, and most places (stalls, empty places, entrances) in a plan.
MAX_SIDE = 1000
MAX_PLACES = 2000
MAX_LABEL = 40
MEDIA_TYPE = "application/json"


class LayoutInvalid(LedgerError):
    """A floor plan that cannot be set; `problems` lists every reason found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Place:
    """A rectangle of the plan: a stall (`stall` its address), an empty place or the lab."""

    x: int
    y: int
    w: int
    h: int
    stall: str | None = None
    label: str | None = None

    def overlaps(self, other: Place) -> bool:
        return (
            self.x < other.x + other.w
            and other.x < self.x + self.w
            and self.y < other.y + other.h
            and (other.y < self.y + self.h)
        )


@dataclass(frozen=True)
class Entrance:
    label: str
    x: int
    y: int


@dataclass(frozen=True)
class FloorPlan:
    width: int
    height: int
    stalls: list[Place]
    empty: list[Place]
    entrances: list[Entrance]
    lab: Place

    @classmethod
    def parse(cls, document: bytes | Mapping[str, Any], registered: Iterable[str] | None = None) -> FloorPlan:
        """The plan in `document` (JSON bytes or already parsed), checked; with `registered`
        (the stalls' addresses) also that each is placed exactly once. :class:`LayoutInvalid`
        lists every problem."""
        data = _load(document)
        problems: list[str] = []
        width, height = (_whole(data.get(k), k, problems, 1, MAX_SIDE) for k in ("width", "height"))
        if problems:
            raise LayoutInvalid(problems)
        stalls = [_place(item, f"stalls[{i}]", problems, stall=True) for i, item in enumerate(_list(data, "stalls"))]
        empty = [_place(item, f"empty[{i}]", problems) for i, item in enumerate(_list(data, "empty", required=False))]
        entrances = [_entrance(item, f"entrances[{i}]", problems) for i, item in enumerate(_list(data, "entrances"))]
        lab = _place(data.get("lab"), "lab", problems)
        if len(stalls) + len(empty) + len(entrances) > MAX_PLACES:
            problems.append(f"a plan has at most {MAX_PLACES} places")
        if problems:
            raise LayoutInvalid(problems)
        plan = cls(width, height, stalls, empty, entrances, lab)
        plan._check(problems, registered)
        if problems:
            raise LayoutInvalid(problems)
        return plan

    def _check(self, problems: list[str], registered: Iterable[str] | None) -> None:
        named = [("lab", self.lab)]
        named += [(f"stall {p.stall}", p) for p in self.stalls] + [(f"empty place {p.label}", p) for p in self.empty]
        for name, place in named:
            if place.x + place.w > self.width or place.y + place.h > self.height:
                problems.append(f"{name} reaches outside the {self.width}x{self.height} hall")
        for i, (name, place) in enumerate(named):
            for other_name, other in named[i + 1 :]:
                if place.overlaps(other):
                    problems.append(f"{name} overlaps {other_name}")
        for entrance in self.entrances:
            on_edge = entrance.x in (0, self.width) or entrance.y in (0, self.height)
            inside = 0 <= entrance.x <= self.width and 0 <= entrance.y <= self.height
            if not (on_edge and inside):
                problems.append(f"entrance {entrance.label} is not on the hall's edge")
        placed = [p.stall for p in self.stalls if p.stall]
        doubled = sorted({a for a in placed if placed.count(a) > 1})
        problems += [f"stall {a} is placed more than once" for a in doubled]
        if registered is not None:
            known = {to_checksum_address(a) for a in registered}
            problems += [f"stall {a} is not a registered stall" for a in sorted(set(placed) - known)]
            problems += [f"stall {a} is not placed" for a in sorted(known - set(placed))]

    def document(self) -> bytes:
        """The canonical JSON bytes of the plan."""
        data = asdict(self)
        data["stalls"] = [{k: v for k, v in p.items() if k != "label"} for p in data["stalls"]]
        data["empty"] = [{k: v for k, v in p.items() if k != "stall"} for p in data["empty"]]
        data["lab"] = {k: data["lab"][k] for k in ("x", "y", "w", "h")}
        return json.dumps(data, sort_keys=True, ensure_ascii=False).encode()


def _load(document: bytes | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(document, bytes):
        try:
            document = json.loads(document)
        except (ValueError, UnicodeDecodeError):
            raise LayoutInvalid(["a floor plan is a JSON document"]) from None
    if not isinstance(document, Mapping):
        raise LayoutInvalid(["a floor plan is a JSON object"])
    return document


def _list(data: Mapping[str, Any], key: str, *, required: bool = True) -> list[Any]:
    value = data.get(key, None if required else [])
    if not isinstance(value, list) or (required and not value):
        raise LayoutInvalid([f"{key} must be a list" + (" with at least one entry" if required else "")])
    if len(value) > MAX_PLACES:
        raise LayoutInvalid([f"{key} has more than {MAX_PLACES} entries"])
    return value


def _whole(value: Any, what: str, problems: list[str], low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems.append(f"{what} must be a whole number from {low} to {high}")
        return low
    return value


def _label(value: Any, what: str, problems: list[str]) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_LABEL or not value.isprintable():
        problems.append(f"{what}.label must be printable text of 1 to {MAX_LABEL} characters")
        return "?"
    return value.strip()


def _place(item: Any, what: str, problems: list[str], *, stall: bool = False) -> Place:
    if not isinstance(item, Mapping):
        problems.append(f"{what} must be an object with x, y, w and h")
        return Place(0, 0, 1, 1)
    x, y = (_whole(item.get(k), f"{what}.{k}", problems, 0, MAX_SIDE) for k in ("x", "y"))
    w, h = (_whole(item.get(k), f"{what}.{k}", problems, 1, MAX_SIDE) for k in ("w", "h"))
    address = label = None
    if stall:
        value = item.get("stall")
        if isinstance(value, str) and is_address(value):
            address = to_checksum_address(value)
        else:
            problems.append(f"{what}.stall must be a stall's address (0x and 40 hex digits)")
    elif what != "lab":
        label = _label(item.get("label"), what, problems)
    return Place(x, y, w, h, stall=address, label=label)


def _entrance(item: Any, what: str, problems: list[str]) -> Entrance:
    if not isinstance(item, Mapping):
        problems.append(f"{what} must be an object with label, x and y")
        return Entrance("?", 0, 0)
    x, y = (_whole(item.get(k), f"{what}.{k}", problems, 0, MAX_SIDE) for k in ("x", "y"))
    return Entrance(_label(item.get("label"), what, problems), x, y)
