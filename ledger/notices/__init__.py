"""The market's notices and floor plan as documents: what a notice's text and a plan hold,
and the checks they must pass before they are stored and published on-chain.

Example::

    text = NoticeText.parse(b'{"title": {"en": "Closed Monday"}, "body": {"en": "Cleaning day."}}')
    text.title_in("zh")   # "Closed Monday" (no Chinese title: the first one given)
    plan = FloorPlan.parse(document, registered={"0xA1..."})   # LayoutInvalid on any problem
"""

from ledger.notices.layout import MAX_PLACES, FloorPlan, LayoutInvalid, Place
from ledger.notices.text import NOTICE_LANGUAGES, NoticeInvalid, NoticeText

__all__ = [
    "MAX_PLACES",
    "NOTICE_LANGUAGES",
    "FloorPlan",
    "LayoutInvalid",
    "NoticeInvalid",
    "NoticeText",
    "Place",
]
