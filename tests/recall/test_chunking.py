"""GasModel and chunk: the arithmetic that sizes recall transactions (pure logic)."""

from __future__ import annotations

import pytest

from ledger.recall import GasModel, RecallTooLarge, chunk


def test_gas_model_from_estimates_splits_base_and_per_batch() -> None:
    model = GasModel.from_estimates(34_884, 44_191)
    assert model == GasModel(base=25_577, per_batch=9_307)
    assert model.cost(1) == 34_884 and model.cost(2) == 44_191


def test_gas_model_of_a_single_batch_has_no_per_batch_part() -> None:
    model = GasModel.from_estimates(34_884, None)
    assert model.capacity(34_884) == 1
    assert model.capacity(34_883) == 0


def test_capacity_keeps_the_gas_limit_with_margin_within_budget() -> None:
    model = GasModel(base=25_000, per_batch=10_000)
    budget = int((25_000 + 3 * 10_000) * 1.2)
    assert model.capacity(budget, 1.2) == 3
    assert model.capacity(budget - 1, 1.2) == 2
    assert model.cost(model.capacity(budget, 1.2)) * 1.2 <= budget


def test_capacity_is_zero_when_the_fixed_part_alone_is_over_budget() -> None:
    assert GasModel(base=50_000, per_batch=10_000).capacity(40_000) == 0


def test_chunk_keeps_order_and_sizes() -> None:
    assert chunk(list("abcdefg"), 3) == [["a", "b", "c"], ["d", "e", "f"], ["g"]]
    assert chunk(list("ab"), 5) == [["a", "b"]]
    assert chunk([], 2) == []


def test_chunk_refuses_a_budget_with_room_for_no_batch() -> None:
    with pytest.raises(RecallTooLarge):
        chunk(["a"], 0)
