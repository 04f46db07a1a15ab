"""The JSON shapes of query results."""

from __future__ import annotations

import json

from api.views import custody_json, custody_json_bytes
from ledger.vocabulary import Residue
from tests.factories.custody import ChainBuilder, party


def test_custody_json_bytes_equals_the_plain_document_with_residue_verdicts() -> None:
    build = ChainBuilder()
    farm, lab = party("Farm"), party("Lab")
    origin = build.harvest("H-1", farm, 100)
    build.inspect(origin, lab, [Residue("carbofuran", 37, 20, "ug/kg"), Residue("lead", 1, 300, "ug/kg")])
    child = build.split(origin, "H-1-A", 10, farm)
    chain = build.sell(child, party("Stall"), 1, 600)

    document = json.loads(custody_json_bytes(chain))

    assert document == custody_json(chain)
    inspected = next(e for e in document["events"] if e["kind"] == "inspected")
    assert [(r["substance"], r["exceeded"]) for r in inspected["details"]["residues"]] == [
        ("carbofuran", True),
        ("lead", False),
    ]
