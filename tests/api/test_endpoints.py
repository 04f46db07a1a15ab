"""Every write endpoint, table-driven, on a real chain behind the real app:

- permissions: every role-gated write refuses every other role's key with 403 naming the
  role it needs, and custody writes refuse everyone but the custodian (the chain decides,
  through the gas estimate); in both cases no transaction is sent (the block stays); no key
  is 401;
- validation: an invalid body is a 422 naming the field, before anything is signed; rules
  only the chain knows come back with the contract's error name and a sentence;
- success of the steps test_writes.py does not cover;
- forged transactions: signed by the wrong account and relayed through ``/transactions``
  they are refused with the contract's error, and sent straight to the node they revert.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from eth_account import Account

from ledger.chain.accounts import dev_account
from ledger.chain.freshledger import code, gtin_number
from ledger.vocabulary import DEFAULT_ADMIN_ROLE, ROLE_IDS
from tests.api.conftest import Market
from tests.factories.api_writes import (
    GTIN,
    OTHER_GTIN,
    Stage,
    ago,
    block_number,
    deliver,
    fail_inspection,
    hand_off,
    harvest,
    new_lot,
    send_to_node,
    sign_call,
    stage_writes,
)

#: Who holds which role in the `cast` fixture ("authority" is the market authority's key).
HOLDERS = {
    "farm": "SUPPLIER",
    "customs": "CUSTOMS",
    "lab": "LAB",
    "vendor": "VENDOR",
    "regulator": "REGULATOR",
    "authority": "ADMIN",
}
FUTURE = (datetime.now(UTC) + timedelta(days=2)).isoformat()
NO_BATCH = "0x" + "ab" * 32


@pytest.fixture(scope="module")
def stage(api_market: Market, cast: dict[str, tuple[str, str]]) -> Stage:
    return stage_writes(api_market, cast)


def key_of(m: Market, cast: dict[str, tuple[str, str]], holder: str) -> str:
    return m.authority_key if holder == "authority" else cast[holder][1]


def request(m: Market, method: str, path: str, key: str | None, body: dict | None) -> Any:
    headers = m.auth(key) if key else {}
    return m.client.request(method, path, json=body, headers=headers)


# --------------------------------------------------------------------------- permissions


@dataclass(frozen=True)
class Write:
    """One write endpoint: the request a holder of `role` would make (with real batches)."""

    method: str
    path: Callable[[Stage, dict], str]
    role: str | None  # None: any participant; the chain checks custody
    body: Callable[[Stage, dict], dict | None]


def _harvest_body(_s: Stage, _c: dict) -> dict:
    return {"gtin": GTIN, "lot": new_lot(), "quantity": 5, "harvested_at": ago(1), "origin": "geo:1,2"}


def _import_body(_s: Stage, c: dict) -> dict:
    return {
        "gtin": OTHER_GTIN,
        "lot": new_lot(),
        "quantity": 300,
        "importer": c["wholesaler"][0],
        "origin_country": "TH",
        "declaration_number": "310120261000123456",
        "cleared_at": ago(2),
        "entry_port": "CNNGB",
    }


ROLE_GATED: dict[str, Write] = {
    "harvests": Write("POST", lambda s, c: "/harvests", "SUPPLIER", _harvest_body),
    "imports": Write("POST", lambda s, c: "/imports", "CUSTOMS", _import_body),
    "inspections": Write(
        "POST",
        lambda s, c: "/inspections",
        "LAB",
        lambda s, c: {
            "batch_id": s.held,
            "passed": True,
            "residues": [{"substance": "lead", "measured": 1, "limit": 2}],
        },
    ),
    "sales": Write(
        "POST", lambda s, c: "/sales", "VENDOR", lambda s, c: {"batch_id": s.at_vendor, "quantity": 1, "price": 600}
    ),
    "recalls": Write(
        "POST", lambda s, c: "/recalls", "REGULATOR", lambda s, c: {"batch_ids": [s.spare], "reason": "E. coli"}
    ),
    "recalls-lots": Write(
        "POST",
        lambda s, c: "/recalls/lots",
        "REGULATOR",
        lambda s, c: {"gtin": GTIN, "lot": s.lots[s.spare], "reason": "E. coli"},
    ),
    "release": Write(
        "POST", lambda s, c: f"/batches/{s.quarantined}/release", "REGULATOR", lambda s, c: {"reason": "re-tested"}
    ),
    "participants": Write(
        "POST",
        lambda s, c: "/participants",
        "ADMIN",
        lambda s, c: {"role": "LAB", "name": "Second Lab", "identifier": "CMA-2026-0999"},
    ),
    "suspend": Write(
        "POST", lambda s, c: f"/participants/{c['vendor2'][0]}/suspend", "ADMIN", lambda s, c: {"reason": "licence"}
    ),
    "reinstate": Write("POST", lambda s, c: f"/participants/{c['vendor2'][0]}/reinstate", "ADMIN", lambda s, c: None),
    "keys": Write("POST", lambda s, c: f"/participants/{c['vendor2'][0]}/keys", "ADMIN", lambda s, c: None),
    "webhooks": Write("POST", lambda s, c: "/webhooks", "VENDOR", lambda s, c: {"url": "https://stall.example/hook"}),
    "webhooks-delete": Write("DELETE", lambda s, c: f"/webhooks/{s.webhook}", "VENDOR", lambda s, c: None),
}

CUSTODY: dict[str, Write] = {
    "handoff": Write("POST", lambda s, c: f"/batches/{s.held}/handoff", None, lambda s, c: {"to": c["wholesaler"][0]}),
    "accept": Write("POST", lambda s, c: f"/batches/{s.pending}/accept", None, lambda s, c: None),
    "cancel": Write("POST", lambda s, c: f"/batches/{s.pending}/cancel", None, lambda s, c: None),
    "split": Write(
        "POST",
        lambda s, c: f"/batches/{s.held}/split",
        None,
        lambda s, c: {"parts": [{"lot": new_lot(), "quantity": 5}]},
    ),
    "merges": Write(
        "POST", lambda s, c: "/merges", None, lambda s, c: {"batch_ids": [s.held, s.held2], "lot": new_lot()}
    ),
}

#: Participant-level writes without a role (any participant; no chain transaction).
UNGATED = {
    "transactions": ("POST", "/transactions"),
    "documents": ("POST", "/documents"),
    "epcis-capture": ("POST", "/epcis/capture"),
}


def _wrong_role_cases() -> list[Any]:
    return [
        pytest.param(name, holder, id=f"{name}-by-{holder}")
        for name, write in ROLE_GATED.items()
        for holder, role in HOLDERS.items()
        if role != write.role
    ]


@pytest.mark.parametrize(("endpoint", "holder"), _wrong_role_cases())
def test_role_gated_write_refuses_other_roles_before_any_transaction(
    api_market: Market, cast: dict, stage: Stage, endpoint: str, holder: str
) -> None:
    m, write = api_market, ROLE_GATED[endpoint]
    before = block_number(m)
    answer = request(m, write.method, write.path(stage, cast), key_of(m, cast, holder), write.body(stage, cast))
    assert answer.status_code == 403, answer.text
    assert answer.json()["detail"] == f"this needs the {write.role.lower()} role"
    assert block_number(m) == before


#: What each write answers when the participant it is for sends it.
DONE = {
    **dict.fromkeys(("harvests", "imports", "inspections", "sales", "recalls", "recalls-lots"), 201),
    **dict.fromkeys(("participants", "keys", "webhooks", "split", "merges"), 201),
    **dict.fromkeys(("release", "suspend", "reinstate", "handoff", "accept", "cancel"), 200),
    "webhooks-delete": 204,
}
#: Writes that keep their record in the API's database, not on the chain.
OFF_CHAIN = {"keys", "webhooks", "webhooks-delete"}
RIGHTFUL = {role: holder for holder, role in HOLDERS.items()}
#: Who may make each custody write on the stage: the pending hand-off's recipient accepts.
CUSTODIAN = {name: "wholesaler" if name == "accept" else "farm" for name in CUSTODY}


@pytest.mark.parametrize("endpoint", [*ROLE_GATED, *CUSTODY])
def test_the_same_write_succeeds_for_its_participant(api_market: Market, cast: dict, endpoint: str) -> None:
    """The requests of the refusal tables are well-formed and would go through: only the
    caller makes them fail. Each runs on a stage of its own, and the participant the
    authority's writes target is a new one (suspended first, for reinstate)."""
    m = api_market
    write = {**ROLE_GATED, **CUSTODY}[endpoint]
    own = stage_writes(m, cast)
    target = m.admit("VENDOR", f"Stall C{new_lot('')}", "JY33010600099999")
    if endpoint == "reinstate":
        suspended = m.client.post(
            f"/participants/{target[0]}/suspend", json={"reason": "inspection"}, headers=m.auth(m.authority_key)
        )
        assert suspended.status_code == 200, suspended.text
    roles = {**cast, "vendor2": target}
    holder = RIGHTFUL[write.role] if write.role else CUSTODIAN[endpoint]
    before = block_number(m)
    answer = request(m, write.method, write.path(own, roles), key_of(m, cast, holder), write.body(own, roles))
    assert answer.status_code == DONE[endpoint], answer.text
    if endpoint not in OFF_CHAIN:
        assert block_number(m) > before
        assert answer.json()["transaction_hashes" if endpoint == "recalls-lots" else "transaction_hash"]


