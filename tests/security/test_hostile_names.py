"""Control characters, right-to-left overrides and zero-width characters in every free text a
participant or a shopper writes (names, reasons, origins, lots, descriptions, product names,
comments): 422 naming the field, before any transaction; the server keeps answering scans."""

from __future__ import annotations

import pytest

from tests.api.conftest import Market, api_market, cast  # noqa: F401 (module fixtures)
from tests.factories.api_writes import GTIN, ago, block_number, new_lot
from tests.security.live_sale import Scan, scan  # noqa: F401 (module fixture)

#: Each hides or reorders what a reader sees ("Stall \u202eA12" shows as "Stall 21A").
HIDDEN = {
    "right-to-left override": "Stall \u202e21A",
    "right-to-left isolate": "Farm \u2067x\u2069",
    "left-to-right mark": "Farm\u200e",
    "zero-width space": "Green\u200bValley",
    "zero-width joiner": "Green\u200dValley",
    "byte order mark": "\ufeffGreen Valley",
    "NUL": "Green\x00Valley",
    "escape": "Green \x1b[31mValley",
    "line break": "Green\nValley",
    "line separator": "Green\u2028Valley",
    "private use": "Green\ue000",
}


def _writes(people: dict, sale: Scan, text: str) -> list[tuple[str, str, dict, str, tuple]]:
    """(method, path, body, key, loc) of each write whose field takes `text`."""
    harvest = {"gtin": GTIN, "lot": new_lot("HN"), "quantity": 5, "harvested_at": ago(1), "origin": "geo:1,2"}
    imported = {
        "gtin": GTIN,
        "lot": new_lot("HN"),
        "quantity": 5,
        "importer": people["wholesaler"][0],
        "origin_country": "TH",
        "declaration_number": "D-1",
        "cleared_at": ago(1),
        "entry_port": "CNNGB",
    }
    regulator = people["regulator"][1]
    return [
        ("post", "/harvests", {**harvest, "origin": text}, people["farm"][1], ("body", "origin")),
        ("post", "/harvests", {**harvest, "lot": text}, people["farm"][1], ("body", "lot")),
        (
            "post",
            "/imports",
            {**imported, "declaration_number": text},
            people["customs"][1],
            ("body", "declaration_number"),
        ),
        ("post", "/imports", {**imported, "entry_port": text}, people["customs"][1], ("body", "entry_port")),
        (
            "post",
            "/participants",
            {"role": "VENDOR", "name": text, "identifier": "JY1"},
            "authority",
            ("body", "name"),
        ),
        (
            "post",
            "/participants",
            {"role": "VENDOR", "name": "Stall C01", "identifier": text},
            "authority",
            ("body", "identifier"),
        ),
        ("post", f"/participants/{people['vendor2'][0]}/suspend", {"reason": text}, "authority", ("body", "reason")),
        (
            "post",
            "/recalls",
            {"batch_ids": [sale.batch_id], "reason": text},
            regulator,
            ("body", "reason"),
        ),
        (
            "post",
            "/recalls/lots",
            {"gtin": GTIN, "lot": "GV-1", "reason": text},
            regulator,
            ("body", "reason"),
        ),
        (
            "post",
            "/inspections",
            {"batch_id": sale.batch_id, "passed": True, "residues": [{"substance": text, "measured": 1, "limit": 2}]},
            people["lab"][1],
            ("body", "residues", 0, "substance"),
        ),
        (
            "post",
            "/webhooks",
            {"url": "https://a12.example/hook", "description": text},
            people["vendor"][1],
            ("body", "description"),
        ),
        ("put", f"/products/{GTIN}", {"name": text}, "authority", ("body", "name")),
        ("put", f"/products/{GTIN}", {"name": "Greens", "names": {"zh": text}}, "authority", ("body", "names", "zh")),
    ]


@pytest.mark.parametrize("kind", sorted(HIDDEN))
def test_hidden_characters_in_any_written_text_are_refused_with_422_naming_the_field(
    api_market: Market,  # noqa: F811
    cast: dict,  # noqa: F811
    scan: Scan,  # noqa: F811
    kind: str,
) -> None:
    m = api_market
    before = block_number(m)
    for method, path, body, key, loc in _writes(cast, scan, HIDDEN[kind]):
        headers = m.auth(m.authority_key if key == "authority" else key)
        answer = m.client.request(method.upper(), path, json=body, headers=headers)
        assert answer.status_code == 422, (path, loc, answer.text)
        locations = [tuple(e["loc"]) for e in answer.json()["detail"]]
        assert loc in locations, (path, locations)
    assert block_number(m) == before  # nothing was sent to the chain
    assert all(HIDDEN[kind] not in p["name"] for p in m.client.get("/products").json()["data"])
    scan()


@pytest.mark.parametrize("kind", sorted(set(HIDDEN) - {"line break"}))
def test_a_comment_with_hidden_characters_is_refused_naming_the_comment(
    api_market: Market,  # noqa: F811
    scan: Scan,  # noqa: F811
    kind: str,
) -> None:
    m = api_market
    answer = m.client.post(f"/sales/{scan.sale_id}/rating", json={"stars": 4, "comment": HIDDEN[kind]})
    assert answer.status_code in (403, 422), answer.text  # 403: a rating proof is checked first, where there is one
    if answer.status_code == 422:
        assert "comment" in answer.text
    scan()


def test_plain_text_in_any_script_still_passes(api_market: Market, scan: Scan) -> None:  # noqa: F811
    m = api_market
    named = m.client.put(
        f"/products/{GTIN}",
        json={"name": "Leafy greens (qingcai)", "names": {"zh": "青菜", "ar": "خضار ورقية", "ko": "청경채"}},
        headers=m.auth(m.authority_key),
    )
    assert named.status_code == 200, named.text
    scan()
