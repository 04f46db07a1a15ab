"""The demo market's product catalog: its seven products named in English, Chinese and Korean.

The chain records GTINs only; the names live in the API's database (trade item master data),
so they are put there after indexing, on every run. An entry that already says the same is
left alone, so a second run changes nothing.
"""

from __future__ import annotations

from sqlalchemy import Engine

from ledger.demo.market import (
    CORN_GTIN,
    DURIAN_GTIN,
    GREENS_GTIN,
    LONGAN_GTIN,
    MANGOSTEEN_GTIN,
    PRODUCTS,
    SPINACH_GTIN,
    STRAWBERRY_GTIN,
)
from ledger.store.products import list_products, set_product

#: GTIN -> the product's names by language; the default (English) name is the demo's own.
DEMO_NAMES = {
    GREENS_GTIN: {"zh": "青菜", "ko": "청경채"},
    SPINACH_GTIN: {"zh": "菠菜", "ko": "시금치"},
    CORN_GTIN: {"zh": "甜玉米", "ko": "단옥수수"},
    STRAWBERRY_GTIN: {"zh": "建德草莓", "ko": "건덕 딸기"},
    DURIAN_GTIN: {"zh": "金枕榴莲", "ko": "몬통 두리안"},
    MANGOSTEEN_GTIN: {"zh": "山竹", "ko": "망고스틴"},
    LONGAN_GTIN: {"zh": "龙眼", "ko": "용안"},
}


def add_demo_products(engine: Engine) -> int:
    """Name the demo's products in the catalog where it does not say so already; return how
    many entries were written."""
    have = {record.gtin: (record.name, record.names) for record in list_products(engine)}
    written = 0
    for gtin, product in PRODUCTS.items():
        names = DEMO_NAMES[gtin]
        if have.get(gtin) == (product.name, names):
            continue
        set_product(engine, gtin, product.name, names)
        written += 1
    return written