def _wrong_custodian_cases() -> list[Any]:
    cases = []
    for name in CUSTODY:
        for holder in ("farm", "wholesaler", "customs", "lab", "vendor", "regulator", "authority"):
            if holder != CUSTODIAN[name]:
                cases.append(pytest.param(name, holder, id=f"{name}-by-{holder}"))
    return cases


@pytest.mark.parametrize(("endpoint", "holder"), _wrong_custodian_cases())
def test_custody_write_refuses_all_but_the_custodian_before_any_transaction(
    api_market: Market, cast: dict, stage: Stage, endpoint: str, holder: str
) -> None:
    """Custody is no role: the chain refuses (found by the gas estimate, so nothing is sent)."""
    m, write = api_market, CUSTODY[endpoint]
    before = block_number(m)
    key = key_of(m, cast, holder)
    answer = request(m, write.method, write.path(stage, cast), key, write.body(stage, cast))
    assert answer.status_code == 403, answer.text
    body = answer.json()
    if holder == "authority":  # the authority admits participants but is none itself
        assert body["error"] == "ParticipantNotRegistered"
        assert body["message"] == f"{dev_account(0).address} is not a registered participant of this market"
    elif endpoint == "accept":
        assert body["error"] == "NotPendingRecipient"
        assert body["message"] == f"batch {stage.lot_of(stage.pending)} was not handed to {cast[holder][0]}"
    else:
        batch = stage.pending if endpoint == "cancel" else stage.held
        assert body["error"] == "NotCustodian"
        assert body["message"] == f"{cast[holder][0]} does not hold batch {stage.lot_of(batch)}"
    assert block_number(m) == before


ALL_WRITES = [
    *((w.method, name) for name, w in ROLE_GATED.items()),
    *((w.method, name) for name, w in CUSTODY.items()),
    *((method, name) for name, (method, _path) in UNGATED.items()),
]


def _path(name: str, stage: Stage, cast: dict) -> str:
    if name in UNGATED:
        return UNGATED[name][1]
    return {**ROLE_GATED, **CUSTODY}[name].path(stage, cast)


@pytest.mark.parametrize(("method", "endpoint"), ALL_WRITES, ids=[n for _m, n in ALL_WRITES])
def test_write_without_a_valid_key_is_401(
    api_market: Market, cast: dict, stage: Stage, method: str, endpoint: str
) -> None:
    m = api_market
    before = block_number(m)
    path = _path(endpoint, stage, cast)
    missing = m.client.request(method, path, json={})
    assert missing.status_code == 401
    assert missing.json()["detail"] == "an API key is required"
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    forged_key = cast["farm"][1][:-4] + "AAAA"
    wrong = m.client.request(method, path, json={}, headers=m.auth(forged_key))
    assert wrong.status_code == 401
    assert wrong.json()["detail"] == "unknown or revoked API key"
    assert block_number(m) == before


