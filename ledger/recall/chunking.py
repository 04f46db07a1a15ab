"""Splitting a recall into transactions that fit a gas budget (pure arithmetic, no chain).

``recall(ids, reason)`` costs a fixed part (the 21,000 base, the role check, calldata of the
reason) plus about the same for each batch (a cold storage read and write, an event with
the reason, 32 bytes of calldata). Two gas estimates give both parts: ``per_batch`` is the
difference between recalling two batches and one, ``base`` what is left of the first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from ledger.errors import TransactionError

T = TypeVar("T")


class RecallTooLarge(TransactionError):
    """Even one batch needs more gas than the budget allows."""


@dataclass(frozen=True)
class GasModel:
    """Estimated gas of ``recall`` over n batches: ``base + per_batch * n``."""

    base: int
    per_batch: int

    @classmethod
    def from_estimates(cls, one: int, two: int | None) -> GasModel:
        """From the estimates for one batch and (when there are two) for two batches."""
        if two is None:
            return cls(base=one, per_batch=0)
        per_batch = max(two - one, 1)
        return cls(base=max(one - per_batch, 0), per_batch=per_batch)

    def cost(self, batches: int) -> int:
        return self.base + self.per_batch * batches

    def capacity(self, budget: int, margin: float = 1.0) -> int:
        """How many batches one transaction can recall with its gas limit (the estimate
        times `margin`) within `budget`."""
        usable = budget / margin - self.base
        if self.per_batch == 0:
            return 1 if usable >= 0 else 0
        return max(int(usable // self.per_batch), 0)


def chunk(items: Sequence[T], size: int) -> list[list[T]]:
    """`items` in order, in lists of at most `size`."""
    if size < 1:
        raise RecallTooLarge("one batch needs more gas than the budget allows")
    return [list(items[start : start + size]) for start in range(0, len(items), size)]
