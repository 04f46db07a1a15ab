# ruff: noqa: RUF001  (Chinese comments use the full-width comma, as Chinese is written)
"""A few demo shoppers rate the stalls they bought from (verified purchases, database only).

Ratings live in the API's database, not on the chain, so they are added after indexing, on
every run: a sale rated already is skipped (one sale gives one rating), so a second run adds
nothing. Stalls A12 and C07 get enough ratings for a mean; B03 few enough that only the count
shows.
"""

from __future__ import annotations

from sqlalchemy import Engine

from ledger.chain.freshledger import sale_id_of
from ledger.demo.scenario import lot_id
from ledger.hexes import to_hex
from ledger.store.ratings import AlreadyRated, add_rating

#: lot, sale serial, stars, comment (as shoppers type them: Chinese, English, or none).
DEMO_RATINGS = (
    ("GV-2611-01-A", 1, 5, "青菜很新鲜，王姐称重很公道。Very fresh greens, fair weight."),
    ("GV-2611-01-A", 2, 4, "Good greens, a bit of soil left on the roots."),
    ("SP-2611-03-A", 1, 5, "菠菜嫩，还能扫码看到检测报告，放心。"),
    ("SC-2611-02-A", 1, 5, None),
    ("GV-2611-01-A", 3, 4, "Fresh, stall was busy at 8am."),
    ("TH-DUR-0931-A", 1, 4, "榴莲肉厚，有海关报关单可查。"),
    ("SB-2611-08-B", 1, 3, "Strawberries OK, a few soft ones."),
    ("GV-2611-01-C", 1, 5, "赵师傅人很好，菜新鲜。"),
    ("TH-DUR-0931-C", 1, 5, "Best durian this month, lab-tested for heavy metals."),
    ("SP-2611-03-C", 1, 4, None),
    ("SB-2611-08-C", 1, 5, "Sweet Jiande strawberries."),
    ("SC-2611-02-C", 1, 4, "玉米很甜。"),
)


def add_demo_ratings(engine: Engine) -> int:
    """Add the demo shoppers' ratings not yet stored; return how many were added."""
    added = 0
    for lot, serial, stars, comment in DEMO_RATINGS:
        sale_id = to_hex(sale_id_of(lot_id(lot), serial))
        try:
            add_rating(engine, sale_id, stars, comment)
        except AlreadyRated:
            continue
        added += 1
    return added