# --------------------------------------------------------------------------- validation


@dataclass(frozen=True)
class Invalid:
    """A request refused at the edge: who sends it, where, and which field is named."""

    holder: str
    method: str
    path: Callable[[Stage, dict], str]
    body: Callable[[Stage, dict], Any]
    field: str
    fragment: str


def _with(base: Callable[[Stage, dict], dict], **changes: Any) -> Callable[[Stage, dict], dict]:
    return lambda s, c: {**base(s, c), **changes}


def _sale(s: Stage, _c: dict) -> dict:
    return {"batch_id": s.at_vendor, "quantity": 1, "price": 600, "currency": "CNY"}


def _inspection(**residue: Any) -> Callable[[Stage, dict], dict]:
    row = {"substance": "lead", "measured": 1, "limit": 2, **residue}
    return lambda s, c: {"batch_id": s.held, "passed": True, "residues": [row]}


def _held(suffix: str) -> Callable[[Stage, dict], str]:
    return lambda s, c: f"/batches/{s.held}/{suffix}"


def _const(path: str) -> Callable[[Stage, dict], str]:
    return lambda s, c: path


BAD_ID = "0x1234"
INVALID: dict[str, Invalid] = {
    "harvests-gtin-check-digit": Invalid(
        "farm", "POST", _const("/harvests"), _with(_harvest_body, gtin="06901234000017"), "gtin", "not a valid GTIN"
    ),
    "harvests-negative-quantity": Invalid(
        "farm", "POST", _const("/harvests"), _with(_harvest_body, quantity=-5), "quantity", "greater than 0"
    ),
    "harvests-unknown-field": Invalid(
        "farm", "POST", _const("/harvests"), _with(_harvest_body, colour="green"), "colour", "Extra inputs"
    ),
    "imports-bad-address": Invalid(
        "customs", "POST", _const("/imports"), _with(_import_body, importer="0x1234"), "importer", "Ethereum address"
    ),
    "imports-unassigned-country": Invalid(
        "customs", "POST", _const("/imports"), _with(_import_body, origin_country="XX"), "origin_country", "ISO 3166"
    ),
    "imports-empty-declaration": Invalid(
        "customs",
        "POST",
        _const("/imports"),
        _with(_import_body, declaration_number=""),
        "declaration_number",
        "at least 1 character",
    ),
    "imports-future-clearance": Invalid(
        "customs", "POST", _const("/imports"), _with(_import_body, cleared_at=FUTURE), "cleared_at", "future"
    ),
    "handoff-bad-batch-id": Invalid(
        "farm",
        "POST",
        _const(f"/batches/{BAD_ID}/handoff"),
        lambda s, c: {"to": c["wholesaler"][0]},
        "batch_id",
        "0x and 64 hex digits",
    ),
    "handoff-bad-address": Invalid(
        "farm", "POST", _held("handoff"), lambda s, c: {"to": "Stall A12"}, "to", "not an Ethereum address"
    ),
    "handoff-no-recipient": Invalid("farm", "POST", _held("handoff"), lambda s, c: {}, "to", "Field required"),
    "accept-bad-batch-id": Invalid(
        "wholesaler", "POST", _const("/batches/GV-2611-01/accept"), lambda s, c: None, "batch_id", "64 hex digits"
    ),
    "cancel-bad-batch-id": Invalid(
        "farm", "POST", _const("/batches/0x" + "zz" * 32 + "/cancel"), lambda s, c: None, "batch_id", "64 hex digits"
    ),
    "split-no-parts": Invalid("farm", "POST", _held("split"), lambda s, c: {"parts": []}, "parts", "at least 1 item"),
    "split-zero-quantity": Invalid(
        "farm",
        "POST",
        _held("split"),
        lambda s, c: {"parts": [{"lot": new_lot(), "quantity": 0}]},
        "quantity",
        "greater than 0",
    ),
    "split-empty-lot": Invalid(
        "farm", "POST", _held("split"), lambda s, c: {"parts": [{"lot": "", "quantity": 3}]}, "lot", "pattern"
    ),
    "merges-one-batch": Invalid(
        "farm",
        "POST",
        _const("/merges"),
        lambda s, c: {"batch_ids": [s.held], "lot": new_lot()},
        "batch_ids",
        "at least 2 items",
    ),
    "merges-bad-batch-id": Invalid(
        "farm",
        "POST",
        _const("/merges"),
        lambda s, c: {"batch_ids": [s.held, BAD_ID], "lot": new_lot()},
        "batch_ids",
        "64 hex digits",
    ),
    "merges-same-batch-twice": Invalid(
        "farm",
        "POST",
        _const("/merges"),
        lambda s, c: {"batch_ids": [s.held, s.held], "lot": new_lot()},
        "batch_ids",
        "more than once",
    ),
    "inspections-empty-substance": Invalid(
        "lab", "POST", _const("/inspections"), _inspection(substance=""), "substance", "at least 1 character"
    ),
    "inspections-negative-measure": Invalid(
        "lab", "POST", _const("/inspections"), _inspection(measured=-1), "measured", "greater than or equal to 0"
    ),
    "inspections-negative-limit": Invalid(
        "lab", "POST", _const("/inspections"), _inspection(limit=-3), "limit", "greater than or equal to 0"
    ),
    "inspections-no-verdict": Invalid(
        "lab", "POST", _const("/inspections"), lambda s, c: {"batch_id": s.held}, "passed", "Field required"
    ),
    "sales-negative-price": Invalid(
        "vendor", "POST", _const("/sales"), _with(_sale, price=-1), "price", "greater than"
    ),
    "sales-unknown-currency": Invalid(
        "vendor", "POST", _const("/sales"), _with(_sale, currency="QQQ"), "currency", "ISO 4217"
    ),
    "sales-zero-quantity": Invalid(
        "vendor", "POST", _const("/sales"), _with(_sale, quantity=0), "quantity", "greater than 0"
    ),
    "sales-bad-batch-id": Invalid(
        "vendor", "POST", _const("/sales"), _with(_sale, batch_id=BAD_ID), "batch_id", "64 hex digits"
    ),
    "recalls-empty-reason": Invalid(
        "regulator",
        "POST",
        _const("/recalls"),
        lambda s, c: {"batch_ids": [s.spare], "reason": ""},
        "reason",
        "at least 1 character",
    ),
    "recalls-blank-reason": Invalid(
        "regulator",
        "POST",
        _const("/recalls"),
        lambda s, c: {"batch_ids": [s.spare], "reason": "   "},
        "reason",
        "blank",
    ),
    "recalls-no-batches": Invalid(
        "regulator",
        "POST",
        _const("/recalls"),
        lambda s, c: {"batch_ids": [], "reason": "E. coli"},
        "batch_ids",
        "at least 1 item",
    ),
    "recalls-lots-bad-gtin": Invalid(
        "regulator",
        "POST",
        _const("/recalls/lots"),
        lambda s, c: {"gtin": "06901234000017", "lot": "X", "reason": "E. coli"},
        "gtin",
        "not a valid GTIN",
    ),
    "recalls-lots-empty-reason": Invalid(
        "regulator",
        "POST",
        _const("/recalls/lots"),
        lambda s, c: {"gtin": GTIN, "lot": s.lots[s.held], "reason": ""},
        "reason",
        "at least 1 character",
    ),
    "release-empty-reason": Invalid(
        "regulator",
        "POST",
        lambda s, c: f"/batches/{s.quarantined}/release",
        lambda s, c: {"reason": ""},
        "reason",
        "at least 1 character",
    ),
    "release-bad-batch-id": Invalid(
        "regulator", "POST", _const(f"/batches/{BAD_ID}/release"), lambda s, c: {"reason": "x"}, "batch_id", "64 hex"
    ),
    "participants-unknown-role": Invalid(
        "authority",
        "POST",
        _const("/participants"),
        lambda s, c: {"role": "KING", "name": "x", "identifier": "y"},
        "role",
        "'SUPPLIER'",
    ),
    "participants-empty-name": Invalid(
        "authority",
        "POST",
        _const("/participants"),
        lambda s, c: {"role": "LAB", "name": "", "identifier": "y"},
        "name",
        "at least 1 character",
    ),
    "participants-bad-address": Invalid(
        "authority",
        "POST",
        _const("/participants"),
        lambda s, c: {"role": "LAB", "name": "x", "identifier": "y", "address": "0xnope"},
        "address",
        "not an Ethereum address",
    ),
    "suspend-bad-address": Invalid(
        "authority",
        "POST",
        _const("/participants/0x1234/suspend"),
        lambda s, c: {"reason": "x"},
        "address",
        "not an Ethereum address",
    ),
    "suspend-empty-reason": Invalid(
        "authority",
        "POST",
        lambda s, c: f"/participants/{c['vendor2'][0]}/suspend",
        lambda s, c: {"reason": ""},
        "reason",
        "at least 1 character",
    ),
    "reinstate-bad-address": Invalid(
        "authority", "POST", _const("/participants/stall-b03/reinstate"), lambda s, c: None, "address", "Ethereum"
    ),
    "keys-bad-address": Invalid(
        "authority", "POST", _const("/participants/0xZZ/keys"), lambda s, c: None, "address", "Ethereum"
    ),
    "webhooks-ftp-url": Invalid(
        "vendor", "POST", _const("/webhooks"), lambda s, c: {"url": "ftp://stall.example/x"}, "url", "http"
    ),
    "transactions-not-hex": Invalid(
        "farm", "POST", _const("/transactions"), lambda s, c: {"raw_transaction": "0xzz"}, "raw_transaction", "pattern"
    ),
    "transactions-not-signed": Invalid(
        "farm",
        "POST",
        _const("/transactions"),
        lambda s, c: {"raw_transaction": "0x00"},
        "",
        "not a signed transaction",
    ),
}


