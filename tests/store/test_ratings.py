"""Ratings in the API's database, on SQLite and PostgreSQL: one per sale (the sale is the proof
of purchase), stars 1..5, short comments cleaned but never rewritten, and a stall's mean only
from five ratings on."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, insert

from ledger.errors import NotFound
from ledger.store import models
from ledger.store.ratings import (
    MAX_COMMENT,
    MIN_RATINGS_FOR_MEAN,
    AlreadyRated,
    InvalidRating,
    StallRating,
    add_rating,
    add_ratings,
    clean_comment,
    rating_for_sale,
    recent_ratings,
    stall_rating,
    stall_ratings,
)
from tests.support.databases import Databases

STALL_A = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"
STALL_B = "0x976EA74026E726554dB657fA54763abd0C3a0aa9"


def sale_id(n: int) -> str:
    return "0x" + f"{n:064x}"


def record_sales(engine: Engine, vendors: dict[int, str]) -> None:
    """Sale rows as the indexer writes them (one per event), for sale numbers -> vendor."""
    with engine.begin() as conn:
        conn.execute(
            insert(models.Sale.__table__),
            [
                {
                    "block_number": n,
                    "log_index": 0,
                    "block_time": 1_790_000_000 + n,
                    "tx_hash": "0x" + "ab" * 32,
                    "sale_id": sale_id(n),
                    "batch_id": "0x" + "cd" * 32,
                    "serial": n,
                    "vendor": vendor,
                    "quantity": 1,
                    "price": 1200,
                    "currency": "CNY",
                }
                for n, vendor in vendors.items()
            ],
        )


@pytest.fixture
def engine(databases: Databases) -> Engine:
    made = databases.engine()
    record_sales(made, {n: STALL_A for n in range(1, 8)} | {8: STALL_B})
    return made


def test_add_rating_stores_one_rating_for_the_sales_stall(engine: Engine) -> None:
    record = add_rating(engine, sale_id(1), 4, "  Crisp greens,\n friendly stall  ", now=1_790_000_500)
    assert (record.vendor, record.stars, record.comment, record.created_at) == (
        STALL_A,
        4,
        "Crisp greens, friendly stall",
        1_790_000_500,
    )
    assert rating_for_sale(engine, sale_id(1)) == record
    assert rating_for_sale(engine, sale_id(2)) is None


def test_add_rating_refuses_a_second_rating_of_one_sale(engine: Engine) -> None:
    add_rating(engine, sale_id(1), 5)
    with pytest.raises(AlreadyRated, match="already been rated"):
        add_rating(engine, sale_id(1), 1, "changed my mind")
    assert stall_rating(engine, STALL_A) == StallRating(1, None)
    assert [r.stars for r in recent_ratings(engine, STALL_A)] == [5]


def test_add_rating_refuses_an_unknown_sale(engine: Engine) -> None:
    with pytest.raises(NotFound, match="only a recorded purchase can be rated"):
        add_rating(engine, sale_id(99), 5)
    assert stall_ratings(engine, [STALL_A, STALL_B]) == {STALL_A: StallRating(0, None), STALL_B: StallRating(0, None)}


@pytest.mark.parametrize("stars", [0, 6, -1, True, 2.5])
def test_add_rating_refuses_stars_outside_one_to_five(engine: Engine, stars: object) -> None:
    with pytest.raises(InvalidRating, match="from 1 to 5"):
        add_rating(engine, sale_id(1), stars)  # type: ignore[arg-type]
    assert rating_for_sale(engine, sale_id(1)) is None


def test_add_rating_refuses_a_comment_over_the_limit_and_keeps_markup_as_text(engine: Engine) -> None:
    with pytest.raises(InvalidRating, match=f"at most {MAX_COMMENT} characters"):
        add_rating(engine, sale_id(1), 3, "x" * (MAX_COMMENT + 1))
    markup = '<script>alert("hi")</script> & <b>bold</b>'
    stored = add_rating(engine, sale_id(1), 3, markup)
    assert stored.comment == markup  # stored as given: escaping is the page's job
    assert add_rating(engine, sale_id(2), 3, "相当新鲜" * 70).comment == "相当新鲜" * 70  # 280 characters


def test_stall_rating_shows_the_mean_only_from_five_ratings(engine: Engine) -> None:
    for n, stars in zip(range(1, MIN_RATINGS_FOR_MEAN), (5, 4, 4, 5), strict=True):
        add_rating(engine, sale_id(n), stars)
    assert stall_rating(engine, STALL_A) == StallRating(4, None)
    add_rating(engine, sale_id(5), 3)
    assert stall_rating(engine, STALL_A) == StallRating(5, 4.2)
    add_rating(engine, sale_id(8), 1)
    assert stall_ratings(engine, [STALL_A, STALL_B]) == {STALL_A: StallRating(5, 4.2), STALL_B: StallRating(1, None)}
    assert [r.sale_id for r in recent_ratings(engine, STALL_A, limit=2)] == [sale_id(5), sale_id(4)]


def test_clean_comment_drops_control_characters_and_empty_text() -> None:
    assert clean_comment(None) is None
    assert clean_comment(" \n\t ") is None
    assert clean_comment("good\x00\x1b[31m price") == "good [31m price"
    assert clean_comment("a\u200bb") == "a b"  # a zero-width space is a format character


def test_add_ratings_skips_rated_sales_so_a_demo_can_run_twice(engine: Engine) -> None:
    ratings = [(sale_id(1), 5, "Sweet"), (sale_id(2), 4, None), (sale_id(8), 3, None)]
    assert add_ratings(engine, ratings) == 3
    assert add_ratings(engine, ratings) == 0
    assert stall_ratings(engine, [STALL_A, STALL_B]) == {STALL_A: StallRating(2, None), STALL_B: StallRating(1, None)}
    with pytest.raises(NotFound):
        add_ratings(engine, [(sale_id(99), 5, None)])
