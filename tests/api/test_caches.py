"""The API's short caches of who a key belongs to and what its participant may do, on a real
chain and database: a burst of requests reads the roles once; a suspension is answered 4xx
at once even while the cached roles still say otherwise (the write's own ``eth_call`` meets
the contract's refusal, so nothing is queued), and by the API's own 403 once the cache
expires; a revoked key is refused once its cached owner expires, an unknown key is never
cached."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from api.roles import KeyCache, RoleCache, Roles
from api.services import Services
from ledger.store.api_keys import address_for_key, issue_key, revoke_keys
from ledger.store.intents import intents_of
from tests.api.conftest import Market
from tests.api.test_queue import sale, stocked

FRESH_S = 1.0


@pytest.fixture
def cached(api_market: Market) -> Iterator[Services]:
    """The market's API with roles and keys cached FRESH_S, as a busy market runs it."""
    services: Services = api_market.client.app.state.services
    roles, keys = services.roles, services.api_keys
    services.roles, services.api_keys = RoleCache(FRESH_S, 600.0), KeyCache(FRESH_S)
    try:
        yield services
    finally:
        services.roles, services.api_keys = roles, keys


def test_a_burst_reads_the_roles_once(api_market: Market, cast: dict) -> None:
    services: Services = api_market.client.app.state.services
    cache = RoleCache(FRESH_S, 600.0)
    address = cast["vendor"][0]
    reads = 0

    def read() -> Roles:
        nonlocal reads
        reads += 1
        (record,) = services.ledger.read("participant", address)
        return Roles(int(record["roles"]), bool(record["suspended"]), False)

    answers: list[Roles] = []
    threads = [threading.Thread(target=lambda: answers.append(cache.get(address, read))) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert reads == 1
    assert len(answers) == 20 and len(set(answers)) == 1 and not answers[0].suspended


def test_a_suspension_is_refused_before_queueing_even_while_roles_are_cached(
    api_market: Market, cast: dict, cached: Services
) -> None:
    m = api_market
    address, key = m.admit("VENDOR", "Stall C07", "JY33010600099999")
    batch_id = stocked(m, cast | {"vendor": (address, key)})
    before = m.client.post("/sales", json=sale(batch_id), headers=m.auth(key))
    assert before.status_code == 201, before.text  # the roles are now cached, not suspended
    queued = len(intents_of(cached.engine, address))

    # Suspended through another API worker: this one's cache still holds the old roles.
    authority = cached.keys.account(address_for_key(cached.engine, m.authority_key))
    cached.ledger.suspend_participant(authority, address, "licence expired")
    assert not cached.roles.get(address, lambda: pytest.fail("the roles should still be cached")).suspended

    at_once = m.client.post("/sales", json=sale(batch_id), headers=m.auth(key))
    assert 400 <= at_once.status_code < 500, at_once.text  # the contract's refusal, found by the check
    assert len(intents_of(cached.engine, address)) == queued  # nothing queued

    time.sleep(FRESH_S + 0.1)
    later = m.client.post("/sales", json=sale(batch_id), headers=m.auth(key))
    assert later.status_code == 403, later.text
    assert "suspended" in later.text
    assert len(intents_of(cached.engine, address)) == queued


def test_a_revoked_key_is_refused_once_its_owner_expires(api_market: Market, cast: dict, cached: Services) -> None:
    m = api_market
    address = cast["regulator"][0]
    key = issue_key(cached.engine, address, "till 3")
    assert m.client.get("/intents/1", headers=m.auth(key)).status_code in (200, 404)  # accepted: cached now
    revoke_keys(cached.engine, address)
    assert cached.api_keys.get(key, lambda: pytest.fail("the key's owner should be cached")) == address
    time.sleep(FRESH_S + 0.1)
    assert m.client.get("/intents/1", headers=m.auth(key)).status_code == 401

    looked_up = 0

    def unknown() -> None:
        nonlocal looked_up
        looked_up += 1

    for _ in range(3):
        assert cached.api_keys.get("fl_0000_wrong", unknown) is None
    assert looked_up == 3  # an unknown key is looked up every time, never kept


def test_a_suspension_through_this_worker_drops_the_cached_roles_at_once(
    api_market: Market, cast: dict, cached: Services
) -> None:
    m = api_market
    address, key = m.admit("VENDOR", "Stall C08", "JY33010600099998")
    batch_id = stocked(m, cast | {"vendor": (address, key)})
    assert m.client.post("/sales", json=sale(batch_id), headers=m.auth(key)).status_code == 201  # cached
    suspended = m.client.post(
        f"/participants/{address}/suspend", json={"reason": "licence expired"}, headers=m.auth(m.authority_key)
    )
    assert suspended.status_code == 200, suspended.text
    at_once = m.client.post("/sales", json=sale(batch_id), headers=m.auth(key))
    assert at_once.status_code == 403 and "suspended" in at_once.text, at_once.text