@pytest.mark.parametrize("case", INVALID.values(), ids=INVALID.keys())
def test_invalid_request_is_422_naming_the_field(api_market: Market, cast: dict, stage: Stage, case: Invalid) -> None:
    m = api_market
    before = block_number(m)
    answer = request(m, case.method, case.path(stage, cast), key_of(m, cast, case.holder), case.body(stage, cast))
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    if isinstance(detail, str):  # refused by the route itself, in a sentence
        assert case.fragment in detail
    else:  # refused by the schema: the field is named in `loc`, the rule in `msg`
        named = [d for d in detail if case.field in d["loc"]]
        assert named, detail
        assert case.fragment in named[0]["msg"]
    assert block_number(m) == before


def test_empty_document_is_422(api_market: Market, cast: dict) -> None:
    answer = api_market.client.post(
        "/documents", content=b"", headers={**api_market.auth(cast["lab"][1]), "Content-Type": "application/pdf"}
    )
    assert answer.status_code == 422
    assert answer.json()["detail"] == "the document is empty"


# --------------------------------------------------------------------------- chain rules


@dataclass(frozen=True)
class Refused:
    """A well-formed request the contract refuses: the error it names and its sentence."""

    holder: str
    method: str
    path: Callable[[Stage, dict], str]
    body: Callable[[Stage, dict], Any]
    status: int
    error: str
    message: Callable[[Stage, dict], str]


