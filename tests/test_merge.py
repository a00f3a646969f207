"""The compiled union of sorted documents (search/merge.pyx) against numpy's
(np.unique, then np.bincount of the scores), on lists that are disjoint,
overlapping, equal, empty or of very different lengths; and a union folded
from the left over several lists gives numpy's sums to the last bit, so that
ranking is the same whichever computes it."""

import numpy as np
import pytest

from search.compiled import merge
from search.scored import Scored, union

RNG = np.random.default_rng(5)


def _numpy_union(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    ids, inverse = np.unique(np.concatenate([ids for ids, _ in parts]), return_inverse=True)
    scores = np.bincount(inverse, weights=np.concatenate([scores for _, scores in parts]), minlength=len(ids))
    return ids, scores


def _part(count: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    return np.sort(RNG.choice(size, count, replace=False)).astype(np.int64), RNG.random(count) * 7


@pytest.mark.parametrize(
    ("first", "second", "size"),
    [(0, 0, 10), (0, 5, 10), (5, 0, 10), (10, 10, 10), (300, 300, 100_000), (3_000, 40, 5_000), (1, 900, 1_000)],
)
def test_union_of_two_is_numpys(first, second, size):
    a, b = _part(first, size), _part(second, size)
    ids, scores = merge.union(a[0], a[1], b[0], b[1])
    expected_ids, expected_scores = _numpy_union([a, b])
    np.testing.assert_array_equal(ids, expected_ids)
    np.testing.assert_array_equal(scores, expected_scores)


def test_equal_lists_add_their_scores():
    ids = np.array([2, 5, 9], dtype=np.int64)
    merged, scores = merge.union(ids, np.array([1.0, 2.0, 3.0]), ids, np.array([0.5, 0.5, 0.5]))
    assert merged.tolist() == [2, 5, 9]
    assert scores.tolist() == [1.5, 2.5, 3.5]


def test_a_union_of_many_parts_is_numpys_to_the_last_bit():
    size = 200_000
    # Drawn from the same few thousand documents: most are in several parts.
    pool = np.sort(RNG.choice(size, 3_000, replace=False))
    parts = [
        (pool[np.sort(RNG.choice(3_000, int(count), replace=False))], RNG.random(int(count)) * 7)
        for count in RNG.integers(1, 1_200, 9)
    ]
    result = union([Scored(size, ids, scores) for ids, scores in parts], size)
    assert not result.dense
    expected_ids, expected_scores = _numpy_union(parts)
    np.testing.assert_array_equal(result.docs(), expected_ids)
    np.testing.assert_array_equal(result.scores(), expected_scores)


def test_bad_arrays_are_refused():
    ids = np.arange(3, dtype=np.int64)
    with pytest.raises(ValueError):
        merge.union(ids, np.zeros(2), ids, np.zeros(3))
    with pytest.raises(ValueError):
        merge.union(ids.astype(np.int32), np.zeros(3), ids, np.zeros(3))
    with pytest.raises(TypeError):
        merge.union(None, np.zeros(3), ids, np.zeros(3))
