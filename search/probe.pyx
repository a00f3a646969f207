# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""A term's postings in one segment, probed for a few documents, in one compiled call.

The second phase of ranking asks, for the hundred best documents, which of
them hold each of the query's terms and at which positions: at a million
documents that is some two hundred (term, segment) pairs a query, each a
handful of documents. numpy needed a dozen calls for each pair (binary
searches, then the skip table, then the positions' runs), a few microseconds
apiece, a third of a query's time; here a pair is one call.

Postings and positions are laid out as :mod:`indexer.arrays` writes them.
Every index read from the arrays is checked: a damaged arrays file raises an
IndexError rather than reading outside them.
"""

import numpy as np

ctypedef fused sorted_t:
    int
    long long


cdef inline Py_ssize_t _first_not_below(
    const sorted_t[::1] values, Py_ssize_t lo, Py_ssize_t hi, long long value
) noexcept nogil:
    """The first place in ``values[lo:hi]`` (sorted) whose value is not below ``value``; ``hi`` if none."""
    cdef Py_ssize_t mid
    while lo < hi:
        mid = (lo + hi) // 2
        if values[mid] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo


def locate(
    const int[::1] docs not None,
    Py_ssize_t start,
    Py_ssize_t stop,
    const long long[::1] ids not None,
    Py_ssize_t offset,
):
    """Which of ``ids`` (sorted, numbered in the index) are among the postings
    ``start:stop`` of ``docs`` (a segment's, at ``offset`` in the index):
    their places in ``ids``, and their postings."""
    cdef Py_ssize_t n = ids.shape[0], i, lo, hi, step, count = 0
    cdef long long wanted, first, last
    if start < 0 or stop > docs.shape[0] or start > stop:
        raise IndexError("postings outside the segment")
    at_array = np.empty(min(n, stop - start), dtype=np.int64)
    postings_array = np.empty(min(n, stop - start), dtype=np.int64)
    cdef long long[::1] at = at_array, postings = postings_array
    if start == stop or n == 0:
        return at_array[:0], postings_array[:0]
    first = offset + docs[start]
    last = offset + docs[stop - 1]
    with nogil:
        i = _first_not_below(ids, 0, n, first)  # the first id that may be in the segment's range
        lo = start
        while i < n and ids[i] <= last:
            wanted = ids[i] - offset
            # The first posting not before it, after the one found for the
            # previous id: galloping, then a binary search (the ids are
            # often dense in the postings, and a step is then one or two).
            hi, step = lo, 1
            while hi < stop and docs[hi] < wanted:
                lo = hi + 1
                hi += step
                step <<= 1
            lo = _first_not_below(docs, lo, min(hi, stop), wanted)
            if lo < stop and docs[lo] == wanted:
                at[count] = i
                postings[count] = lo
                count += 1
            i += 1
    return at_array[:count], postings_array[:count]


def positions(
    const int[::1] docs not None,
    const int[::1] freqs not None,
    const long long[::1] skips not None,
    const int[::1] positions not None,
    Py_ssize_t skip,
    const long long[::1] postings not None,
    Py_ssize_t offset,
):
    """The positions of these postings (of one segment, at ``offset`` in the
    index), as ``docnum * 2**32 + position``, in posting order: a posting's
    positions begin at ``skips[p // skip]`` plus the frequencies of the
    postings before it in its block of ``skip``."""
    cdef Py_ssize_t n = postings.shape[0], i, j, k, p, block, begin, total = 0, at = 0
    cdef Py_ssize_t count = docs.shape[0]
    cdef long long doc
    cdef bint outside = False
    if freqs.shape[0] != count or skip <= 0:
        raise ValueError("arrays of different lengths")
    with nogil:
        for i in range(n):
            p = postings[i]
            if p < 0 or p >= count:
                outside = True
                break
            total += freqs[p]
    if outside:
        raise IndexError("a posting outside the segment")
    out = np.empty(total, dtype=np.int64)
    cdef long long[::1] keys = out
    with nogil:
        for i in range(n):
            p = postings[i]
            block = p // skip
            if block >= skips.shape[0]:
                outside = True
                break
            begin = skips[block]
            for k in range(block * skip, p):
                begin += freqs[k]
            if begin < 0 or begin + freqs[p] > positions.shape[0]:
                outside = True
                break
            doc = (offset + docs[p]) << 32
            for j in range(freqs[p]):
                keys[at] = doc + positions[begin + j]
                at += 1
    if outside:
        raise IndexError("positions outside the segment")
    return out