REFUSED: dict[str, Refused] = {
    "handoff-not-custodian": Refused(
        "wholesaler",
        "POST",
        _held("handoff"),
        lambda s, c: {"to": c["vendor"][0]},
        403,
        "NotCustodian",
        lambda s, c: f"{c['wholesaler'][0]} does not hold batch {s.lot_of(s.held)}",
    ),
    "handoff-unknown-batch": Refused(
        "farm",
        "POST",
        _const(f"/batches/{NO_BATCH}/handoff"),
        lambda s, c: {"to": c["vendor"][0]},
        404,
        "BatchNotFound",
        lambda s, c: f"there is no batch {NO_BATCH}",
    ),
    "handoff-to-self": Refused(
        "farm",
        "POST",
        _held("handoff"),
        lambda s, c: {"to": c["farm"][0]},
        409,
        "HandOffToSelf",
        lambda s, c: "a batch cannot be handed to its own custodian",
    ),
    "handoff-in-transit": Refused(
        "farm",
        "POST",
        lambda s, c: f"/batches/{s.pending}/handoff",
        lambda s, c: {"to": c["vendor"][0]},
        409,
        "BatchInTransit",
        lambda s, c: (
            f"batch {s.lot_of(s.pending)} is on its way to {c['wholesaler'][0]}; "
            "it can be sold or repacked once accepted"
        ),
    ),
    "accept-wrong-recipient": Refused(
        "vendor",
        "POST",
        lambda s, c: f"/batches/{s.pending}/accept",
        lambda s, c: None,
        403,
        "NotPendingRecipient",
        lambda s, c: f"batch {s.lot_of(s.pending)} was not handed to {c['vendor'][0]}",
    ),
    "accept-nothing-pending": Refused(
        "wholesaler",
        "POST",
        _held("accept"),
        lambda s, c: None,
        409,
        "NoPendingHandOff",
        lambda s, c: f"batch {s.lot_of(s.held)} has no pending hand-off",
    ),
    "cancel-nothing-pending": Refused(
        "farm",
        "POST",
        _held("cancel"),
        lambda s, c: None,
        409,
        "NoPendingHandOff",
        lambda s, c: f"batch {s.lot_of(s.held)} has no pending hand-off",
    ),
    "split-beyond-remaining": Refused(
        "farm",
        "POST",
        _held("split"),
        lambda s, c: {"parts": [{"lot": new_lot(), "quantity": 60}, {"lot": new_lot(), "quantity": 50}]},
        409,
        "InsufficientQuantity",
        lambda s, c: f"batch {s.lot_of(s.held)} has 40 left, 50 were asked for",
    ),
    "split-existing-lot": Refused(
        "farm",
        "POST",
        _held("split"),
        lambda s, c: {"parts": [{"lot": s.lots[s.held2], "quantity": 1}]},
        409,
        "BatchAlreadyExists",
        lambda s, c: "a batch with this GTIN and lot is already registered",
    ),
    "merge-mismatched-gtins": Refused(
        "farm",
        "POST",
        _const("/merges"),
        lambda s, c: {"batch_ids": [s.held, s.other_gtin], "lot": new_lot()},
        409,
        "MergeMismatch",
        lambda s, c: "only batches of one GTIN and unit can be merged",
    ),
    "merge-someone-elses": Refused(
        "farm",
        "POST",
        _const("/merges"),
        lambda s, c: {"batch_ids": [s.held, s.at_vendor], "lot": new_lot()},
        403,
        "NotCustodian",
        lambda s, c: f"{c['farm'][0]} does not hold batch {s.lot_of(s.at_vendor)}",
    ),
    "inspection-passed-over-limit": Refused(
        "lab",
        "POST",
        _const("/inspections"),
        _inspection(measured=30, limit=20),
        422,
        "InspectionInconsistent",
        lambda s, c: "a test reported as passed has residue 0 over its limit",
    ),
    "release-not-quarantined": Refused(
        "regulator",
        "POST",
        _held("release"),
        lambda s, c: {"reason": "re-tested"},
        409,
        "BatchNotQuarantined",
        lambda s, c: f"batch {s.lot_of(s.held)} is not quarantined",
    ),
    "sale-quarantined": Refused(
        "vendor",
        "POST",
        _const("/sales"),
        lambda s, c: {"batch_id": s.quarantined, "quantity": 1, "price": 600},
        409,
        "BatchQuarantined",
        lambda s, c: (
            f"batch {s.lot_of(s.quarantined)} failed its residue test on {s.failed_on}; only a regulator can release it"
        ),
    ),
    "sale-beyond-remaining": Refused(
        "vendor",
        "POST",
        _const("/sales"),
        lambda s, c: {"batch_id": s.at_vendor, "quantity": 61, "price": 600},
        409,
        "InsufficientQuantity",
        lambda s, c: f"batch {s.lot_of(s.at_vendor)} has 60 left, 61 were asked for",
    ),
    "sale-other-stall": Refused(
        "vendor2",
        "POST",
        _const("/sales"),
        lambda s, c: {"batch_id": s.at_vendor, "quantity": 1, "price": 600},
        403,
        "NotCustodian",
        lambda s, c: f"{c['vendor2'][0]} does not hold batch {s.lot_of(s.at_vendor)}",
    ),
    "recall-unknown-batch": Refused(
        "regulator",
        "POST",
        _const("/recalls"),
        lambda s, c: {"batch_ids": [NO_BATCH], "reason": "E. coli"},
        404,
        "BatchNotFound",
        lambda s, c: f"there is no batch {NO_BATCH}",
    ),
    "participant-registered-twice": Refused(
        "authority",
        "POST",
        _const("/participants"),
        lambda s, c: {"role": "LAB", "name": "x", "identifier": "y", "address": c["lab"][0]},
        409,
        "ParticipantAlreadyRegistered",
        lambda s, c: f"{c['lab'][0]} is already registered",
    ),
    "reinstate-active": Refused(
        "authority",
        "POST",
        lambda s, c: f"/participants/{c['vendor2'][0]}/reinstate",
        lambda s, c: None,
        409,
        "ParticipantStateUnchanged",
        lambda s, c: f"{c['vendor2'][0]} is already in that state",
    ),
}


