"""The benchmark's metrics, checked on a ranking worked out by hand."""

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "bench"))
from metrics import (  # noqa: E402
    average_precision,
    ndcg_at,
    precision_at,
    randomization_test,
    recall_at,
    reciprocal_rank,
)

RANKING = ["a", "x", "b", "y", "z", "c"]
RELEVANT = {"a", "b", "c", "d"}  # d is never retrieved


def test_average_precision_by_hand():
    # relevant at ranks 1, 3, 6: precisions 1/1, 2/3, 3/6; four relevant in all
    assert average_precision(RANKING, RELEVANT) == pytest.approx((1 + 2 / 3 + 3 / 6) / 4)
    assert average_precision([], RELEVANT) == 0
    assert average_precision(["a", "b", "c", "d"], RELEVANT) == 1


def test_precision_and_recall_at_k():
    assert precision_at(RANKING, RELEVANT, 2) == 0.5
    assert precision_at(RANKING, RELEVANT, 10) == 0.3  # missing ranks count as misses
    assert recall_at(RANKING, RELEVANT, 3) == 0.5
    assert recall_at(RANKING, RELEVANT, 100) == 0.75


def test_reciprocal_rank_by_hand():
    assert reciprocal_rank(RANKING, {"b"}, 10) == pytest.approx(1 / 3)  # b is third
    assert reciprocal_rank(RANKING, {"c"}, 5) == 0  # sixth: outside the first five
    assert reciprocal_rank(RANKING, {"c", "x"}, 10) == 0.5  # the first relevant counts


def test_ndcg_by_hand():
    dcg = 1 / math.log2(2) + 1 / math.log2(4)  # ranks 1 and 3 within the first 3
    ideal = 1 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at(RANKING, RELEVANT, 3) == pytest.approx(dcg / ideal)
    assert ndcg_at(["a", "b", "c", "d"], RELEVANT, 10) == pytest.approx(1)


def test_randomization_test_tells_a_real_difference_from_noise():
    better = [0.9, 0.8, 0.85, 0.95, 0.7, 0.9, 0.8, 0.88, 0.92, 0.75] * 3
    worse = [x - 0.2 for x in better]
    assert randomization_test(better, worse, rounds=2000) < 0.01
    noisy = [x + (0.01 if i % 2 else -0.01) for i, x in enumerate(better)]
    assert randomization_test(better, noisy, rounds=2000) > 0.5
    with pytest.raises(ValueError):
        randomization_test([1.0], [1.0, 2.0])
