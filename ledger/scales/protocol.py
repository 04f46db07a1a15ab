"""The scale protocol, version 1: topics and JSON payloads, checked as hostile input.

Topics (``{stall}`` is the vendor's checksummed address, ``{scale}`` the scale's id)::

    freshledger/v1/stalls/{stall}/scales/{scale}/weighings   scale -> gateway, QoS 1
    freshledger/v1/stalls/{stall}/scales/{scale}/replies     gateway -> scale, QoS 1
                                                             (a receipt or a refusal; later,
                                                             for a receipt, perhaps its void)
    freshledger/v1/stalls/{stall}/scales/{scale}/blocks      gateway -> scale, QoS 1, retained

A weighing (at most ``MAX_PAYLOAD`` bytes of UTF-8 JSON, one flat object)::

    {"v": 1, "scale_id": "s1", "seq": 42, "plu": 3, "net": 2, "unit": "KGM",
     "unit_price": 1200, "total": 2400, "currency": "CNY", "scale_time": "2026-12-06T07:00:00Z"}

``net`` is a whole number of ``unit`` (KGM, GRM or H87); ``unit_price`` is in minor units of
``currency`` per kilogram (per piece for H87) and ``total`` in minor units; ``seq`` counts the
scale's weighings from 1 and never repeats (a resend carries the same number).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import orjson

from ledger.json_depth import json_depth

VERSION = 1
PREFIX = f"freshledger/v{VERSION}/stalls"
#: Largest payload a scale may send; a weighing is some 200 bytes.
MAX_PAYLOAD = 1024
SCALE_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
#: Grams in one of each mass unit the scales send; H87 (pieces) counts as itself.
GRAMS = {"GRM": 1, "KGM": 1000}
UNITS = (*GRAMS, "H87")
FIELDS = {"v", "scale_id", "seq", "plu", "net", "unit", "unit_price", "total", "currency", "scale_time"}
MAX_SEQ = 2**53
MAX_AMOUNT = 10**12


class BadWeighing(ValueError):
    """A weighing the gateway cannot take; ``reason`` is the refusal's name."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


def weighings_topic(stall: str, scale_id: str) -> str:
    return f"{PREFIX}/{stall}/scales/{scale_id}/weighings"


def replies_topic(stall: str, scale_id: str) -> str:
    return f"{PREFIX}/{stall}/scales/{scale_id}/replies"


def blocks_topic(stall: str, scale_id: str) -> str:
    return f"{PREFIX}/{stall}/scales/{scale_id}/blocks"


#: What the gateway subscribes to.
ALL_WEIGHINGS = f"{PREFIX}/+/scales/+/weighings"


def parse_topic(topic: str) -> tuple[str, str] | None:
    """(stall, scale id) of a weighings topic, or None for any other topic."""
    parts = topic.split("/")
    if len(parts) != 7 or "/".join(parts[:3]) != PREFIX or parts[4] != "scales" or parts[6] != "weighings":
        return None
    stall, scale_id = parts[3], parts[5]
    if not ADDRESS.match(stall) or not SCALE_ID.match(scale_id):
        return None
    return stall, scale_id


@dataclass(frozen=True)
class Weighing:
    scale_id: str
    seq: int
    plu: int
    net: int
    unit: str
    unit_price: int
    total: int
    currency: str
    scale_time: str

    def to_json(self) -> dict[str, Any]:
        return {"v": VERSION, **asdict(self)}

    def payload(self) -> bytes:
        return orjson.dumps(self.to_json())


def _int(body: dict[str, Any], name: str, low: int, high: int) -> int:
    value = body.get(name)
    if type(value) is not int or not low <= value <= high:
        raise BadWeighing("InvalidField", f"{name} must be a whole number from {low} to {high}")
    return value


def _text(body: dict[str, Any], name: str, pattern: re.Pattern[str]) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not pattern.match(value):
        raise BadWeighing("InvalidField", f"{name} is missing or malformed")
    return value


