"""``PUT /stalls/{address}/plu/{key}``: a vendor maps its scale key to a lot it holds; a lot it
does not hold, a quarantined or a recalled one is refused with the contract's error; the
mapping is indexed and shown by ``GET /stalls/{address}/plu``."""

from __future__ import annotations

from tests.api.conftest import Market
from tests.api.test_writes import deliver, harvest


def test_a_vendor_maps_its_keys_and_the_index_shows_them(api_market: Market, cast: dict) -> None:
    m = api_market
    vendor = cast["vendor"]
    batch_id = harvest(m, cast["farm"][1])
    deliver(m, batch_id, cast["farm"], cast["vendor"])
    answer = m.client.put(f"/stalls/{vendor[0]}/plu/3", json={"batch_id": batch_id}, headers=m.auth(vendor[1]))
    assert answer.status_code == 200, answer.text
    assert [e["name"] for e in answer.json()["events"]] == ["PluMapped"]
    m.sync()
    shown = m.client.get(f"/stalls/{vendor[0]}/plu").json()
    assert [(e["plu"], e["batch_id"], e["blocked"]) for e in shown["data"]] == [(3, batch_id, None)]
    screen = m.client.get(f"/board/stalls/{vendor[0]}", headers={"Accept-Language": "en"}).text
    assert "Scale keys" in screen and "Key 3" in screen and "Blocked" not in screen

    recall = m.client.post(
        "/recalls", json={"batch_ids": [batch_id], "reason": "listeria"}, headers=m.auth(cast["regulator"][1])
    )
    assert recall.status_code == 201, recall.text
    m.sync()
    assert m.client.get(f"/stalls/{vendor[0]}/plu").json()["data"][0]["blocked"] == "recalled"
    screen = m.client.get(f"/board/stalls/{vendor[0]}", headers={"Accept-Language": "en"}).text
    assert "Blocked: not for sale" in screen


def test_lots_not_held_quarantined_or_recalled_are_refused(api_market: Market, cast: dict) -> None:
    m = api_market
    vendor = cast["vendor"]
    at_farm = harvest(m, cast["farm"][1])
    refused = m.client.put(f"/stalls/{vendor[0]}/plu/1", json={"batch_id": at_farm}, headers=m.auth(vendor[1]))
    assert refused.status_code in (403, 409, 422), refused.text
    assert refused.json()["error"] == "NotCustodian"

    held = harvest(m, cast["farm"][1])
    deliver(m, held, cast["farm"], cast["vendor"])
    failed = {
        "batch_id": held,
        "passed": False,
        "residues": [{"substance": "carbofuran", "measured": 37, "limit": 20, "unit": "ug/kg"}],
    }
    assert m.client.post("/inspections", json=failed, headers=m.auth(cast["lab"][1])).status_code == 201
    refused = m.client.put(f"/stalls/{vendor[0]}/plu/1", json={"batch_id": held}, headers=m.auth(vendor[1]))
    assert refused.json()["error"] == "BatchQuarantined"

    # Another stall's keys, a key out of range, a supplier: refused before the chain.
    mine = harvest(m, cast["farm"][1])
    deliver(m, mine, cast["farm"], cast["vendor"])
    other = m.client.put(f"/stalls/{cast['vendor2'][0]}/plu/1", json={"batch_id": mine}, headers=m.auth(vendor[1]))
    assert other.status_code == 403
    assert (
        m.client.put(f"/stalls/{vendor[0]}/plu/0", json={"batch_id": mine}, headers=m.auth(vendor[1])).status_code
        == 422
    )
    farm = cast["farm"]
    assert m.client.put(f"/stalls/{farm[0]}/plu/1", json={"batch_id": mine}, headers=m.auth(farm[1])).status_code == 403


def test_a_vendor_clears_its_key_and_the_index_no_longer_lists_it(api_market: Market, cast: dict) -> None:
    m = api_market
    vendor = cast["vendor"]
    batch_id = harvest(m, cast["farm"][1])
    deliver(m, batch_id, cast["farm"], cast["vendor"])
    assert (
        m.client.put(f"/stalls/{vendor[0]}/plu/8", json={"batch_id": batch_id}, headers=m.auth(vendor[1])).status_code
        == 200
    )
    other = m.client.delete(f"/stalls/{cast['farm'][0]}/plu/8", headers=m.auth(vendor[1]))
    assert other.status_code == 403
    cleared = m.client.delete(f"/stalls/{vendor[0]}/plu/8", headers=m.auth(vendor[1]))
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["batch_ids"] == [] and [e["name"] for e in cleared.json()["events"]] == ["PluMapped"]
    m.sync()
    assert 8 not in [e["plu"] for e in m.client.get(f"/stalls/{vendor[0]}/plu").json()["data"]]
