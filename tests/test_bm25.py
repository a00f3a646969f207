"""The compiled BM25 loops: the formula numpy computes, and a damaged posting
refused with an error rather than written outside the arrays."""

import numpy as np
import pytest

from search import bm25

RNG = np.random.default_rng(7)
SIZE = 5_000
CODES = RNG.integers(0, 256, SIZE).astype(np.uint8)
NORMS = 1.2 * (1 - 0.4 + 0.4 * np.arange(256) / 40.0)


def _expected(docs: np.ndarray, freqs: np.ndarray, weight: float) -> np.ndarray:
    return weight * freqs / (freqs + NORMS[CODES[docs]])


def test_scores_are_the_bm25_of_each_posting():
    docs = np.sort(RNG.choice(SIZE, 700, replace=False)).astype(np.int64)
    freqs = RNG.integers(1, 9, 700).astype(np.float64)
    np.testing.assert_allclose(bm25.scores(docs, freqs, CODES, NORMS, 3.5), _expected(docs, freqs, 3.5), rtol=1e-12)


def test_scatter_marks_and_adds_a_segments_postings_at_its_offset():
    mask = np.zeros(SIZE, dtype=bool)
    score = np.full(SIZE, 0.25)
    offset = 1_000
    docs = np.sort(RNG.choice(SIZE - offset, 900, replace=False)).astype(np.int32)
    freqs = RNG.integers(1, 5, 900).astype(np.int32)
    bm25.scatter(docs, freqs, offset, CODES, NORMS, 2.0, mask.view(np.uint8), score)
    where = docs.astype(np.int64) + offset
    assert np.flatnonzero(mask).tolist() == where.tolist()
    np.testing.assert_allclose(score[where], 0.25 + _expected(where, freqs.astype(np.float64), 2.0), rtol=1e-12)
    untouched = np.ones(SIZE, dtype=bool)
    untouched[where] = False
    assert (score[untouched] == 0.25).all()


def test_a_posting_outside_the_index_is_an_error_not_a_write():
    mask = np.zeros(SIZE, dtype=np.uint8)
    score = np.zeros(SIZE)
    docs = np.array([3, SIZE - 10], dtype=np.int32)
    freqs = np.ones(2, dtype=np.int32)
    with pytest.raises(IndexError):
        bm25.scatter(docs, freqs, 20, CODES, NORMS, 1.0, mask, score)
    with pytest.raises(IndexError):
        bm25.scatter(np.array([-30], dtype=np.int32), freqs[:1], 0, CODES, NORMS, 1.0, mask, score)
    with pytest.raises(IndexError):
        bm25.scores(np.array([SIZE], dtype=np.int64), np.ones(1), CODES, NORMS, 1.0)


def test_arrays_that_do_not_fit_together_are_refused():
    docs = np.arange(4, dtype=np.int32)
    with pytest.raises(ValueError):
        bm25.scatter(docs, np.ones(3, dtype=np.int32), 0, CODES, NORMS, 1.0, np.zeros(SIZE, np.uint8), np.zeros(SIZE))
    with pytest.raises(ValueError):
        bm25.scatter(
            docs, np.ones(4, dtype=np.int32), 0, CODES, NORMS[:10], 1.0, np.zeros(SIZE, np.uint8), np.zeros(SIZE)
        )
    with pytest.raises(ValueError):
        bm25.scores(docs.astype(np.int64), np.ones(3), CODES, NORMS, 1.0)


def test_a_missing_array_is_refused():
    with pytest.raises(TypeError):
        bm25.scores(np.arange(3, dtype=np.int64), np.ones(3), None, NORMS, 1.0)
    with pytest.raises(TypeError):
        bm25.scatter(np.arange(3, dtype=np.int32), None, 0, CODES, NORMS, 1.0, np.zeros(SIZE, np.uint8), np.zeros(SIZE))