@pytest.mark.parametrize("case", REFUSED.values(), ids=REFUSED.keys())
def test_chain_rule_refusal_names_the_contract_error(
    api_market: Market, cast: dict, stage: Stage, case: Refused
) -> None:
    """Refused by the contract (in the gas estimate, so no transaction is sent), answered
    with the custom error's name, its arguments and a sentence naming the lot."""
    m = api_market
    before = block_number(m)
    answer = request(m, case.method, case.path(stage, cast), key_of(m, cast, case.holder), case.body(stage, cast))
    assert answer.status_code == case.status, answer.text
    body = answer.json()
    assert body["error"] == case.error
    assert body["message"] == case.message(stage, cast)
    assert isinstance(body["args"], dict)
    assert block_number(m) == before


def test_unknown_participant_is_404_for_authority_writes(api_market: Market) -> None:
    m = api_market
    stranger = "0x" + "12" * 20
    before = block_number(m)
    for path, body in (
        (f"/participants/{stranger}/suspend", {"reason": "x"}),
        (f"/participants/{stranger}/keys", None),
    ):
        answer = m.client.post(path, json=body, headers=m.auth(m.authority_key))
        assert answer.status_code == 404, (path, answer.text)
        assert "not a registered participant" in answer.text
    assert block_number(m) == before


# --------------------------------------------------------------------------- success


def test_cancel_hand_off_returns_custody_to_the_sender(api_market: Market, cast: dict) -> None:
    m, ledger = api_market, api_market.client.app.state.services.ledger
    batch_id = harvest(m, cast["farm"][1])
    hand_off(m, batch_id, cast["farm"][1], cast["vendor"][0])
    answer = m.client.post(f"/batches/{batch_id}/cancel", headers=m.auth(cast["farm"][1]))
    assert answer.status_code == 200, answer.text
    (event,) = answer.json()["events"]
    assert event["name"] == "HandOffCancelled"
    assert event["args"] == {"batchId": batch_id, "from": cast["farm"][0], "to": cast["vendor"][0]}
    state = ledger.batch(bytes.fromhex(batch_id[2:]))
    assert state.pending_recipient is None
    refused = m.client.post(f"/batches/{batch_id}/accept", headers=m.auth(cast["vendor"][1]))
    assert refused.status_code == 409
    assert refused.json()["error"] == "NoPendingHandOff"
    deliver(m, batch_id, cast["farm"], cast["wholesaler"])  # and it can go elsewhere


def test_split_into_several_parts(api_market: Market, cast: dict) -> None:
    m, ledger = api_market, api_market.client.app.state.services.ledger
    parent = harvest(m, cast["farm"][1], quantity=100)
    parts = [{"lot": new_lot("SP"), "quantity": q} for q in (10, 20, 30)]
    answer = m.client.post(f"/batches/{parent}/split", json={"parts": parts}, headers=m.auth(cast["farm"][1]))
    assert answer.status_code == 201, answer.text
    children = answer.json()["batch_ids"]
    assert len(set(children)) == 3
    events = answer.json()["events"]
    assert [e["name"] for e in events] == ["BatchSplit"] * 3
    assert [(e["args"]["lot"], e["args"]["quantity"]) for e in events] == [(p["lot"], p["quantity"]) for p in parts]
    assert [e["args"]["childId"] for e in events] == children
    assert ledger.batch(bytes.fromhex(parent[2:])).remaining == 40
    for child, part in zip(children, parts, strict=True):
        assert child == "0x" + ledger.batch_id(GTIN, part["lot"]).hex()
        state = ledger.batch(bytes.fromhex(child[2:]))
        assert (state.remaining, state.gtin, state.unit) == (part["quantity"], GTIN, "KGM")
    rest = m.client.post(
        f"/batches/{parent}/split",
        json={"parts": [{"lot": new_lot("SP"), "quantity": 40}]},
        headers=m.auth(cast["farm"][1]),
    )
    assert rest.status_code == 201
    assert ledger.batch(bytes.fromhex(parent[2:])).status == "sold_out"


def test_merge_two_batches_into_one_lot(api_market: Market, cast: dict) -> None:
    m, ledger = api_market, api_market.client.app.state.services.ledger
    first, second = harvest(m, cast["farm"][1], quantity=40), harvest(m, cast["farm"][1], quantity=60)
    lot = new_lot("MG")
    answer = m.client.post("/merges", json={"batch_ids": [first, second], "lot": lot}, headers=m.auth(cast["farm"][1]))
    assert answer.status_code == 201, answer.text
    (child,) = answer.json()["batch_ids"]
    (event,) = answer.json()["events"]
    assert event["name"] == "BatchesMerged"
    assert event["args"]["parentIds"] == [first, second]
    assert event["args"]["parentQuantities"] == [40, 60]
    assert (event["args"]["childId"], event["args"]["lot"], event["args"]["quantity"]) == (child, lot, 100)
    assert ledger.batch(bytes.fromhex(child[2:])).remaining == 100
    assert {ledger.batch(bytes.fromhex(p[2:])).status for p in (first, second)} == {"sold_out"}


def test_release_after_a_failed_inspection_lets_the_stall_sell(api_market: Market, cast: dict) -> None:
    m = api_market
    batch_id = harvest(m, cast["farm"][1], quantity=30)
    deliver(m, batch_id, cast["farm"], cast["vendor"])
    fail_inspection(m, cast["lab"][1], batch_id)
    m.sync()
    sale = {"batch_id": batch_id, "quantity": 2, "price": 900}
    blocked = m.client.post("/sales", json=sale, headers=m.auth(cast["vendor"][1]))
    assert (blocked.status_code, blocked.json()["error"]) == (409, "BatchQuarantined")
    reason = "retained sample re-tested within limits (report 2026-1125-07)"
    released = m.client.post(
        f"/batches/{batch_id}/release", json={"reason": reason}, headers=m.auth(cast["regulator"][1])
    )
    assert released.status_code == 200, released.text
    (event,) = released.json()["events"]
    assert event["name"] == "QuarantineReleased"
    assert event["args"] == {"batchId": batch_id, "regulator": cast["regulator"][0], "reason": reason}
    sold = m.client.post("/sales", json=sale, headers=m.auth(cast["vendor"][1]))
    assert sold.status_code == 201, sold.text
    assert sold.json()["qr_url"].endswith(f"/21/1?receipt={sold.json()['receipt']}")  # with the rating proof