def parse_weighing(payload: bytes) -> Weighing:
    """A weighing from a scale's payload; BadWeighing says what is wrong with it."""
    if len(payload) > MAX_PAYLOAD:
        raise BadWeighing("PayloadTooLarge", f"a weighing is at most {MAX_PAYLOAD} bytes")
    if json_depth(payload) > 1:  # one flat object: measured before parsing, without recursion
        raise BadWeighing("InvalidPayload", "a weighing is one flat JSON object")
    try:
        body = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise BadWeighing("InvalidPayload", "the payload is not JSON") from None
    if not isinstance(body, dict):
        raise BadWeighing("InvalidPayload", "a weighing is a JSON object")
    unknown = set(body) - FIELDS
    if unknown:
        raise BadWeighing("InvalidField", f"unknown fields: {', '.join(sorted(unknown)[:5])[:100]}")
    if body.get("v") != VERSION:
        raise BadWeighing("UnsupportedVersion", f"this gateway speaks version {VERSION}")
    unit = body.get("unit")
    if unit not in UNITS:
        raise BadWeighing("InvalidField", f"unit must be one of {', '.join(UNITS)}")
    scale_time = body.get("scale_time")
    if not isinstance(scale_time, str) or len(scale_time) > 40:
        raise BadWeighing("InvalidField", "scale_time must be an ISO 8601 date and time")
    try:
        datetime.fromisoformat(scale_time)
    except ValueError:
        raise BadWeighing("InvalidField", "scale_time must be an ISO 8601 date and time") from None
    weighing = Weighing(
        scale_id=_text(body, "scale_id", SCALE_ID),
        seq=_int(body, "seq", 1, MAX_SEQ),
        plu=_int(body, "plu", 1, 9999),
        net=_int(body, "net", 1, MAX_AMOUNT),
        unit=unit,
        unit_price=_int(body, "unit_price", 0, MAX_AMOUNT),
        total=_int(body, "total", 0, MAX_AMOUNT),
        currency=_text(body, "currency", CURRENCY),
        scale_time=scale_time,
    )
    if abs(weighing.total - expected_total(weighing.net, weighing.unit, weighing.unit_price)) > 1:
        raise BadWeighing("TotalMismatch", "total is not net times unit_price")
    return weighing


def expected_total(net: int, unit: str, unit_price: int) -> int:
    """The total of `net` `unit` at `unit_price` per kilogram (per piece), rounded half up."""
    if unit == "H87":
        return net * unit_price
    return (net * GRAMS[unit] * unit_price + 500) // 1000


def sale_quantity(net: int, unit: str, batch_unit: str) -> int | None:
    """`net` `unit` as a whole number of the batch's unit, or None when it is not whole (the
    ledger records whole units) or the units differ in kind."""
    if unit == batch_unit:
        return net
    if unit in GRAMS and batch_unit in GRAMS:
        grams = net * GRAMS[unit]
        whole, rest = divmod(grams, GRAMS[batch_unit])
        return whole if rest == 0 else None
    return None


def seq_of(payload: bytes) -> int | None:
    """The sequence number of a payload too broken to take, to address the refusal; or None."""
    if len(payload) > MAX_PAYLOAD or json_depth(payload) > 1:
        return None
    try:
        body = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    seq = body.get("seq") if isinstance(body, dict) else None
    return seq if type(seq) is int and 1 <= seq <= MAX_SEQ else None


def refusal(seq: int | None, reason: str, message: str) -> dict[str, Any]:
    """A reply telling the scale its weighing was not sold (the scale shows `message`)."""
    return {"v": VERSION, "type": "refusal", "seq": seq, "reason": reason, "message": message[:300]}


def void(receipt: dict[str, Any], reason: str, message: str) -> dict[str, Any]:
    """A reply taking back `receipt` (answered before its sale was on the chain): the chain
    refused the sale, so nothing was sold and the receipt's Digital Link will never name a
    sale (its serial is never given to another)."""
    return {
        "v": VERSION,
        "type": "void",
        "seq": receipt["seq"],
        "serial": receipt["serial"],
        "digital_link": receipt["digital_link"],
        "reason": reason,
        "message": message[:300],
    }


def blocks(blocked: dict[int, str], at: float) -> dict[str, Any]:
    """The retained list of keys a scale must not sell, each with why."""
    return {
        "v": VERSION,
        "type": "blocks",
        "blocked": [{"plu": plu, "reason": why} for plu, why in sorted(blocked.items())],
        "at": at,
    }
