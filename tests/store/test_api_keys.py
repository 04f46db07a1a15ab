"""API keys in the API's database, on SQLite and PostgreSQL: a key is found by its id and
secret until revoked; the authority's list never holds a secret; a key id fixed by a request
key is issued once; revoking is per key, per owner, and changes nothing the second time."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from ledger.store.api_keys import (
    KEY_ID,
    LAST_USED_STEP_S,
    KeyAlreadyIssued,
    address_for_key,
    issue_key,
    key_id_for,
    keys_of,
    revoke_key,
)
from tests.support.databases import Databases

LAB = "0x8125FB87270B744a12629Bd67484E41347ce8bF9"
FARM = "0x48f28B2488De84C6e7237E8254767fC0AB526930"


@pytest.fixture
def engine(databases: Databases) -> Engine:
    return databases.engine()


def test_keys_of_lists_every_key_of_its_owner_without_secrets(engine: Engine) -> None:
    first = issue_key(engine, LAB, "LIMS")
    second = issue_key(engine, LAB, "bench laptop")
    issue_key(engine, FARM, "farm")
    listed = keys_of(engine, LAB.lower())  # any spelling of the address
    assert sorted(k.key_id for k in listed) == sorted(key.split("_")[1] for key in (first, second))
    assert {k.label for k in listed} == {"LIMS", "bench laptop"}
    assert all(not k.revoked and k.address == LAB for k in listed)
    assert all(key.split("_", 2)[2] not in repr(listed) for key in (first, second))


def test_a_key_id_fixed_by_a_request_key_is_issued_once(engine: Engine) -> None:
    key_id = key_id_for("form-key-0123456789abcdef")
    assert KEY_ID.match(key_id) and key_id == key_id_for("form-key-0123456789abcdef")
    key = issue_key(engine, LAB, "LIMS", key_id=key_id)
    assert key.startswith(f"fl_{key_id}_") and address_for_key(engine, key) == LAB
    with pytest.raises(KeyAlreadyIssued, match=key_id):
        issue_key(engine, LAB, "LIMS", key_id=key_id)
    assert [k.key_id for k in keys_of(engine, LAB)] == [key_id]


def test_revoke_key_refuses_that_key_only_and_changes_nothing_twice(engine: Engine) -> None:
    kept, revoked = issue_key(engine, LAB, "kept"), issue_key(engine, LAB, "revoked")
    key_id = revoked.split("_")[1]
    assert revoke_key(engine, FARM, key_id) is None  # another owner's key id: not found
    assert address_for_key(engine, revoked) == LAB
    record = revoke_key(engine, LAB, key_id)
    assert record is not None and record.revoked and record.key_id == key_id
    assert address_for_key(engine, revoked) is None
    assert address_for_key(engine, kept) == LAB
    again = revoke_key(engine, LAB, key_id)
    assert again == record  # the first revocation's time stays
    assert revoke_key(engine, LAB, "0" * 16) is None


def test_a_keys_use_is_noted_once_a_minute(engine: Engine) -> None:
    key = issue_key(engine, LAB, "LIMS")
    assert keys_of(engine, LAB)[0].last_used_at is None
    assert address_for_key(engine, key, now=1_790_000_000) == LAB
    assert keys_of(engine, LAB)[0].last_used_at == 1_790_000_000
    address_for_key(engine, key, now=1_790_000_000 + LAST_USED_STEP_S - 1)  # within the minute: no write
    assert keys_of(engine, LAB)[0].last_used_at == 1_790_000_000
    address_for_key(engine, key, now=1_790_000_000 + LAST_USED_STEP_S)
    assert keys_of(engine, LAB)[0].last_used_at == 1_790_000_000 + LAST_USED_STEP_S
    assert address_for_key(engine, key.replace("_", "-", 1), now=1_800_000_000) is None  # not a key: no note
    assert keys_of(engine, LAB)[0].last_used_at == 1_790_000_000 + LAST_USED_STEP_S
