"""The fusion formula, checked against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.augment import count_distribution, fuse, is_uneven, owner_sums

P = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
Q = np.array([[1.0, 1.0], [2.0, 0.0], [0.0, 4.0]], dtype=np.float32)
OWNERS = np.array([0, 0, 1])


def test_sum_is_the_papers_formula() -> None:
    # p0' = 0.9 [1, 0] + 0.1 ([1, 1] + [2, 0]) = [1.2, 0.1]; p1' = 0.9 [0, 1] + 0.1 [0, 4]
    fused = fuse(P, Q, OWNERS, alpha=0.1, aggregation="sum")
    np.testing.assert_allclose(fused, [[1.2, 0.1], [0.0, 1.3]], rtol=1e-6)
    assert fused.dtype == np.float32


def test_mean_averages_each_passages_queries() -> None:
    # p0' = 0.9 [1, 0] + 0.1 [1.5, 0.5] = [1.05, 0.05]
    fused = fuse(P, Q, OWNERS, alpha=0.1, aggregation="mean")
    np.testing.assert_allclose(fused, [[1.05, 0.05], [0.0, 1.3]], rtol=1e-6)


def test_center_subtracts_the_given_vector_first() -> None:
    center = Q.mean(axis=0)  # [1, 5/3]
    # p0' = 0.9 [1, 0] + 0.1 ([0, -2/3] + [1, -5/3]) = [1.0, -0.2333...]
    # p1' = 0.9 [0, 1] + 0.1 [-1, 7/3] = [-0.1, 1.1333...]
    fused = fuse(P, Q, OWNERS, alpha=0.1, aggregation="sum", center=center)
    np.testing.assert_allclose(fused, [[1.0, -7 / 30], [-0.1, 0.9 + 7 / 30]], rtol=1e-6)


@pytest.mark.parametrize("aggregation", ["sum", "mean"])
def test_alpha_zero_is_the_baseline_exactly(aggregation: str) -> None:
    rng = np.random.default_rng(1)
    passages = rng.normal(size=(5, 16)).astype(np.float32)
    queries = rng.normal(size=(9, 16)).astype(np.float32)
    owners = rng.integers(0, 5, size=9)
    fused = fuse(passages, queries, owners, alpha=0.0, aggregation=aggregation)  # type: ignore[arg-type]
    np.testing.assert_array_equal(fused, passages)


def test_a_passage_without_generated_queries_is_only_scaled() -> None:
    fused = fuse(P, Q[:2], np.array([0, 0]), alpha=0.01, aggregation="sum")
    np.testing.assert_allclose(fused[1], [0.0, 0.99], rtol=1e-6)


def test_count_distribution_reports_uneven_coverage() -> None:
    assert count_distribution([2, 1, 0, 2]) == {
        "min": 0,
        "max": 2,
        "mean": 1.25,
        "passages_without": 1,
        "histogram": {"0": 1, "1": 1, "2": 2},
    }


@pytest.mark.parametrize(
    ("counts", "uneven"),
    [
        ([35, 35, 35], False),
        ([11] * 239 + [10], False),  # the demo: one leaking stand-in dropped
        ([5, 4, 4], False),  # 4 of 5 is the edge: 0.8
        ([5, 3, 5], True),
        ([1, 0, 1], True),  # a passage without any: the damaging case
    ],
)
def test_only_counts_that_differ_much_are_uneven(counts: list[int], uneven: bool) -> None:
    assert is_uneven(count_distribution(counts)) is uneven


@pytest.mark.parametrize("sort", [True, False])
def test_owner_sums_are_np_add_at_bit_for_bit(sort: bool) -> None:
    rng = np.random.default_rng(5)
    rows = rng.normal(size=(2000, 16)) * 1e3
    owners = rng.integers(0, 300, size=2000)  # some passages own nothing
    owners = np.sort(owners) if sort else owners
    expected = np.zeros((310, 16))
    np.add.at(expected, owners, rows)
    assert np.array_equal(owner_sums(rows, owners, 310), expected)
    assert owner_sums(rows[:0], owners[:0], 3).tolist() == [[0.0] * 16] * 3
