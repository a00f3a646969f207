"""A query tree as parts that are run or probed, so that a query costs what it
needs: the postings-driven evaluation of the engine.

Every part can be *run* (all the documents it matches, with scores) or
*probed* (which of some given documents it matches, and their scores). A
conjunction runs its rarest part and probes the others with the documents that
remain: for a rare word beside two frequent ones, the frequent words' postings
are binary-searched for a few documents instead of read and scored whole. A part
asked about many documents (more than 1 in ``PROBE_RATIO`` of its postings) is
run once instead, and looked up. Rescoring probes the proximity bonus with the
hundred best documents only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from .compiled import bm25
from .scored import DENSE_SHARE, Scored, intersection, union

if TYPE_CHECKING:
    from .vectors import IndexArrays, Span

# A term's BM25 over a field: its documents' length codes, the norm of each of
# the 256 codes, and idf * boost * (k1 + 1) (:mod:`search.bm25`).
Weighting = Callable[[str, int, float], tuple[np.ndarray, np.ndarray, float]]

# Probe a part with k documents when k * PROBE_RATIO is below its postings; else run it.
PROBE_RATIO = 8


class Part:
    """One node of a query tree."""

    size: int
    #: An upper bound of the documents it matches (postings, deleted ones included).
    estimate: int
    _result: Scored | None = None

    def run(self) -> Scored:
        """Every live document it matches, with its score (computed once)."""
        if self._result is None:
            self._result = self._run()
        return self._result

    def _run(self) -> Scored:
        raise NotImplementedError

    def probe(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each of these sorted live documents: whether it matches, and its score (0 if not)."""
        raise NotImplementedError

    def lookup(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`probe`, or, for many documents, a look into :meth:`run`."""
        if self._result is None and len(ids) * PROBE_RATIO < self.estimate:
            return self.probe(ids)
        result = self.run()
        return result.contains(ids), result.score_of(ids)


class TermPart(Part):
    """One term of one field, scored by BM25."""

    def __init__(
        self, arrays: IndexArrays, fieldname: str, spans: list[Span], boost: float, weighting: Weighting
    ) -> None:
        self.arrays = arrays
        self.size = arrays.size
        self.fieldname = fieldname
        self.spans = spans  # where its postings are: IndexArrays.spans
        self.estimate = sum(stop - start for _, _, start, stop in self.spans)
        self.boost = boost
        self._weighting = weighting
        self._df: int | None = None

    @property
    def df(self) -> int:
        """Live documents with the term: BM25 counts live documents only."""
        if self._df is None:
            live = self.arrays.live
            self._df = (
                self.estimate
                if self.arrays.live_count == self.size
                else sum(
                    int(np.count_nonzero(live[field.docs[start:stop] + offset]))
                    for field, offset, start, stop in self.spans
                )
            )
        return self._df

    def _run(self) -> Scored:
        if self.estimate > self.size * DENSE_SHARE:
            return _scattered([self], self.arrays)
        ids, frequencies = self.arrays.postings_of(self.spans)
        live = self.arrays.live[ids]
        if not live.all():
            ids, frequencies = ids[live], frequencies[live]
        self._df = len(ids)
        weighting = self._weighting(self.fieldname, len(ids), self.boost)
        return Scored(self.size, ids, bm25.scores(ids, frequencies, *weighting))

    def scatter(self, mask: np.ndarray, score: np.ndarray) -> None:
        """Mark its documents in ``mask`` and add its scores to ``score``, a
        segment at a time, deleted documents too (the caller leaves them out):
        for a word found in much of the corpus, no array of its own."""
        codes, norms, weight = self._weighting(self.fieldname, self.df, self.boost)
        marks = mask.view(np.uint8)
        for field, offset, start, stop in self.spans:
            # The segment's own numbers: its documents are a slice of the index's.
            docs, freqs = field.docs[start:stop], field.freqs[start:stop]
            bm25.scatter(docs, freqs, offset, codes, norms, weight, marks, score)

    def probe(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        found = np.zeros(len(ids), dtype=bool)
        frequencies = np.zeros(len(ids))
        for field, _, at, postings in self.arrays.locate(self.spans, ids):
            found[at] = True
            frequencies[at] = field.freqs[postings]
        score = np.zeros(len(ids))
        if found.any():
            score[found] = bm25.scores(
                ids[found], frequencies[found], *self._weighting(self.fieldname, self.df, self.boost)
            )
        return found, score


class UnionPart(Part):
    """Any of its parts; their scores summed."""

    def __init__(self, parts: list[Part], size: int) -> None:
        self.parts = parts
        self.size = size
        self.estimate = min(size, sum(part.estimate for part in parts))

    def _run(self) -> Scored:
        scattered = [part for part in self.parts if _scatters(part)]
        if sum(part.estimate for part in scattered) <= self.size * DENSE_SHARE or len(_terms(scattered)) < 2:
            return union([part.run() for part in self.parts], self.size)
        # Terms found in much of the corpus (a frequent word in its views):
        # scattered into one pair of dense arrays, where each term's own would
        # cost a pass over the corpus, and their union another.
        found = _scattered(scattered, _terms(scattered)[0].arrays)
        others = [part.run() for part in self.parts if part not in scattered]
        return union([found, *others], self.size) if others else found

    def scatter(self, mask: np.ndarray, score: np.ndarray) -> None:
        """As :meth:`TermPart.scatter`, for each of its parts."""
        for part in self.parts:
            part.scatter(mask, score)  # type: ignore[attr-defined]

    def probe(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        found = np.zeros(len(ids), dtype=bool)
        score = np.zeros(len(ids))
        for part in self.parts:
            matched, scores = part.lookup(ids)
            found |= matched
            score += scores
        return found, score


def _scatters(part: Part) -> bool:
    """Whether the part is terms, or unions of terms, not yet run: they can add
    their scores into a union's dense arrays (:meth:`TermPart.scatter`)."""
    if part._result is not None:
        return False
    if isinstance(part, TermPart):
        return True
    return isinstance(part, UnionPart) and all(map(_scatters, part.parts))


def _scattered(parts: list[Part], arrays: IndexArrays) -> Scored:
    """Terms, or unions of terms (:func:`_scatters`), scattered into one mask and
    one score array; deleted documents left out."""
    mask = np.zeros(arrays.size, dtype=bool)
    score = np.zeros(arrays.size)
    for part in parts:
        part.scatter(mask, score)  # type: ignore[attr-defined]
    return Scored(arrays.size, score=score, mask=mask if arrays.live_count == arrays.size else mask & arrays.live)


def _terms(parts: list[Part]) -> list[TermPart]:
    """The terms of these scattering parts."""
    return [term for part in parts for term in ([part] if isinstance(part, TermPart) else _terms(part.parts))]  # type: ignore[attr-defined]


class IntersectionPart(Part):
    """Every one of its parts; their scores summed. The rarest is run, the others probed."""

    def __init__(self, parts: list[Part], size: int) -> None:
        self.parts = sorted(parts, key=lambda part: part.estimate)
        self.size = size
        self.estimate = min((part.estimate for part in parts), default=0)

    def _run(self) -> Scored:
        if not self.parts:
            return Scored.nothing(self.size)
        first = self.parts[0].run()
        if all(part.estimate * PROBE_RATIO > self.size for part in self.parts):
            return intersection([first] + [part.run() for part in self.parts[1:]], self.size)
        ids, score = first.docs(), first.scores()
        for part in self.parts[1:]:
            if not len(ids):
                break
            found, scores = part.lookup(ids)
            ids, score = ids[found], score[found] + scores[found]
        return Scored(self.size, ids, score)

    def probe(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        found = np.ones(len(ids), dtype=bool)
        score = np.zeros(len(ids))
        for part in self.parts:
            at = np.flatnonzero(found)
            if not len(at):
                break
            matched, scores = part.lookup(ids[at])
            found[at[~matched]] = False
            score[at] += scores
        score[~found] = 0
        return found, score


class AndNotPart(Part):
    """The documents of ``positive`` that ``negative`` does not match."""

    def __init__(self, positive: Part, negative: Part) -> None:
        self.positive, self.negative = positive, negative
        self.size = positive.size
        self.estimate = positive.estimate

    def _run(self) -> Scored:
        result = self.positive.run()
        if result.dense:
            return result.without(self.negative.run())
        excluded, _ = self.negative.lookup(result.docs())
        return Scored(self.size, result.docs()[~excluded], result.scores()[~excluded])

    def probe(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        found, score = self.positive.lookup(ids)
        at = np.flatnonzero(found)
        excluded, _ = self.negative.lookup(ids[at])
        found[at[excluded]] = False
        score[at[excluded]] = 0
        return found, score


class AndMaybePart(Part):
    """The documents of ``required``; ``optional`` only adds to their scores."""

    def __init__(self, required: Part, optional: Part) -> None:
        self.required, self.optional = required, optional
        self.size = required.size
        self.estimate = required.estimate

    def _run(self) -> Scored:
        result = self.required.run()
        if result.dense:
            return result.plus(self.optional.run())
        _, extra = self.optional.lookup(result.docs())
        return Scored(self.size, result.docs(), result.scores() + extra)

    def probe(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        found, score = self.required.lookup(ids)
        at = np.flatnonzero(found)
        _, extra = self.optional.lookup(ids[at])
        score[at] += extra
        return found, score


class EveryPart(Part):
    """Every live document, scored 0."""

    def __init__(self, live: np.ndarray, count: int) -> None:
        self.live = live
        self.size = len(live)
        self.estimate = count

    def _run(self) -> Scored:
        return Scored.every(self.live)

    def probe(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.live[ids], np.zeros(len(ids))


class NothingPart(Part):
    def __init__(self, size: int) -> None:
        self.size = size
        self.estimate = 0

    def _run(self) -> Scored:
        return Scored.nothing(self.size)

    def probe(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(len(ids), dtype=bool), np.zeros(len(ids))


class SequencePart(Part):
    """Its words standing near each other as a phrase or sequence wants them
    (:mod:`search.spans`); scored by its words. ``follow(docs)`` tells which of these
    documents (sorted; None: any) hold the sequence, reading positions there only."""

    def __init__(self, words: Part, follow: Callable[[np.ndarray | None], np.ndarray]) -> None:
        self.words = words
        self.follow = follow
        self.size = words.size
        self.estimate = words.estimate

    def _run(self) -> Scored:
        words = self.words.run()
        found = self.follow(None if words.dense else words.docs())
        return words.within(Scored(self.size, found, np.zeros(len(found))))

    def probe(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        found, score = self.words.lookup(ids)
        at = np.flatnonzero(found)
        followed = np.isin(ids[at], self.follow(ids[at]))
        found[at[~followed]] = False
        score[at[~followed]] = 0
        return found, score
