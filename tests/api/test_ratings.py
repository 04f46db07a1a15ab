# The Chinese answer is typeset with full-width punctuation, as the page shows it.
# ruff: noqa: RUF001
"""Verified-purchase ratings over the API on a real chain and database, each with the receipt's
rating proof (the sale answer's ``receipt``): one rating per sale, unknown sales 404, a second
rating 409, bad stars or comments 422, the shopper page's form without JavaScript (opened from
the receipt's code), escaping, the per-client limit (429 with Retry-After), count-only under
five ratings, and the regulators' view of ratings next to failed lab tests. Ratings without a
proof: tests/security/test_rating_proof.py."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest

from api.ratelimit import TokenBucketLimiter
from ledger.store.ratings import MAX_COMMENT
from tests.api.conftest import Market
from tests.support.html import parse_html

GTIN = "06901234000016"
_lots = itertools.count(1)


def harvest_at_stall(m: Market, cast: dict, stall: str = "vendor", quantity: int = 100) -> str:
    """A harvest by the farm, handed to `stall` and accepted; its batch id."""
    body = {
        "gtin": GTIN,
        "lot": f"RT-{next(_lots):04d}",
        "quantity": quantity,
        "unit": "KGM",
        "harvested_at": (datetime.now(UTC) - timedelta(hours=5)).isoformat(),
        "origin": "geo:30.2336,119.7248",
    }
    answer = m.client.post("/harvests", json=body, headers=m.auth(cast["farm"][1]))
    assert answer.status_code == 201, answer.text
    batch_id = answer.json()["batch_ids"][0]
    shipped = m.client.post(
        f"/batches/{batch_id}/handoff", json={"to": cast[stall][0]}, headers=m.auth(cast["farm"][1])
    )
    assert shipped.status_code == 200, shipped.text
    assert m.client.post(f"/batches/{batch_id}/accept", headers=m.auth(cast[stall][1])).status_code == 200
    m.sync()
    return batch_id


def sell(m: Market, cast: dict, count: int = 1, stall: str = "vendor") -> list[dict]:
    """`count` sales of one fresh batch at `stall`, indexed; their answers (sale id, QR URL)."""
    batch_id = harvest_at_stall(m, cast, stall)
    sales = []
    for _ in range(count):
        sold = m.client.post(
            "/sales", json={"batch_id": batch_id, "quantity": 1, "price": 1200}, headers=m.auth(cast[stall][1])
        )
        assert sold.status_code == 201, sold.text
        sales.append(sold.json())
    m.sync()
    return sales


def rate(m: Market, sale: dict, **body: object) -> object:
    """POST a rating of `sale` as its buyer (with the receipt's proof)."""
    return m.client.post(f"/sales/{sale['sale_id']}/rating", json={"receipt": sale["receipt"], **body})


@pytest.fixture(autouse=True)
def generous_limit(api_market: Market) -> Iterator[None]:
    """A fresh, roomy limiter per test, so tests do not spend each other's tokens, and no
    language cookie left by another test."""
    api_market.client.app.state.rating_limiter = TokenBucketLimiter(capacity=1000)
    api_market.client.cookies.clear()
    yield
    api_market.client.app.state.rating_limiter = None


def test_post_rating_rates_the_sales_stall_once(api_market: Market, cast: dict) -> None:
    m = api_market
    (sale,) = sell(m, cast)
    first = rate(m, sale, stars=4, comment="Crisp greens")
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["sale_id"], body["stall"], body["stars"], body["comment"]) == (
        sale["sale_id"],
        cast["vendor"][0],
        4,
        "Crisp greens",
    )
    assert body["stall_rating"]["count"] >= 1
    again = rate(m, sale, stars=1)
    assert again.status_code == 409
    assert again.json()["error"] == "AlreadyRated"
    assert "each purchase can be rated once" in again.json()["message"]