def test_suspended_participant_is_refused_until_reinstated(api_market: Market, cast: dict) -> None:
    m = api_market
    services = m.client.app.state.services
    address, key = m.admit("SUPPLIER", "Hillside Farm", "6901234000023")
    batch_id = harvest(m, key)
    suspended = m.client.post(
        f"/participants/{address}/suspend", json={"reason": "licence expired"}, headers=m.auth(m.authority_key)
    )
    assert suspended.status_code == 200, suspended.text
    (event,) = suspended.json()["events"]
    assert (event["name"], event["args"]) == ("ParticipantSuspended", {"account": address, "reason": "licence expired"})
    again = m.client.post(f"/participants/{address}/suspend", json={"reason": "twice"}, headers=m.auth(m.authority_key))
    assert (again.status_code, again.json()["error"]) == (409, "ParticipantStateUnchanged")

    before = block_number(m)
    edge = m.client.post(
        "/harvests",
        json={"gtin": GTIN, "lot": new_lot(), "quantity": 5, "harvested_at": ago(1), "origin": "geo:1,2"},
        headers=m.auth(key),
    )
    assert edge.status_code == 403
    assert edge.json()["detail"] == f"participant {address} is suspended"
    # custody writes have no role to check at the edge: the contract refuses the suspended
    moved = m.client.post(f"/batches/{batch_id}/handoff", json={"to": cast["wholesaler"][0]}, headers=m.auth(key))
    assert moved.status_code == 403
    assert moved.json()["error"] == "ParticipantNotActive"
    assert moved.json()["message"] == f"participant {address} is suspended and can do nothing until reinstated"
    raw = sign_call(m, services.keys.account(address), "handOff", [bytes.fromhex(batch_id[2:]), cast["wholesaler"][0]])
    relayed = m.client.post("/transactions", json={"raw_transaction": "0x" + raw.hex()}, headers=m.auth(key))
    assert (relayed.status_code, relayed.json()["error"]) == (403, "ParticipantNotActive")
    assert block_number(m) == before
    # and straight to the node, past the API: the chain itself refuses
    receipt = send_to_node(m, raw)
    assert receipt["status"] == 0 and receipt["logs"] == []
    assert services.ledger.batch(bytes.fromhex(batch_id[2:])).pending_recipient is None

    reinstated = m.client.post(f"/participants/{address}/reinstate", headers=m.auth(m.authority_key))
    assert reinstated.status_code == 200, reinstated.text
    assert reinstated.json()["events"][0]["name"] == "ParticipantReinstated"
    hand_off(m, batch_id, key, cast["wholesaler"][0])


def test_second_key_works_alongside_the_first(api_market: Market, cast: dict) -> None:
    m = api_market
    address, first = m.admit("SUPPLIER", "Riverside Farm", "6901234000030")
    answer = m.client.post(f"/participants/{address}/keys", headers=m.auth(m.authority_key))
    assert answer.status_code == 201, answer.text
    second = answer.json()["api_key"]
    assert answer.json()["address"] == address
    assert second != first and second.startswith("fl_")
    for key in (first, second):
        batch_id = harvest(m, key)
        registered = m.client.app.state.services.ledger.batch(bytes.fromhex(batch_id[2:]))
        assert registered.remaining == 100
    # the new key is the participant's: it may move the batch the first key registered
    hand_off(m, batch_id, first, cast["wholesaler"][0])


def test_handoff_to_a_stranger_or_a_suspended_participant_is_refused_before_sending(
    api_market: Market, cast: dict, stage: Stage
) -> None:
    """The recipient's standing is no fault of the caller's: not 403, and nothing sent."""
    m = api_market
    stranger = Account.create().address
    before = block_number(m)
    unknown = m.client.post(f"/batches/{stage.held}/handoff", json={"to": stranger}, headers=m.auth(cast["farm"][1]))
    assert unknown.status_code == 422
    assert unknown.json()["detail"] == f"{stranger} is not a registered participant of this market"
    assert block_number(m) == before
    address, _key = m.admit("VENDOR", "Stall D07", "JY33010600011111")
    suspended = m.client.post(
        f"/participants/{address}/suspend", json={"reason": "licence expired"}, headers=m.auth(m.authority_key)
    )
    assert suspended.status_code == 200
    before = block_number(m)
    refused = m.client.post(f"/batches/{stage.held}/handoff", json={"to": address}, headers=m.auth(cast["farm"][1]))
    assert refused.status_code == 409
    assert refused.json()["detail"] == f"participant {address} is suspended and cannot receive batches"
    assert block_number(m) == before


def test_participant_keeping_its_own_key_signs_its_own_transactions(api_market: Market) -> None:
    """Admitted with its own address, the market holds no key for it: managed writes say
    where to go instead (403, nothing sent), and its signed transaction goes through."""
    m = api_market
    services = m.client.app.state.services
    wallet = Account.create()
    admitted = m.client.post(
        "/participants",
        json={"role": "SUPPLIER", "name": "Own Key Farm", "identifier": "6901234000054", "address": wallet.address},
        headers=m.auth(m.authority_key),
    )
    assert admitted.status_code == 201, admitted.text
    key = admitted.json()["api_key"]
    before = block_number(m)
    body = {"gtin": GTIN, "lot": new_lot(), "quantity": 5, "harvested_at": ago(1), "origin": "geo:1,2"}
    managed = m.client.post("/harvests", json=body, headers=m.auth(key))
    assert managed.status_code == 403
    assert managed.json()["detail"] == (
        f"the market does not hold the key of {wallet.address}: sign the transaction yourself "
        "and send it to POST /transactions"
    )
    assert block_number(m) == before
    ledger = services.ledger
    ledger.client.fund(services.keys.account(dev_account(0).address), wallet.address, 10**17, abi=ledger.abi)
    args = [gtin_number(GTIN), body["lot"], 5, code("KGM", 3), 1, "geo:1,2", b""]
    raw = sign_call(m, wallet, "registerHarvest", args)
    signed = m.client.post("/transactions", json={"raw_transaction": "0x" + raw.hex()}, headers=m.auth(key))
    assert signed.status_code == 200, signed.text
    (event,) = signed.json()["events"]
    assert (event["name"], event["args"]["supplier"], event["args"]["lot"]) == (
        "HarvestRegistered",
        wallet.address,
        body["lot"],
    )


