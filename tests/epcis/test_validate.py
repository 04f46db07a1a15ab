"""Validation against GS1's schema and CBV: the valid corpus passes, every invalid document
fails with the field named (JSON pointer)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledger.epcis.validate import InvalidDocument, check_document, validate_document

CORPUS = Path(__file__).resolve().parent / "corpus"
VALID = sorted((CORPUS / "valid").iterdir())
INVALID = sorted((CORPUS / "invalid").iterdir())
EVENT = "/epcisBody/eventList"

#: The field each invalid document must be refused for (at least this one).
EXPECTED = {
    "Combination_of_events_with_missing_mandatory_fields.json": [f"{EVENT}/0/action", f"{EVENT}/1/action"],
    "Combination_of_multiple_invalid_fields.json": [
        f"{EVENT}/0/bizStep",
        f"{EVENT}/1/disposition",
        f"{EVENT}/2/sourceList/0/type",
        f"{EVENT}/3/ilmd/materialType",
        f"{EVENT}/4/action",
        f"{EVENT}/4/eventTime",
    ],
    "Combination_of_non_standard_bizStep_and_disposition.json": [f"{EVENT}/0/bizStep", f"{EVENT}/1/disposition"],
    "EPCISDocument_without_context.json": ["/@context"],
    "ObjectEvent_with_ilmd_field_without_namespace.json": [f"{EVENT}/0/ilmd/materialType"],
    "ObjectEvent_with_invalid_action.json": [f"{EVENT}/0/action"],
    "ObjectEvent_with_invalid_certificationInfo.json": [f"{EVENT}/0/certificationInfo"],
    "ObjectEvent_with_invalid_eventTime_format.json": [f"{EVENT}/0/eventTime"],
    "ObjectEvent_with_non_standard_bizStep.json": [f"{EVENT}/0/bizStep"],
    "ObjectEvent_with_non_standard_bizStep_in_second_event.json": [f"{EVENT}/1/bizStep"],
    "ObjectEvent_with_non_standard_disposition.json": [f"{EVENT}/0/disposition"],
    "ObjectEvent_with_quantity_as_text.json": [f"{EVENT}/0/quantityList/0/quantity"],
    "ObjectEvent_with_unknown_field_in_quantityList.json": [f"{EVENT}/0/quantityList/0/weight"],
    "ObjectEvent_without_action_and_eventTime.json": [f"{EVENT}/0/action", f"{EVENT}/0/eventTime"],
    "ObjectEvent_without_identifier_list.json": [f"{EVENT}/0/epcList"],
}


def test_corpus_is_complete() -> None:
    assert len(VALID) == 15
    assert sorted(p.name for p in INVALID) == sorted(EXPECTED)


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_validate_document_accepts_gs1_and_openepcis_examples(path: Path) -> None:
    assert validate_document(json.loads(path.read_text())) == []


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_validate_document_names_the_invalid_field(path: Path) -> None:
    problems = validate_document(json.loads(path.read_text()))
    pointers = [p.pointer for p in problems]
    for expected in EXPECTED[path.name]:
        assert expected in pointers, problems
    assert all(p.message for p in problems)


def test_validate_document_explains_cbv_words() -> None:
    document = json.loads((CORPUS / "invalid" / "ObjectEvent_with_non_standard_bizStep.json").read_text())
    (problem,) = validate_document(document)
    assert "'transforming' is not a CBV 2.0 business step" in problem.message


def test_validate_document_accepts_other_vocabularies_but_not_cbv_urns() -> None:
    document = json.loads((CORPUS / "valid" / "Example_9.6.1-ObjectEvent.jsonld").read_text())
    event = document["epcisBody"]["eventList"][0]
    event["disposition"] = "https://example.org/dispositions/held_at_border"
    assert validate_document(document) == []
    # In JSON-LD, CBV values are bare words; GS1's schema refuses the CBV URN forms.
    event["bizStep"] = "urn:epcglobal:cbv:bizstep:teleporting"
    (problem,) = validate_document(document)
    assert problem.pointer == f"{EVENT}/0/bizStep"
    assert "CBV namespace" in problem.message


@pytest.mark.parametrize(
    ("document", "pointer"),
    [([], ""), ({"type": "Nonsense"}, "/type"), ({"type": "EPCISDocument"}, "/@context"), ("x", "")],
)
def test_validate_document_refuses_what_is_not_a_document(document: object, pointer: str) -> None:
    problems = validate_document(document)
    assert problems[0].pointer == pointer
    with pytest.raises(InvalidDocument):
        check_document(document)
