"""Is a document EPCIS 2.0? GS1's JSON Schema (with its ``uri`` and ``date-time`` formats
enforced) and CBV vocabulary checks, each problem named by the JSON pointer of its field.

Example::

    >>> problems = validate_document({"type": "EPCISDocument"})
    >>> problems[0].pointer, problems[0].message
    ('/@context', 'required field is missing')
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from ledger.epcis import vocabulary as cbv
from ledger.json_depth import check_json_depth

SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "EPCIS-JSON-Schema.json"
#: RFC 3339 date-time (what JSON Schema's ``date-time`` format means).
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_REQUIRED = re.compile(r"^'([^']+)' is a required property$")
_UNEXPECTED = re.compile(r"\('([^']+)' was unexpected\)")


@dataclass(frozen=True)
class Problem:
    """One reason a document is refused: the field (JSON pointer) and what is wrong with it."""

    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.pointer or '/'}: {self.message}"


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str) or not _DATE_TIME.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return True


def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or cbv.is_uri(value)


@cache
def _validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    formats = jsonschema.FormatChecker(formats=())
    # The jsonschema package checks these formats only with optional packages installed;
    # EPCIS depends on both, so they are checked here, by RFC 3339 and RFC 3986's scheme rule.
    formats.checks("date-time")(_is_date_time)
    formats.checks("uri")(_is_uri)
    return jsonschema.Draft7Validator(schema, format_checker=formats)


def pointer(path: list[Any] | tuple[Any, ...]) -> str:
    """RFC 6901 JSON pointer of a path."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _problem(document: Any, error: ValidationError) -> Problem:
    """The most specific field and message of a schema error."""
    alternatives = bool(error.context)
    if error.context:
        error = best_match(error.context)
    path = list(error.absolute_path)
    if error.validator == "required":
        match = _REQUIRED.match(error.message)
        if match:
            also = " (or one of the fields the schema allows instead)" if alternatives else ""
            return Problem(pointer([*path, match.group(1)]), f"required field is missing{also}")
    if error.validator == "additionalProperties":
        match = _UNEXPECTED.search(error.message)
        if match:
            return Problem(pointer([*path, match.group(1)]), "field is not allowed here")
    node = _node(document, path)
    if (
        error.validator == "format"
        and isinstance(node, dict)
        and isinstance(error.instance, str)
        and error.instance in node
    ):
        # A bad property *name* (propertyNames) is reported at the object holding it.
        name = error.instance
        return Problem(pointer([*path, name]), f"field name {name!r} is neither an EPCIS field nor a namespaced URI")
    if error.validator == "format":
        return Problem(pointer(path), f"{_short(error.instance)} is not a valid {error.validator_value}")
    if len(error.message) <= 160:
        return Problem(pointer(path), error.message)
    return Problem(
        pointer(path),
        f"{_short(error.instance)} is not valid here ({error.validator}: {_short(error.validator_value)})",
    )


def _node(document: Any, path: list[Any]) -> Any:
    for part in path:
        try:
            document = document[part]
        except (KeyError, IndexError, TypeError):
            return None
    return document


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def events_in(document: dict[str, Any]) -> list[tuple[list[Any], Any]]:
    """(path, event) of every event of a document, query document or single event."""
    if document.get("type") in cbv.EVENT_TYPES:
        return [([], document)]
    body = document.get("epcisBody")
    if not isinstance(body, dict):
        return []
    base: list[Any] = ["epcisBody", "eventList"]
    events = body.get("eventList")
    if isinstance(body.get("queryResults"), dict):
        base = ["epcisBody", "queryResults", "resultsBody", "eventList"]
        results = body["queryResults"].get("resultsBody")
        events = results.get("eventList") if isinstance(results, dict) else None
    if not isinstance(events, list):
        return []
    return [([*base, i], event) for i, event in enumerate(events)]


def _vocabulary(document: dict[str, Any]) -> list[Problem]:
    """CBV checks, with messages that say which vocabulary the field uses."""
    problems: list[Problem] = []
    for here, event in events_in(document):
        if not isinstance(event, dict):
            continue
        checks = (
            ("bizStep", cbv.BIZ_STEPS, "bizstep", "business step"),
            ("disposition", cbv.DISPOSITIONS, "disp", "disposition"),
        )
        for field, words, prefix, what in checks:
            if field in event:
                reason = cbv.check_term(event[field], words, prefix, what)
                if reason:
                    problems.append(Problem(pointer([*here, field]), reason))
        for j, tx in enumerate(event.get("bizTransactionList") or []):
            if isinstance(tx, dict) and "type" in tx:
                reason = cbv.check_term(tx["type"], cbv.BIZ_TRANSACTION_TYPES, "btt", "business transaction type")
                if reason:
                    problems.append(Problem(pointer([*here, "bizTransactionList", j, "type"]), reason))
        for field in ("sourceList", "destinationList"):
            for j, item in enumerate(event.get(field) or []):
                if isinstance(item, dict) and "type" in item:
                    reason = cbv.check_term(item["type"], cbv.SOURCE_DEST_TYPES, "sdt", "source/destination type")
                    if reason:
                        problems.append(Problem(pointer([*here, field, j, "type"]), reason))
        for name in (event.get("ilmd") or {}) if isinstance(event.get("ilmd"), dict) else ():
            if not cbv.is_uri(name):
                problems.append(Problem(pointer([*here, "ilmd", name]), f"ilmd field {name!r} has no namespace"))
    return problems


def validate_document(document: Any) -> list[Problem]:
    """Every problem of `document` (empty when it is a valid EPCIS 2.0 document), vocabulary
    problems first, then schema problems of fields not already named."""
    if not isinstance(document, dict):
        return [Problem("", "an EPCIS document is a JSON object")]
    if document.get("type") not in ("EPCISDocument", "EPCISQueryDocument", *cbv.EVENT_TYPES):
        return [
            Problem(
                "/type",
                f"expected an EPCISDocument, an EPCISQueryDocument or one event, got {_short(document.get('type'))}",
            )
        ]
    problems = _vocabulary(document)
    named = {p.pointer for p in problems}
    # Errors without alternatives first: their messages are the most direct.
    errors = sorted(
        _validator().iter_errors(document), key=lambda e: (bool(e.context), list(map(str, e.absolute_path)))
    )
    for error in errors:
        problem = _problem(document, error)
        if problem.pointer not in named and not any(p.startswith(problem.pointer + "/") for p in named):
            named.add(problem.pointer)
            problems.append(problem)
    return problems


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


#: Deepest nesting an EPCIS document may have (they nest about ten deep): the bound is
#: checked before parsing, as Python's parser recurses once per level.
MAX_DOCUMENT_DEPTH = 64


def load_json(data: bytes | str) -> Any:
    """Strict JSON: Python's parser would accept NaN and Infinity, which no EPCIS number is;
    nesting deeper than :data:`MAX_DOCUMENT_DEPTH` is refused before parsing (JsonTooDeep)."""
    check_json_depth(data, MAX_DOCUMENT_DEPTH)
    return json.loads(data, parse_constant=_no_constant)


class InvalidDocument(ValueError):
    """A document that is not valid EPCIS 2.0; ``problems`` name each field."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems[:5]))


def check_document(document: Any) -> dict[str, Any]:
    """`document` itself when valid; raises :class:`InvalidDocument` otherwise."""
    problems = validate_document(document)
    if problems:
        raise InvalidDocument(problems)
    return document
