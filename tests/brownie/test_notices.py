"""Notices and the floor plan: published by the regulator or the market authority only,
with a CID and a window that is not over; event-only."""

from helpers import DOCUMENT_CID, HOUR, reverts_with

ADMIN_ROLE = "0x" + "00" * 32
ZERO = "0x" + "00" * 20
NO_BATCH = "0x" + "00" * 32


def test_regulator_publishes_a_notice_about_a_lot_and_a_stall(market, regulator, vendor, greens, now):
    tx = market.publishNotice(DOCUMENT_CID, now - 60, now + HOUR, greens, vendor, {"from": regulator})

    published = tx.events["NoticePublished"]
    assert (published["author"], published["batchId"], published["stall"]) == (regulator, greens, vendor)
    assert (bytes(published["cid"]), published["validFrom"], published["validUntil"]) == (
        DOCUMENT_CID,
        now - 60,
        now + HOUR,
    )


def test_authority_publishes_a_notice_about_nothing_in_particular(market, authority, now):
    tx = market.publishNotice(DOCUMENT_CID, now, now + HOUR, NO_BATCH, ZERO, {"from": authority})
    assert tx.events["NoticePublished"]["author"] == authority


def test_others_and_bad_windows_are_refused(market, farm, vendor, regulator, now):
    for caller in (farm, vendor):
        with reverts_with("NoticeAuthorUnauthorized(address)", caller):
            market.publishNotice(DOCUMENT_CID, now, now + HOUR, NO_BATCH, ZERO, {"from": caller})
    with reverts_with("NoticeWindowInvalid(uint64,uint64)", now + HOUR, now):
        market.publishNotice(DOCUMENT_CID, now + HOUR, now, NO_BATCH, ZERO, {"from": regulator})
    with reverts_with("NoticeWindowInvalid(uint64,uint64)", now - 2 * HOUR, now - HOUR):
        market.publishNotice(DOCUMENT_CID, now - 2 * HOUR, now - HOUR, NO_BATCH, ZERO, {"from": regulator})
    with reverts_with("InvalidDocumentCid(bytes)", b""):
        market.publishNotice(b"", now, now + HOUR, NO_BATCH, ZERO, {"from": regulator})


def test_only_the_authority_sets_the_floor_plan(market, authority, regulator):
    tx = market.publishLayout(DOCUMENT_CID, {"from": authority})
    assert tx.events["LayoutPublished"]["authority"] == authority
    with reverts_with("AccessControlUnauthorizedAccount(address,bytes32)", regulator, ADMIN_ROLE):
        market.publishLayout(DOCUMENT_CID, {"from": regulator})
