# Chinese punctuation is full-width on purpose (as Chinese is typeset); RUF001 would want ASCII.
# ruff: noqa: RUF001
"""The demo market's notices and floor plan: the bureau's notice about the recalled
strawberries, the market's opening hours, and a hall with the three stalls, three empty
places, the lab and two gates."""

from __future__ import annotations

from ledger.demo.market import Cast
from ledger.notices.layout import FloorPlan
from ledger.notices.text import NoticeText

#: How long the demo's notices are shown.
NOTICE_DAYS = 30

RECALL_NOTICE = NoticeText.build(
    {
        "ko": "딸기 로트 SB-2611-07 회수",
        "zh": "草莓批次 SB-2611-07 召回",
        "en": "Strawberry lot SB-2611-07 recalled",
    },
    {
        "ko": "잔류 농약 기준 초과. 구입하신 분은 드시지 말고 매장에서 환불받으세요.",
        "zh": "农药残留超标。已购买的顾客请勿食用，可凭小票到摊位退款。",
        "en": "Pesticide residue over the legal limit. Do not eat it; the stall refunds it with the receipt.",
    },
)

HOURS_NOTICE = NoticeText.build(
    {"ko": "영업시간 안내", "zh": "营业时间", "en": "Opening hours"},
    {
        "ko": "매일 06:00-19:00. 월요일 오후 2시부터 청소로 휴장합니다.",
        "zh": "每日 06:00-19:00。周一下午两点起闭市清洁。",
        "en": "Daily 06:00-19:00. Closed from 14:00 on Mondays for cleaning.",
    },
)


def floor_plan(who: Cast) -> FloorPlan:
    """The hall (40 x 24 units): stalls A12, B03 and C07 along the north wall, empty places
    below them, the lab in the north-east corner, gates north and south."""
    return FloorPlan.parse(
        {
            "width": 40,
            "height": 24,
            "stalls": [
                {"stall": who.stall_a.address, "x": 2, "y": 3, "w": 8, "h": 6},
                {"stall": who.stall_b.address, "x": 12, "y": 3, "w": 8, "h": 6},
                {"stall": who.stall_c.address, "x": 22, "y": 3, "w": 8, "h": 6},
            ],
            "empty": [
                {"label": "A14", "x": 2, "y": 14, "w": 8, "h": 6},
                {"label": "B05", "x": 12, "y": 14, "w": 8, "h": 6},
                {"label": "C09", "x": 22, "y": 14, "w": 8, "h": 6},
            ],
            "entrances": [{"label": "N", "x": 20, "y": 0}, {"label": "S", "x": 20, "y": 24}],
            "lab": {"x": 32, "y": 3, "w": 6, "h": 6},
        },
        registered=[who.stall_a.address, who.stall_b.address, who.stall_c.address],
    )
