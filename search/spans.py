"""Words near each other, decided on position arrays exactly as Whoosh's span
queries decide it (``whoosh.query.spans.SpanNear``), for every document at once.

A span is a run of positions in one document, held as three arrays (document,
first and last position) sorted by document and start. Two spans are near when
the distance between them (0 if they overlap) is 1 to ``slop`` positions, and,
when ``ordered``, the second does not start before the first; together they make
one span from the first position to the last. A phrase folds its words from the
left (``SpanNear2``); a sequence pairs them in a balanced tree (Whoosh's
``make_binary_tree``): for ordered words both come to "each word 1 to ``slop``
positions after the one before", for unordered ones they differ.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

# Positions are packed with their document number into one integer: docnum * 2**32 + position.
POSITION_BITS = 32
_LOW = (1 << POSITION_BITS) - 1


class Spans(NamedTuple):
    doc: np.ndarray
    start: np.ndarray
    end: np.ndarray

    @classmethod
    def of(cls, keys: np.ndarray) -> Spans:
        """One-position spans from sorted ``docnum * 2**32 + position`` keys."""
        positions = keys & _LOW
        return cls(keys >> POSITION_BITS, positions, positions)

    def docs(self) -> np.ndarray:
        return np.unique(self.doc)


def near(a: Spans, b: Spans, slop: int, ordered: bool) -> Spans:
    """The spans made of a span of ``a`` and a span of ``b`` near it."""
    if not len(a.doc) or not len(b.doc):
        return Spans(a.doc[:0], a.start[:0], a.end[:0])
    keys = (b.doc << POSITION_BITS) + b.start
    width = int((b.end - b.start).max())
    # The spans of b that may be near each span of a: starting no earlier than
    # ``width`` before its reach, and no later than ``slop`` after its end.
    lowest = (a.doc << POSITION_BITS) + np.maximum(a.start - slop - width, 0)
    highest = (a.doc << POSITION_BITS) + a.end + slop
    first = np.searchsorted(keys, lowest, side="left")
    counts = np.searchsorted(keys, highest, side="right") - first
    left = np.repeat(np.arange(len(a.doc)), counts)
    right = np.arange(int(counts.sum())) + np.repeat(first - np.cumsum(counts) + counts, counts)
    a_start, a_end = a.start[left], a.end[left]
    b_start, b_end = b.start[right], b.end[right]
    ok = b_end >= a_start - slop
    if ordered:
        ok &= a_start <= b_start
    overlap = (b_start <= a_end) & (b_end >= a_start)
    distance = np.where(overlap, 0, np.where(a_end < b_start, b_start - a_end, a_start - b_end))
    ok &= (distance >= 1) & (distance <= slop)
    return _distinct(a.doc[left][ok], np.minimum(a_start, b_start)[ok], np.maximum(a_end, b_end)[ok])


def _distinct(doc: np.ndarray, start: np.ndarray, end: np.ndarray) -> Spans:
    order = np.lexsort((end, start, doc))
    doc, start, end = doc[order], start[order], end[order]
    keep = np.ones(len(doc), dtype=bool)
    keep[1:] = (doc[1:] != doc[:-1]) | (start[1:] != start[:-1]) | (end[1:] != end[:-1])
    return Spans(doc[keep], start[keep], end[keep])


def phrase(words: list[Spans], slop: int) -> Spans:
    """Whoosh's ``Phrase``: the words folded from the left, in order."""
    found = words[0]
    for word in words[1:]:
        found = near(found, word, slop, ordered=True)
    return found


def sequence(words: list[Spans], slop: int, ordered: bool) -> Spans:
    """Whoosh's ``Sequence``: the words paired in a balanced binary tree."""
    if len(words) == 1:
        return words[0]
    half = len(words) // 2
    return near(sequence(words[:half], slop, ordered), sequence(words[half:], slop, ordered), slop, ordered)