def test_post_rating_of_an_unknown_sale_is_404(api_market: Market) -> None:
    # A proof only the market can make: a sale the indexer has not (or no longer) recorded.
    unknown = {
        "sale_id": f"0x{'12' * 32}",
        "receipt": api_market.client.app.state.services.receipts.proof("0x" + "12" * 32),
    }
    answer = rate(api_market, unknown, stars=5)
    assert answer.status_code == 404
    assert answer.json() == {
        "error": "NotFound",
        "message": f"no sale 0x{'12' * 32}: only a recorded purchase can be rated",
    }


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"stars": 0}, "stars: Input should be greater than or equal to 1"),
        ({"stars": 6}, "stars: Input should be less than or equal to 5"),
        ({}, "stars: Field required"),
        ({"stars": 3, "comment": "x" * (MAX_COMMENT + 1)}, f"at most {MAX_COMMENT} characters"),
        ({"stars": 3, "extra": 1}, "extra: Extra inputs are not permitted"),
    ],
)
def test_post_rating_refuses_bad_stars_and_comments(api_market: Market, cast: dict, body: dict, fragment: str) -> None:
    (sale,) = sell(api_market, cast)
    answer = rate(api_market, sale, **body)
    assert answer.status_code == 422
    assert answer.json()["error"] == "InvalidRating"
    assert fragment in answer.json()["message"]
    assert rate(api_market, sale, stars=2).status_code == 201


def test_stall_ratings_show_the_count_only_under_five(api_market: Market, cast: dict) -> None:
    m = api_market
    sales = sell(m, cast, count=5, stall="vendor2")
    for sale, stars in zip(sales[:4], (5, 5, 4, 3), strict=True):
        assert rate(m, sale, stars=stars).status_code == 201
    four = m.client.get(f"/stalls/{cast['vendor2'][0]}/ratings").json()
    assert (four["count"], four["mean"], four["mean_shown_from"]) == (4, None, 5)
    assert [r["stars"] for r in four["data"]] == [3, 4, 5, 5]
    assert rate(m, sales[4], stars=4).status_code == 201
    five = m.client.get(f"/stalls/{cast['vendor2'][0]}/ratings", params={"limit": 2}).json()
    assert (five["count"], five["mean"]) == (5, 4.2)
    assert len(five["data"]) == 2
    assert m.client.get(f"/stalls/{cast['farm'][0]}/ratings").status_code == 404  # not a stall


