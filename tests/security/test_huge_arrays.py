"""Huge arrays in write bodies: a merge of 10,000 parents, a split of 10,000 parts, a recall
of 10,000 batches, an inspection with 10,000 residues, a product with 10,000 names. Each is
refused with 422 naming the field and the cap (api/limits.py) before any transaction; one
over the cap is refused the same way; the server keeps answering scans."""

from __future__ import annotations

import pytest

from api.limits import MAX_MERGE_PARENTS, MAX_PRODUCT_NAMES, MAX_RECALL_BATCHES, MAX_RESIDUES, MAX_SPLIT_PARTS
from tests.api.conftest import Market, api_market, cast  # noqa: F401 (module fixtures)
from tests.factories.api_writes import GTIN, block_number
from tests.security.live_sale import Scan, scan  # noqa: F401 (module fixture)


def batch_ids(n: int) -> list[str]:
    return [f"0x{i:064x}" for i in range(1, n + 1)]


def bodies(n: int, sale: Scan) -> dict[str, tuple[str, str, dict, str, int]]:
    """(method, path, body, role, cap) of each capped list, with `n` items."""
    return {
        "merge parents": ("post", "/merges", {"batch_ids": batch_ids(n), "lot": "BIG-1"}, "farm", MAX_MERGE_PARENTS),
        "split parts": (
            "post",
            f"/batches/{sale.batch_id}/split",
            {"parts": [{"lot": f"P{i}", "quantity": 1} for i in range(n)]},
            "farm",
            MAX_SPLIT_PARTS,
        ),
        "recall batches": (
            "post",
            "/recalls",
            {"batch_ids": batch_ids(n), "reason": "test"},
            "regulator",
            MAX_RECALL_BATCHES,
        ),
        "residues": (
            "post",
            "/inspections",
            {
                "batch_id": sale.batch_id,
                "passed": True,
                "residues": [{"substance": f"s{i}", "measured": 1, "limit": 2} for i in range(n)],
            },
            "lab",
            MAX_RESIDUES,
        ),
        "product names": (
            "put",
            f"/products/{GTIN}",
            {"name": "Greens", "names": {f"l{i}": "x" for i in range(n)}},
            "authority",
            MAX_PRODUCT_NAMES,
        ),
    }


FIELDS = {
    "merge parents": ["body", "batch_ids"],
    "split parts": ["body", "parts"],
    "recall batches": ["body", "batch_ids"],
    "residues": ["body", "residues"],
    "product names": ["body", "names"],
}


@pytest.mark.parametrize("what", sorted(FIELDS))
@pytest.mark.parametrize("size", ["10,000", "cap + 1"])
def test_an_oversized_list_is_refused_with_its_cap_before_any_transaction(
    api_market: Market,  # noqa: F811
    cast: dict,  # noqa: F811
    scan: Scan,  # noqa: F811
    what: str,
    size: str,
) -> None:
    m = api_market
    cap = bodies(1, scan)[what][4]
    method, path, body, role, _ = bodies(10_000 if size == "10,000" else cap + 1, scan)[what]
    key = m.authority_key if role == "authority" else cast[role][1]
    before = block_number(m)

    answer = m.client.request(method.upper(), path, json=body, headers=m.auth(key))

    assert answer.status_code == 422, answer.text[:300]
    problems = [p for p in answer.json()["detail"] if p["loc"] == FIELDS[what]]
    assert problems and f"at most {cap}" in problems[0]["msg"], answer.text[:300]
    assert block_number(m) == before
    scan()
