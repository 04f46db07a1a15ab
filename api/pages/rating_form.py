"""The rating form at the foot of a shopper's page: a plain HTML form (no JavaScript) that
posts to ``/sales/{sale_id}/rating``; once the sale is rated, the stars given instead."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.store.ratings import MAX_COMMENT, MAX_STARS, MIN_STARS, RatingRecord


@dataclass(frozen=True)
class RatingForm:
    """Where the form posts, and the stars already given for this sale (None: not rated)."""

    action: str
    given: int | None = None
    max_comment: int = MAX_COMMENT
    stars: tuple[int, ...] = tuple(range(MAX_STARS, MIN_STARS - 1, -1))

    @classmethod
    def for_sale(cls, sale_id: str, rating: RatingRecord | None) -> RatingForm:
        return cls(action=f"/sales/{sale_id}/rating", given=rating.stars if rating else None)