def test_shopper_page_form_rates_without_javascript(api_market: Market, cast: dict) -> None:
    m = api_market
    (sale,) = sell(m, cast)
    receipt_url = urlsplit(sale["qr_url"])
    page_path = receipt_url.path
    opened = m.client.get(f"{page_path}?{receipt_url.query}", headers={"Accept": "text/html"})
    assert opened.headers["referrer-policy"] == "no-referrer" and "no-store" in opened.headers["cache-control"]
    before = parse_html(opened.text)
    form = before.by_id("rating").find("form")
    assert (form.attrs["method"], form.attrs["action"]) == ("post", f"/sales/{sale['sale_id']}/rating")
    assert [i.attrs["value"] for i in form.find_all("input", type="radio")] == ["5", "4", "3", "2", "1"]
    assert form.find("textarea").attrs["maxlength"] == str(MAX_COMMENT)
    (proof,) = form.find_all("input", type="hidden")
    assert (proof.attrs["name"], proof.attrs["value"]) == ("receipt", sale["receipt"])
    posted = m.client.post(
        form.attrs["action"],
        content=f"stars=4&comment=Fresh+%26+friendly&receipt={sale['receipt']}",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept-Language": "zh-CN"},
        follow_redirects=False,
    )
    assert posted.status_code == 303
    assert posted.headers["location"] == f"{page_path}#rating"
    after = parse_html(m.client.get(page_path, headers={"Accept": "text/html", "Accept-Language": "zh"}).text)
    assert after.by_id("rating").find("p", cls="rated").text() == "谢谢！您给该摊位打了 4 星（满分 5 星）。"
    assert not after.by_id("rating").find_all("form")
    again = m.client.post(
        form.attrs["action"],
        content=f"stars=5&receipt={sale['receipt']}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert again.status_code == 409
    refusal = parse_html(again.text).by_id("rating-result")
    assert refusal.find("p", cls="message").text() == (
        "This purchase has already been rated. Each purchase can be rated once."
    )
    assert refusal.find("a").attrs["href"] == page_path
    stored = m.client.get(f"/stalls/{cast['vendor'][0]}/ratings").json()["data"]
    assert {"stars": 4, "comment": "Fresh & friendly"} in [{k: r[k] for k in ("stars", "comment")} for r in stored]


def test_comments_are_escaped_on_the_stall_screen(api_market: Market, cast: dict) -> None:
    m = api_market
    (sale,) = sell(m, cast)
    comment = '<script>alert("x")</script><img src=x onerror=alert(1)> & more'
    assert rate(m, sale, stars=2, comment=comment).status_code == 201
    html = m.client.get(f"/board/stalls/{cast['vendor'][0]}", params={"lang": "en"}).text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; &amp; more" in html
    assert "<img src=x" not in html and '<script>alert("x")' not in html
    quoted = [q.text() for q in parse_html(html).by_id("comments").find_all("q")]
    assert comment in quoted


def test_rating_is_rate_limited_per_client_with_retry_after(api_market: Market, cast: dict) -> None:
    m = api_market
    now = [1000.0]
    m.client.app.state.rating_limiter = TokenBucketLimiter(capacity=2, period=60.0, clock=lambda: now[0])
    sales = sell(m, cast, count=4)
    assert [rate(m, s, stars=5).status_code for s in sales[:2]] == [201, 201]
    limited = rate(m, sales[2], stars=5)
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "30"  # two a minute: the next token in 30 s
    assert limited.json()["error"] == "TooManyRatings"
    form = m.client.post(
        f"/sales/{sales[2]['sale_id']}/rating",
        content=f"stars=5&receipt={sales[2]['receipt']}",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept-Language": "ko"},
    )
    assert form.status_code == 429
    assert parse_html(form.text).by_id("rating-result").find("p", cls="message").text() == (
        "이 연결에서 평가가 너무 많습니다. 30초 후에 다시 시도하세요."
    )
    now[0] += 30.0  # a token is back
    assert rate(m, sales[2], stars=5).status_code == 201
    assert rate(m, sales[3], stars=5).status_code == 429


def test_regulators_see_ratings_next_to_failed_tests(api_market: Market, cast: dict) -> None:
    m = api_market
    batch_id = harvest_at_stall(m, cast, "vendor2")
    failed = m.client.post(
        "/inspections",
        headers=m.auth(cast["lab"][1]),
        json={
            "batch_id": batch_id,
            "passed": False,
            "residues": [{"substance": "carbofuran", "measured": 37, "limit": 20}],
        },
    )
    assert failed.status_code == 201, failed.text
    m.sync()
    assert m.client.get("/regulators/stalls").status_code == 401
    assert m.client.get("/regulators/stalls", headers=m.auth(cast["farm"][1])).status_code == 403
    for key in (cast["regulator"][1], m.authority_key):
        answer = m.client.get("/regulators/stalls", headers=m.auth(key))
        assert answer.status_code == 200, answer.text
        rows = {row["stall"]["address"]: row for row in answer.json()["data"]}
        assert set(rows) == {cast["vendor"][0], cast["vendor2"][0]}
        flagged = rows[cast["vendor2"][0]]
        assert flagged["failed_inspections"] >= 1 and flagged["inspections"] >= flagged["failed_inspections"]
        assert flagged["last_failed_at"] is not None
        assert answer.json()["data"][0]["stall"]["address"] == cast["vendor2"][0]  # failed tests first
        assert flagged["stall"]["licence"] == "JY33010600067890"
        assert flagged["stall"]["place"] == "B03"
        assert set(flagged["stall"]["rating"]) == {"count", "mean"}


def test_token_bucket_refills_at_its_rate_and_never_above_capacity() -> None:
    now = [0.0]
    bucket = TokenBucketLimiter(capacity=3, period=60.0, clock=lambda: now[0])
    assert [bucket.take("a") for _ in range(3)] == [None, None, None]
    assert bucket.take("a") == pytest.approx(20.0)  # one token every 20 s
    assert bucket.take("b") is None  # per client
    now[0] += 600.0  # a long pause refills to the capacity, not beyond
    assert [bucket.take("a") is None for _ in range(4)] == [True, True, True, False]
    assert bucket.retry_after(0.2) == "1" and bucket.retry_after(20.0) == "20"
    with pytest.raises(ValueError, match="capacity >= 1"):
        TokenBucketLimiter(capacity=0)
