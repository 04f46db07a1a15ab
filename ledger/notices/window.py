"""A notice's validity window and what it concerns, checked the same way wherever a notice is
written (the API's ``POST /notices`` and the workbench's notice form) before the contract
checks the author and the window again."""

from __future__ import annotations

from ledger.chain.freshledger import FreshLedgerContract
from ledger.errors import NotFound
from ledger.hexes import to_hex
from ledger.notices.text import NoticeInvalid
from ledger.vocabulary import ROLE_BITS

#: A notice is shown for at most a year: longer is a rule, not a notice.
MAX_WINDOW_S = 366 * 24 * 3600


def check_window(valid_from: int, valid_until: int, now: int) -> None:
    """Raise :class:`NoticeInvalid` unless ``valid_from < valid_until``, the window has not
    ended by `now`, and it lasts at most :data:`MAX_WINDOW_S`."""
    if not valid_from < valid_until or valid_until <= now or valid_until - valid_from > MAX_WINDOW_S:
        raise NoticeInvalid("valid_until must be later than valid_from and than now, at most a year after valid_from")
    if valid_until >= 2**63:
        raise NoticeInvalid("valid_until is too far in the future")


def check_concerns(ledger: FreshLedgerContract, batch_id: bytes | None, stall: str | None) -> None:
    """The lot and the stall a notice names, asked of the chain itself (a lot registered a
    moment ago counts): :class:`NotFound` for an unknown lot, :class:`NoticeInvalid` for an
    address that is not a registered stall."""
    if batch_id is not None and ledger.batch(batch_id).status == "none":
        raise NotFound(f"no lot with batch id {to_hex(batch_id)} is recorded")
    if stall is not None:
        (record,) = ledger.read("participant", stall)
        if not int(record["roles"]) & ROLE_BITS["VENDOR"]:
            raise NoticeInvalid(f"{stall} is not a registered stall")
