"""Shoppers' verified-purchase ratings of stalls, kept in the API's database (not on-chain).

The sale is the proof of purchase: a rating names a sale the indexer has recorded, and one sale
gives at most one rating (a unique ``sale_id``). The stall rated is the sale's vendor. A stall's
rating is shown as a mean with its count, but only from :data:`MIN_RATINGS_FOR_MEAN` ratings on:
under that a mean says more about one shopper than about the stall, so only the count is shown.

Example::

    add_rating(engine, sale_id, stars=5, comment="Fresh and friendly")
    add_ratings(engine, [(sale_id, 4, None), (other_sale_id, 5, "Sweet")])  # skips rated sales
    stall_rating(engine, vendor)  # StallRating(count=1, mean=None)
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from ledger.errors import LedgerError, NotFound
from ledger.store import models
from ledger.store.change_marks import mark_changed, rating_key

_RATINGS = models.Rating.__table__
_SALES = models.Sale.__table__

#: Stars a rating may give.
MIN_STARS, MAX_STARS = 1, 5
#: Longest comment, in characters: a short note, as a receipt has room for (a tweet's length).
MAX_COMMENT = 280
#: From this many ratings on a stall's mean is shown; below, only the count.
MIN_RATINGS_FOR_MEAN = 5


class InvalidRating(LedgerError):
    """The stars or the comment are outside what a rating may hold."""


class AlreadyRated(LedgerError):
    """The sale has been rated already: one sale gives one rating."""

    def __init__(self, sale_id: str) -> None:
        self.sale_id = sale_id
        super().__init__(f"sale {sale_id} has already been rated; each purchase can be rated once")


@dataclass(frozen=True)
class RatingRecord:
    """One stored rating. ``comment`` is the shopper's text as given (cleaned of control
    characters): escape it wherever it is shown."""

    sale_id: str
    vendor: str
    stars: int
    comment: str | None
    created_at: int


@dataclass(frozen=True)
class StallRating:
    """A stall's rating: how many, and the mean once there are enough (else None)."""

    count: int
    mean: float | None

    @classmethod
    def of(cls, count: int, total: int) -> StallRating:
        shown = round(total / count, 1) if count >= MIN_RATINGS_FOR_MEAN else None
        return cls(count, shown)


def clean_comment(comment: str | None) -> str | None:
    """`comment` stripped, without control characters (line breaks become spaces); None if
    empty. Raises :class:`InvalidRating` when longer than :data:`MAX_COMMENT`."""
    if comment is None:
        return None
    text = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in comment)
    text = " ".join(text.split())
    if len(text) > MAX_COMMENT:
        raise InvalidRating(f"a comment may have at most {MAX_COMMENT} characters, this one has {len(text)}")
    return text or None


def check_stars(stars: int) -> int:
    if isinstance(stars, bool) or not isinstance(stars, int) or not MIN_STARS <= stars <= MAX_STARS:
        raise InvalidRating(f"stars must be a whole number from {MIN_STARS} to {MAX_STARS}, got {stars!r}")
    return stars


def add_rating(
    engine: Engine, sale_id: str, stars: int, comment: str | None = None, *, now: int | None = None
) -> RatingRecord:
    """Rate the stall of sale `sale_id` (a 0x-hex sale id as the indexer stores it).

    Raises :class:`NotFound` for a sale the indexer has not recorded, :class:`AlreadyRated`
    for a second rating of one sale, :class:`InvalidRating` for stars outside 1..5 or a
    comment over :data:`MAX_COMMENT` characters.
    """
    stars = check_stars(stars)
    text = clean_comment(comment)
    sale_id = sale_id.lower()
    with engine.begin() as conn:
        vendor = conn.execute(select(_SALES.c.vendor).where(models.sale_id_is(sale_id))).scalar()
        if vendor is None:
            raise NotFound(f"no sale {sale_id}: only a recorded purchase can be rated")
        record = RatingRecord(sale_id, vendor, stars, text, int(time.time()) if now is None else now)
        try:
            # A savepoint: the unique sale_id refuses a second rating even from a racing request.
            with conn.begin_nested():
                conn.execute(
                    insert(_RATINGS).values(
                        sale_id=sale_id, vendor=vendor, stars=stars, comment=text, created_at=record.created_at
                    )
                )
        except IntegrityError:
            raise AlreadyRated(sale_id) from None
        mark_changed(conn, [rating_key(sale_id)], record.created_at)  # the sale's page shows it
    return record


def add_ratings(engine: Engine, ratings: Iterable[tuple[str, int, str | None]]) -> int:
    """Add ``(sale_id, stars, comment)`` ratings, skipping sales rated already (so a resumed
    demo can run it again); returns how many were added. Unknown sales still raise NotFound."""
    added = 0
    for sale_id, stars, comment in ratings:
        try:
            add_rating(engine, sale_id, stars, comment)
        except AlreadyRated:
            continue
        added += 1
    return added


def rating_for_sale(engine: Engine, sale_id: str) -> RatingRecord | None:
    """The rating given for sale `sale_id`, if any."""
    with engine.connect() as conn:
        row = conn.execute(select(_RATINGS).where(_RATINGS.c.sale_id == sale_id.lower())).mappings().first()
    return _record(row) if row else None


def stall_rating(engine: Engine, vendor: str) -> StallRating:
    """The rating of stall `vendor` (count 0 when nobody has rated it)."""
    return stall_ratings(engine, [vendor])[vendor]


def stall_ratings(engine: Engine, vendors: Iterable[str]) -> dict[str, StallRating]:
    """The rating of each of `vendors`, in one grouped query."""
    wanted = sorted(set(vendors))
    found = {vendor: StallRating(0, None) for vendor in wanted}
    if not wanted:
        return found
    query = (
        select(_RATINGS.c.vendor, func.count(), func.sum(_RATINGS.c.stars))
        .where(_RATINGS.c.vendor.in_(wanted))
        .group_by(_RATINGS.c.vendor)
    )
    with engine.connect() as conn:
        for vendor, count, total in conn.execute(query):
            found[vendor] = StallRating.of(int(count), int(total))
    return found


def recent_ratings(engine: Engine, vendor: str, limit: int = 20) -> list[RatingRecord]:
    """The newest ratings of stall `vendor`, newest first."""
    query = select(_RATINGS).where(_RATINGS.c.vendor == vendor).order_by(_RATINGS.c.id.desc()).limit(limit)
    with engine.connect() as conn:
        return [_record(row) for row in conn.execute(query).mappings()]


def _record(row: object) -> RatingRecord:
    return RatingRecord(
        sale_id=row["sale_id"],  # type: ignore[index]
        vendor=row["vendor"],  # type: ignore[index]
        stars=int(row["stars"]),  # type: ignore[index]
        comment=row["comment"],  # type: ignore[index]
        created_at=int(row["created_at"]),  # type: ignore[index]
    )
