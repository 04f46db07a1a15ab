"""The product catalog in the API's database, on SQLite and PostgreSQL: one entry per GTIN
(setting it again replaces it), GTINs checked and stored as 14 digits, names by language with
a fallback to the default name."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from ledger.store import models
from ledger.store.products import (
    MAX_NAME,
    InvalidProduct,
    ProductRecord,
    list_products,
    product_name,
    product_names,
    set_product,
)
from tests.support.databases import Databases

GREENS = "06901234000016"
DURIAN = "08850000000010"


@pytest.fixture
def engine(databases: Databases) -> Engine:
    return databases.engine()


def test_set_product_stores_an_entry_and_replaces_it_when_set_again(engine: Engine) -> None:
    first = set_product(engine, GREENS, "Leafy greens", {"zh": "青菜"}, now=1_790_000_000)
    assert first == ProductRecord(GREENS, "Leafy greens", {"zh": "青菜"}, 1_790_000_000)
    again = set_product(engine, GREENS, "Leafy greens (qingcai)", {"ko": "청경채"}, now=1_790_000_100)
    assert list_products(engine) == [again]
    assert again.names == {"ko": "청경채"}  # the entry is replaced, not merged
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(models.Product.__table__)).scalar() == 1


def test_set_product_pads_a_gtin_13_to_14_digits(engine: Engine) -> None:
    record = set_product(engine, "8850000000010", "Monthong durian")
    assert record.gtin == DURIAN
    assert product_name(engine, DURIAN) == "Monthong durian"


def test_product_names_give_the_language_else_the_default_name(engine: Engine) -> None:
    set_product(engine, GREENS, "Leafy greens", {"zh": "青菜", "ko": "청경채"})
    set_product(engine, DURIAN, "Monthong durian")
    assert product_names(engine, "zh") == {GREENS: "青菜", DURIAN: "Monthong durian"}
    assert product_names(engine, "ko") == {GREENS: "청경채", DURIAN: "Monthong durian"}
    assert product_names(engine, "en") == {GREENS: "Leafy greens", DURIAN: "Monthong durian"}
    assert product_names(engine, None) == {GREENS: "Leafy greens", DURIAN: "Monthong durian"}
    assert product_name(engine, GREENS, "zh-CN") == "青菜"  # a region falls back to its language
    assert product_name(engine, GREENS, "de") == "Leafy greens"
    assert product_name(engine, "06901234000023", "zh") is None  # not catalogued


def test_names_are_cleaned_of_control_characters_and_extra_spaces(engine: Engine) -> None:
    record = set_product(engine, GREENS, "  Leafy\tgreens\n ", {"ZH": " 青菜 "})
    assert (record.name, record.names) == ("Leafy greens", {"zh": "青菜"})
    assert list_products(engine)[0].names == {"zh": "青菜"}


@pytest.mark.parametrize(
    ("gtin", "name", "names", "message"),
    [
        ("06901234000017", "Greens", None, "not a valid GTIN"),  # wrong check digit
        ("0690123400001A", "Greens", None, "not a valid GTIN"),
        ("123", "Greens", None, "not a valid GTIN"),
        (GREENS, "   ", None, "must not be empty"),
        (GREENS, "x" * (MAX_NAME + 1), None, f"at most {MAX_NAME} characters"),
        (GREENS, "Greens", {"zh": ""}, "name in 'zh' must not be empty"),
        (GREENS, "Greens", {"chinese!": "青菜"}, "not a language code"),
    ],
)
def test_set_product_refuses_bad_input_and_stores_nothing(
    engine: Engine, gtin: str, name: str, names: dict | None, message: str
) -> None:
    with pytest.raises(InvalidProduct, match=message):
        set_product(engine, gtin, name, names)
    assert list_products(engine) == []
