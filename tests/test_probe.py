"""The compiled probe of a segment's postings (search/probe.pyx) against a
plain reference on varied postings: documents at both ends of a segment, ids
of other segments, frequencies across blocks of the skip table, and a damaged
arrays file refused with an error rather than read outside its arrays.
(tests/test_arrays.py compares what it finds on a real index with Whoosh.)"""

import numpy as np
import pytest

from indexer.arrays import SKIP
from search.compiled import probe

RNG = np.random.default_rng(11)


def _segment(count: int, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One term's postings over ``size`` documents after a few others', with
    their frequencies, skip table and positions, as indexer/arrays.py lays them out."""
    docs = np.concatenate(
        [np.sort(RNG.choice(size, 40, replace=False)), np.sort(RNG.choice(size, count, replace=False))]
    ).astype(np.int32)
    freqs = RNG.integers(1, 7, len(docs)).astype(np.int32)
    ends = np.cumsum(freqs, dtype=np.int64)
    skips = np.concatenate(([0], ends[SKIP - 1 :: SKIP])).astype(np.int64)
    positions = RNG.integers(0, 5_000, int(ends[-1])).astype(np.int32)
    return docs, freqs, skips, positions


def _expected(docs, freqs, positions, start, stop, ids, offset):
    starts = np.concatenate(([0], np.cumsum(freqs, dtype=np.int64)))
    at, postings, keys = [], [], []
    for i, docnum in enumerate(ids.tolist()):
        for p in range(start, stop):
            if offset + docs[p] == docnum:
                at.append(i)
                postings.append(p)
                keys.extend(((offset + int(docs[p])) << 32) + int(q) for q in positions[starts[p] : starts[p + 1]])
    return at, postings, keys


@pytest.mark.parametrize("count", [1, 3, 200, 700])
@pytest.mark.parametrize("wanted", [0, 1, 5, 60, 900])
def test_locate_and_positions_equal_a_plain_search(count, wanted):
    size, offset = 1_000, 5_000
    docs, freqs, skips, positions = _segment(count, size)
    start, stop = 40, 40 + count
    # Ids before, inside and after the segment; some of the term's documents, the first and last among them.
    ids = set(RNG.choice(size, wanted).tolist() + [-3, size + 7]) if wanted else set()
    if wanted:
        ids |= {int(docs[start]), int(docs[stop - 1])}
    ids = np.array(sorted(offset + d for d in ids), dtype=np.int64)
    at, postings = probe.locate(docs, start, stop, ids, offset)
    expected_at, expected_postings, expected_keys = _expected(docs, freqs, positions, start, stop, ids, offset)
    assert at.tolist() == expected_at and postings.tolist() == expected_postings
    keys = probe.positions(docs, freqs, skips, positions, SKIP, postings, offset)
    assert keys.tolist() == expected_keys


def test_an_empty_range_finds_nothing():
    docs, freqs, skips, positions = _segment(5, 100)
    at, postings = probe.locate(docs, 10, 10, np.arange(100, dtype=np.int64), 0)
    assert not len(at) and not len(postings)
    assert not len(probe.positions(docs, freqs, skips, positions, SKIP, postings, 0))


def test_a_damaged_arrays_file_is_an_error_not_a_read_outside_it():
    docs, freqs, skips, positions = _segment(100, 1_000)
    ids = np.arange(10, dtype=np.int64)
    with pytest.raises(IndexError):
        probe.locate(docs, 0, len(docs) + 1, ids, 0)
    with pytest.raises(IndexError):
        probe.positions(docs, freqs, skips, positions, SKIP, np.array([len(docs)], dtype=np.int64), 0)
    with pytest.raises(IndexError):
        probe.positions(docs, freqs, skips, positions[:-5], SKIP, np.array([len(docs) - 1], dtype=np.int64), 0)
    with pytest.raises(IndexError):
        probe.positions(docs, freqs, skips[:1], positions, SKIP, np.array([len(docs) - 1], dtype=np.int64), 0)
    with pytest.raises(ValueError):
        probe.positions(docs, freqs[:-1], skips, positions, SKIP, np.array([0], dtype=np.int64), 0)


def test_a_field_without_positions_is_refused():
    docs, freqs, _, _ = _segment(10, 100)
    with pytest.raises(TypeError):
        probe.positions(docs, freqs, None, None, SKIP, np.array([0], dtype=np.int64), 0)
    with pytest.raises(TypeError):
        probe.locate(None, 0, 0, np.arange(3, dtype=np.int64), 0)
