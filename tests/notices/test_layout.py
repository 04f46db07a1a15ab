"""FloorPlan.parse: what a plan must be (every registered stall once, in the hall, no overlap,
entrances on the edge, a lab), every problem named; and NoticeText: languages, lengths, the
canonical document."""

from __future__ import annotations

import json

import pytest

from ledger.notices import FloorPlan, LayoutInvalid, NoticeInvalid, NoticeText

A = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
B = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"


def plan(**changes: object) -> dict:
    base = {
        "width": 20,
        "height": 10,
        "stalls": [{"stall": A, "x": 0, "y": 0, "w": 4, "h": 3}, {"stall": B.lower(), "x": 5, "y": 0, "w": 4, "h": 3}],
        "empty": [{"label": "C1", "x": 10, "y": 0, "w": 4, "h": 3}],
        "entrances": [{"label": "Gate", "x": 0, "y": 5}],
        "lab": {"x": 15, "y": 5, "w": 5, "h": 5},
    }
    return {**base, **changes}


def test_a_good_plan_parses_and_round_trips_through_its_document() -> None:
    parsed = FloorPlan.parse(plan(), registered=[A, B])
    assert [p.stall for p in parsed.stalls] == [A, B]  # checksummed
    again = FloorPlan.parse(parsed.document(), registered=[A, B])
    assert again == parsed
    assert json.loads(parsed.document())["lab"] == {"x": 15, "y": 5, "w": 5, "h": 5}


def test_touching_places_do_not_overlap() -> None:
    FloorPlan.parse(
        plan(stalls=[{"stall": A, "x": 0, "y": 0, "w": 5, "h": 3}, {"stall": B, "x": 5, "y": 0, "w": 4, "h": 3}])
    )


@pytest.mark.parametrize(
    ("changes", "registered", "problem"),
    [
        ({"stalls": [{"stall": A, "x": 0, "y": 0, "w": 4, "h": 3}]}, [A, B], f"stall {B} is not placed"),
        ({}, [A], f"stall {B} is not a registered stall"),
        ({"stalls": [{"stall": A, "x": 0, "y": 0, "w": 4, "h": 3}] * 2}, None, f"stall {A} is placed more than once"),
        ({"lab": {"x": 18, "y": 8, "w": 5, "h": 5}}, None, "lab reaches outside the 20x10 hall"),
        ({"empty": [{"label": "X", "x": 1, "y": 1, "w": 2, "h": 2}]}, None, f"stall {A} overlaps empty place X"),
        ({"entrances": [{"label": "Mid", "x": 5, "y": 5}]}, None, "entrance Mid is not on the hall's edge"),
        ({"entrances": []}, None, "entrances must be a list with at least one entry"),
        ({"width": 0}, None, "width must be a whole number from 1 to 1000"),
        ({"height": 1.5}, None, "height must be a whole number"),
        ({"lab": None}, None, "lab must be an object"),
        ({"stalls": [{"stall": "stall A", "x": 0, "y": 0, "w": 4, "h": 3}]}, None, "stalls[0].stall must be"),
        ({"empty": [{"label": "", "x": 10, "y": 0, "w": 4, "h": 3}]}, None, "empty[0].label must be"),
        ({"empty": [{"label": "C1", "x": 10, "y": 0, "w": 0, "h": 3}]}, None, "empty[0].w must be"),
        ({"stalls": {"a": 1}}, None, "stalls must be a list"),
    ],
)
def test_a_bad_plan_is_refused_naming_the_problem(changes: dict, registered: list | None, problem: str) -> None:
    with pytest.raises(LayoutInvalid) as refused:
        FloorPlan.parse(plan(**changes), registered=registered)
    assert any(problem in p for p in refused.value.problems), refused.value.problems


@pytest.mark.parametrize("document", [b"not json", b"[1, 2]", b"\xff\xfe"])
def test_a_plan_document_that_is_not_a_json_object_is_refused(document: bytes) -> None:
    with pytest.raises(LayoutInvalid):
        FloorPlan.parse(document)


def test_notice_text_keeps_its_languages_and_falls_back_to_the_first() -> None:
    text = NoticeText.build({"zh": " 闭市 ", "en": "Closed"}, {"zh": "周一", "en": "Monday\nall day"})
    assert text.title == {"zh": "闭市", "en": "Closed"}
    assert text.title_in("ko") == "闭市" and text.body_in("en") == "Monday\nall day"
    assert NoticeText.parse(text.document()) == text
    assert (
        text.document()
        == NoticeText.build({"en": "Closed", "zh": "闭市"}, {"en": "Monday\nall day", "zh": "周一"}).document()
    )


@pytest.mark.parametrize(
    ("title", "body", "says"),
    [
        ({}, {}, "at least one language"),
        ({"de": "Zu"}, {"de": "Montag"}, "languages the market does not show: de"),
        ({"en": "Closed"}, {"zh": "周一"}, "same languages"),
        ({"en": "   "}, {"en": "x"}, "empty"),
        ({"en": 5}, {"en": "x"}, "must be text"),
        ({"en": "x" * 121}, {"en": "x"}, "longer than 120"),
    ],
)
def test_notice_text_refuses_what_the_screens_cannot_show(title: dict, body: dict, says: str) -> None:
    with pytest.raises(NoticeInvalid, match=says):
        NoticeText.build(title, body)
