"""publishNotice and publishLayout: who may publish, the checks on the window and the CID,
and the events (nothing is stored: a refused call leaves the chain as it was)."""

from __future__ import annotations

import pytest

from ledger.errors import ContractRevert
from ledger.vocabulary import DEFAULT_ADMIN_ROLE
from tests.factories.batch_calls import chain_now
from tests.factories.market import Market, document_cid, harvest

CID = document_cid(b'{"title": {"en": "Closed on Monday"}}')
ZERO = "0x" + "00" * 20


def _window(market: Market, start: int = -60, end: int = 3600) -> tuple[int, int]:
    # The chain's clock, not the wall clock: after an evm_revert anvil's runs behind.
    now = chain_now(market)
    return now + start, now + end


@pytest.mark.parametrize("author", ["regulator", "admin"])
def test_publish_notice_by_regulator_or_authority_emits_its_fields(market: Market, author: str) -> None:
    batch_id = harvest(market)
    start, end = _window(market)
    account = getattr(market, author)
    result = market.ledger.publish_notice(account, CID, start, end, batch_id=batch_id, stall=market.vendor.address)
    (event,) = result.events
    assert event.name == "NoticePublished"
    assert event.args == {
        "author": account.address,
        "batchId": batch_id,
        "stall": market.vendor.address,
        "cid": CID,
        "validFrom": start,
        "validUntil": end,
    }


def test_publish_notice_without_lot_or_stall_names_zero(market: Market) -> None:
    start, end = _window(market)
    (event,) = market.ledger.publish_notice(market.regulator, CID, start, end).events
    assert (event.args["batchId"], event.args["stall"]) == (bytes(32), ZERO)


@pytest.mark.parametrize("caller", ["supplier", "customs", "lab", "vendor", "outsider"])
def test_publish_notice_refuses_other_callers(market: Market, caller: str) -> None:
    account = getattr(market, caller)
    before = market.ledger.client.block_number()
    with pytest.raises(ContractRevert) as refused:
        market.ledger.publish_notice(account, CID, *_window(market))
    assert (refused.value.name, refused.value.args_by_name) == (
        "NoticeAuthorUnauthorized",
        {"account": account.address},
    )
    assert market.ledger.client.block_number() == before


def test_publish_notice_refuses_a_suspended_regulator(market: Market) -> None:
    market.ledger.suspend_participant(market.admin, market.regulator.address, "under investigation")
    with pytest.raises(ContractRevert) as refused:
        market.ledger.publish_notice(market.regulator, CID, *_window(market))
    assert refused.value.name == "NoticeAuthorUnauthorized"


@pytest.mark.parametrize(("start", "end"), [(3600, 60), (60, 60), (-7200, -60)], ids=["reversed", "empty", "over"])
def test_publish_notice_refuses_a_bad_window(market: Market, start: int, end: int) -> None:
    valid_from, valid_until = _window(market, start, end)
    with pytest.raises(ContractRevert) as refused:
        market.ledger.publish_notice(market.regulator, CID, valid_from, valid_until)
    assert (refused.value.name, refused.value.args_by_name) == (
        "NoticeWindowInvalid",
        {"validFrom": valid_from, "validUntil": valid_until},
    )


@pytest.mark.parametrize(
    ("cid", "error"), [(b"", "InvalidDocumentCid"), (b"not a cid", "InvalidDocumentCid")], ids=["empty", "garbage"]
)
def test_publish_notice_and_layout_refuse_a_bad_cid(market: Market, cid: bytes, error: str) -> None:
    with pytest.raises(ContractRevert) as refused:
        market.ledger.publish_notice(market.regulator, cid, *_window(market))
    assert refused.value.name == error
    with pytest.raises(ContractRevert) as refused:
        market.ledger.publish_layout(market.admin, cid)
    assert refused.value.name == error


def test_publish_layout_by_authority_only(market: Market) -> None:
    (event,) = market.ledger.publish_layout(market.admin, CID).events
    assert (event.name, event.args) == ("LayoutPublished", {"authority": market.admin.address, "cid": CID})
    with pytest.raises(ContractRevert) as refused:
        market.ledger.publish_layout(market.regulator, CID)
    assert (refused.value.name, refused.value.args_by_name) == (
        "AccessControlUnauthorizedAccount",
        {"account": market.regulator.address, "neededRole": DEFAULT_ADMIN_ROLE},
    )
