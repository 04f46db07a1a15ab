"""The rating form at the foot of a shopper's page: a plain HTML form (no JavaScript) that
posts to ``/sales/{sale_id}/rating`` with the receipt's proof in a hidden field; once the sale
is rated, the stars given instead; without a proof (a page not opened from the receipt), a
note that the receipt's QR code opens the form."""

from __future__ import annotations

from dataclasses import dataclass

from api.receipts import RECEIPT_PARAMETER
from ledger.store.ratings import MAX_COMMENT, MAX_STARS, MIN_STARS, RatingRecord


@dataclass(frozen=True)
class RatingForm:
    """Where the form posts, the stars already given for this sale (None: not rated), and the
    receipt's rating proof (None: the page was not opened from the receipt)."""

    action: str
    given: int | None = None
    proof: str | None = None
    field: str = RECEIPT_PARAMETER
    max_comment: int = MAX_COMMENT
    stars: tuple[int, ...] = tuple(range(MAX_STARS, MIN_STARS - 1, -1))

    @classmethod
    def for_sale(cls, sale_id: str, rating: RatingRecord | None, proof: str | None = None) -> RatingForm:
        return cls(action=f"/sales/{sale_id}/rating", given=rating.stars if rating else None, proof=proof)
