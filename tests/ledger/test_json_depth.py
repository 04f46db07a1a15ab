"""The JSON depth bound: measured without recursion, strings are text, never less than the parser sees."""

from __future__ import annotations

import json

import pytest

from ledger.json_depth import JsonTooDeep, check_json_depth, json_depth


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        (b"", 0),
        (b"17", 0),
        (b"[]", 1),
        (b'{"a": [1, {"b": []}]}', 4),
        (b'["[[[[", "{{{{"]', 1),  # brackets inside strings are text
        (rb'["\"[[[", "\\", [2]]', 2),  # escaped quotes and backslashes do not end a string early
        ('{"名前": ["産地"]}'.encode(), 2),
        (b'["open string [[[', 4),  # an unterminated string: what follows counts (more, never less)
    ],
)
def test_json_depth_counts_structure_not_strings(text: bytes, depth: int) -> None:
    assert json_depth(text) == depth


def test_json_depth_agrees_with_the_parser_on_real_documents() -> None:
    document = {"epcisBody": {"eventList": [{"sensorElementList": [{"sensorReport": [{"value": 1}]}]}]}}
    assert json_depth(json.dumps(document)) == 8


def test_check_json_depth_refuses_deep_nesting_without_recursing() -> None:
    check_json_depth(b"[" * 64 + b"]" * 64, 64)
    with pytest.raises(JsonTooDeep, match="deeper than 64"):
        check_json_depth(b"[" * 65 + b"]" * 65, 64)
    with pytest.raises(JsonTooDeep):
        check_json_depth(b"[" * 1_000_000, 64)  # would segfault json.loads under py_ecc's limit
    with pytest.raises(JsonTooDeep):
        check_json_depth(b'{"a":' * 100_000, 64)
