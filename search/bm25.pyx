# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""BM25 of a term's postings, one compiled pass each.

numpy needs a pass over the postings per operation: a frequent word at a
million documents cost some 8 ns a posting in six of them (look up each
document's length code, then its norm, divide, gather the running score, add,
scatter it back, mark the document). Here a posting costs one read of each
array and about 1 ns, and the GIL is let go while the loop runs.

The one formula, for every posting: ``weight * f / (f + norms[codes[doc]])``,
where ``weight`` is ``idf * boost * (k1 + 1)`` and ``norms`` the length norm
``k1 * (1 - b + b * length / average)`` of each of Whoosh's 256 length codes.
"""

import numpy as np


def scores(
    const long long[::1] docs not None,
    const double[::1] freqs not None,
    const unsigned char[::1] codes not None,
    const double[::1] norms not None,
    double weight,
):
    """The BM25 of each posting (documents ``docs``, numbered in the index), as a new array."""
    cdef Py_ssize_t i, d, n = docs.shape[0], size = codes.shape[0]
    out = np.empty(n, dtype=np.float64)
    cdef double[::1] result = out
    cdef double f
    cdef bint outside = False
    _check(norms, freqs.shape[0] == n)
    with nogil:
        for i in range(n):
            d = docs[i]
            if d < 0 or d >= size:
                outside = True
                break
            f = freqs[i]
            result[i] = weight * f / (f + norms[codes[d]])
    if outside:
        raise IndexError("a posting outside the index")
    return out


def scatter(
    const int[::1] docs not None,
    const int[::1] freqs not None,
    Py_ssize_t offset,
    const unsigned char[::1] codes not None,
    const double[::1] norms not None,
    double weight,
    unsigned char[::1] mask not None,
    double[::1] score not None,
):
    """Mark each posting's document (``offset + docs``, a segment's numbers) in
    ``mask`` and add its BM25 to ``score``: a term of a frequent word, with no
    array of its own. A term's documents are distinct, so no two postings add to
    the same place."""
    cdef Py_ssize_t i, d, n = docs.shape[0], size = codes.shape[0]
    cdef double f
    cdef bint outside = False
    _check(norms, freqs.shape[0] == n and mask.shape[0] == size and score.shape[0] == size)
    with nogil:
        for i in range(n):
            d = offset + docs[i]
            if d < 0 or d >= size:
                outside = True
                break
            f = freqs[i]
            mask[d] = 1
            score[d] += weight * f / (f + norms[codes[d]])
    if outside:
        raise IndexError("a posting outside the index")


cdef _check(const double[::1] norms, bint same_lengths):
    if norms.shape[0] != 256:
        raise ValueError("norms must have one entry per length code")
    if not same_lengths:
        raise ValueError("arrays of different lengths")