def test_x_api_key_header_authenticates_as_well(api_market: Market, cast: dict) -> None:
    m = api_market
    body = {"gtin": GTIN, "lot": new_lot(), "quantity": 5, "harvested_at": ago(1), "origin": "geo:1,2"}
    answer = m.client.post("/harvests", json=body, headers={"X-API-Key": cast["farm"][1]})
    assert answer.status_code == 201, answer.text
    assert answer.json()["events"][0]["args"]["supplier"] == cast["farm"][0]


# --------------------------------------------------------------------------- forged


@dataclass(frozen=True)
class Forged:
    """A call signed by an account that may not make it, and the error the chain answers."""

    signer: str
    function: str
    args: Callable[[Stage, dict], list[Any]]
    error: str
    error_args: Callable[[Stage, dict], dict[str, Any]]


def _id(batch_id: str) -> bytes:
    return bytes.fromhex(batch_id[2:])


def _denied(holder: str, role: str) -> Callable[[Stage, dict], dict[str, Any]]:
    needed = DEFAULT_ADMIN_ROLE if role == "ADMIN" else ROLE_IDS[role]
    return lambda s, c: {"account": c[holder][0], "neededRole": "0x" + needed.hex()}


FORGED: dict[str, Forged] = {
    "handOff-by-non-custodian": Forged(
        "vendor",
        "handOff",
        lambda s, c: [_id(s.held), c["vendor"][0]],
        "NotCustodian",
        lambda s, c: {"batchId": s.held, "account": c["vendor"][0]},
    ),
    "recordSale-by-supplier": Forged(
        "farm",
        "recordSale",
        lambda s, c: [_id(s.held), 1, 600, code("CNY", 3)],
        "AccessControlUnauthorizedAccount",
        _denied("farm", "VENDOR"),
    ),
    "recall-by-vendor": Forged(
        "vendor",
        "recall",
        lambda s, c: [[_id(s.at_vendor)], "a competitor's lot"],
        "AccessControlUnauthorizedAccount",
        _denied("vendor", "REGULATOR"),
    ),
    "recordInspection-by-vendor": Forged(
        "vendor",
        "recordInspection",
        lambda s, c: [_id(s.at_vendor), True, [("lead", 1, 2, "ug/kg")], b""],
        "AccessControlUnauthorizedAccount",
        _denied("vendor", "LAB"),
    ),
    "releaseQuarantine-by-lab": Forged(
        "lab",
        "releaseQuarantine",
        lambda s, c: [_id(s.quarantined), "looks fine to me"],
        "AccessControlUnauthorizedAccount",
        _denied("lab", "REGULATOR"),
    ),
    "registerImport-by-supplier": Forged(
        "farm",
        "registerImport",
        lambda s, c: [
            gtin_number(OTHER_GTIN),
            new_lot(),
            10,
            code("KGM", 3),
            c["farm"][0],
            code("TH", 2),
            code("08106000", 10),
            "310120261000999999",
            1,
            "CNNGB",
            b"",
        ],
        "AccessControlUnauthorizedAccount",
        _denied("farm", "CUSTOMS"),
    ),
    "suspendParticipant-by-regulator": Forged(
        "regulator",
        "suspendParticipant",
        lambda s, c: [c["vendor"][0], "I say so"],
        "AccessControlUnauthorizedAccount",
        _denied("regulator", "ADMIN"),
    ),
}


@pytest.mark.parametrize("case", FORGED.values(), ids=FORGED.keys())
def test_forged_transaction_is_refused_by_the_contract(
    api_market: Market, cast: dict, stage: Stage, case: Forged
) -> None:
    """Signed by the wrong account: relayed through /transactions it is refused with the
    contract's error (simulated, nothing sent); sent straight to the node it is mined as
    a revert that changes nothing."""
    m = api_market
    services = m.client.app.state.services
    signer = services.keys.account(cast[case.signer][0])
    raw = sign_call(m, signer, case.function, case.args(stage, cast))
    watched = [_id(b) for b in (stage.held, stage.at_vendor, stage.quarantined)]
    states = [services.ledger.batch(b) for b in watched]
    vendor_record = services.ledger.read("participant", cast["vendor"][0])

    before = block_number(m)
    relayed = m.client.post(
        "/transactions", json={"raw_transaction": "0x" + raw.hex()}, headers=m.auth(cast[case.signer][1])
    )
    assert relayed.status_code == 403, relayed.text
    assert relayed.json()["error"] == case.error
    assert relayed.json()["args"] == case.error_args(stage, cast)
    assert block_number(m) == before

    receipt = send_to_node(m, raw)
    assert receipt["status"] == 0
    assert receipt["logs"] == []
    assert [services.ledger.batch(b) for b in watched] == states
    assert services.ledger.read("participant", cast["vendor"][0]) == vendor_record


def test_forged_revert_names_the_missing_role(api_market: Market, cast: dict, stage: Stage) -> None:
    """The sentence of AccessControlUnauthorizedAccount says which role was missing."""
    m = api_market
    vendor = m.client.app.state.services.keys.account(cast["vendor"][0])
    raw = sign_call(m, vendor, "recall", [[_id(stage.at_vendor)], "x"])
    answer = m.client.post(
        "/transactions", json={"raw_transaction": "0x" + raw.hex()}, headers=m.auth(cast["vendor"][1])
    )
    assert answer.json()["message"] == f"{cast['vendor'][0]} does not hold the role this needs (regulator)"
