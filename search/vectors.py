"""Matching and scoring a whole index at once, with numpy.

Whoosh walks postings one document at a time in Python: a query on a word found
in 26,000 of 30,000 hadith took half a second to score and as long again to
count, and the phrase "رسول الله" a second. Here each term's postings and
positions are slices of the segments' memory-mapped arrays (indexer/arrays.py);
a query is planned as parts that are run or probed (search/matching.py), and
counting, facets and the top hits fall out of array operations.

The arrays belong to one state of the index (generation and commit) and are
shared by all threads; nothing here reads Whoosh's files but through its public API.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from whoosh import query as wq
from whoosh.reading import IndexReader
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from indexer.arrays import SKIP, FieldArrays, SegmentArrays, open_segment
from indexer.schema import TEXT_FIELDS

from . import spans
from .compiled import probe
from .matching import (
    AndMaybePart,
    AndNotPart,
    EveryPart,
    IntersectionPart,
    NothingPart,
    Part,
    SequencePart,
    TermPart,
    UnionPart,
)
from .ranking import Weights
from .scored import Scored

_BYTE_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)


Span = tuple[FieldArrays, int, int, int]  # a segment's field, its offset, a term's postings start and stop


class IndexArrays:
    """Per-document arrays of one index state (live documents, field lengths,
    collection codes, id order) and each segment's mapped postings."""

    def __init__(self, reader: IndexReader, storage_dir: Path) -> None:
        self.size = reader.doc_count_all()
        self.live = np.ones(self.size, dtype=bool)
        self.segments: list[tuple[SegmentArrays, int]] = []
        for leaf, offset in reader.leaf_readers():
            if leaf.has_deletions():  # all_doc_ids, public: deleted_docs_set is a method or a property by version
                self.live[offset : offset + leaf.doc_count_all()] = False
                self.live[offset + np.fromiter(leaf.all_doc_ids(), dtype=np.int64)] = True
            self.segments.append((open_segment(storage_dir, leaf), offset))
        self.live_count = int(np.count_nonzero(self.live))
        self.offsets = np.array([offset for _, offset in self.segments], dtype=np.int64)
        self.collections, self.codes = self._values("collection")
        self._lengths: dict[str, tuple[np.ndarray, float]] = {}
        self._id_terms: dict[int, np.ndarray] = {}
        self._lock = threading.Lock()

    def lengths(self, fieldname: str) -> tuple[np.ndarray, float]:
        """Each document's length in ``fieldname`` as Whoosh's byte code
        (``_BYTE_LENGTHS`` turns it into terms), and the average length."""
        found = self._lengths.get(fieldname)
        if found is None:
            codes = np.concatenate([_length_codes(segment, fieldname) for segment, _ in self.segments] or [_NO_CODES])
            live = _BYTE_LENGTHS[codes[self.live]]
            average = float(live.mean()) if live.size and live.mean() else 1.0
            with self._lock:
                found = self._lengths.setdefault(fieldname, (codes, average))
        return found

    def _values(self, fieldname: str) -> tuple[list[str], np.ndarray]:
        """The distinct values of a keyword field (a collection), and each
        document's value as an index into them (0: none), from its postings."""
        values = [""]
        index = {"": 0}
        codes = np.zeros(self.size, dtype=np.int32)
        for segment, offset in self.segments:
            field = segment.field(fieldname)
            for term in range(len(field.term_starts) - 1 if field is not None else 0):
                value = field.term(term)  # type: ignore[union-attr]
                code = index.setdefault(value, len(values))
                if code == len(values):
                    values.append(value)
                start, stop = field.posting_starts[term], field.posting_starts[term + 1]  # type: ignore[union-attr]
                codes[offset + field.docs[start:stop]] = code  # type: ignore[union-attr]
        return values, codes

    def ids_of(self, docnums: np.ndarray) -> list[str]:
        """The ids of these documents, read from the id field's terms."""
        segments = np.searchsorted(self.offsets, docnums, side="right") - 1
        found = []
        for docnum, number in zip(docnums.tolist(), segments.tolist(), strict=True):
            segment, offset = self.segments[number]
            field = segment.field("id")
            found.append(field.term(int(self._id_ranks(number)[docnum - offset])))  # type: ignore[union-attr]
        return found

    def _id_ranks(self, number: int) -> np.ndarray:
        """Each document of segment ``number``: its id's place among the
        segment's ids (the id field's terms are sorted)."""
        ranks = self._id_terms.get(number)
        if ranks is None:
            segment, _ = self.segments[number]
            ranks = segment.field("id").term_of_docs(segment.size)  # type: ignore[union-attr]
            with self._lock:
                ranks = self._id_terms.setdefault(number, ranks)
        return ranks

    def first_by_id(self, docnums: np.ndarray, count: int) -> np.ndarray:
        """The ``count`` of these documents (sorted) whose ids come first: the
        first ``count`` of each segment by its id order, then those few by id."""
        segments = np.searchsorted(self.offsets, docnums, side="right") - 1
        picked = []
        for number in np.unique(segments).tolist():
            docs = docnums[segments == number]
            ranks = self._id_ranks(number)[docs - self.segments[number][1]]
            picked.append(docs[np.argsort(ranks, kind="stable")[:count]])
        chosen = np.concatenate(picked) if picked else _EMPTY_IDS
        ids = self.ids_of(chosen)
        return chosen[sorted(range(len(chosen)), key=lambda i: (ids[i], chosen[i]))[:count]]

    def postings(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Document numbers and term frequencies of one term."""
        return self.postings_of(list(self.spans(fieldname, text)))

    def postings_of(self, spans: list[Span]) -> tuple[np.ndarray, np.ndarray]:
        """Document numbers and term frequencies of one term, from its :meth:`spans`."""
        ids = [field.docs[start:stop].astype(np.int64) + offset for field, offset, start, stop in spans]
        frequencies = [field.freqs[start:stop].astype(np.float64) for field, _, start, stop in spans]
        if not ids:
            return _EMPTY_IDS, _EMPTY_WEIGHTS
        return np.concatenate(ids), np.concatenate(frequencies)

    def positions(self, fieldname: str, text: str) -> np.ndarray:
        """Every occurrence of the term, as docnum * 2**32 + position, sorted."""
        return self.positions_of(list(self.spans(fieldname, text)))

    def positions_of(self, spans: list[Span]) -> np.ndarray:
        """:meth:`positions` of one term, from its :meth:`spans`."""
        keys = [_keys(*field.range_positions(start, stop), offset) for field, offset, start, stop in spans]
        # A term's postings are in document order, each one's positions ascending.
        return np.concatenate(keys) if keys else _EMPTY_IDS

    def positions_in(self, fieldname: str, text: str, docnums: np.ndarray) -> np.ndarray:
        """The term's occurrences (as :meth:`positions`) in these documents only
        (sorted docnums): the cost is the documents asked for, not the term's
        document frequency."""
        return self.positions_at(list(self.spans(fieldname, text)), docnums)

    def positions_at(self, spans: list[Span], docnums: np.ndarray) -> np.ndarray:
        """:meth:`positions_in` of one term, from its :meth:`spans`."""
        keys = [
            probe.positions(field.docs, field.freqs, field.skips, field.positions, SKIP, postings, offset)
            for field, offset, _, postings in self.locate(spans, docnums)
        ]
        return np.concatenate(keys) if keys else _EMPTY_IDS

    def locate(
        self, spans: list[Span], docnums: np.ndarray
    ) -> Iterator[tuple[FieldArrays, int, np.ndarray, np.ndarray]]:
        """Which of these documents (sorted) a term's postings hold (found by
        :func:`search.probe.locate`): per segment that holds any, its field, its
        offset, their places in ``docnums`` and their postings."""
        for field, offset, start, stop in spans:
            at, postings = probe.locate(field.docs, start, stop, docnums, offset)
            if len(at):
                yield field, offset, at, postings

    def word_views(self, word: str) -> tuple[tuple[str, ...], ...] | None:
        """A normalized word's stems and lemmas, read from the first segment that
        links the word to them (None: none does, the analysis must say)."""
        for segment, _ in self.segments:
            for fieldname in TEXT_FIELDS:
                found = segment.word_views(fieldname, word)
                if found is not None:
                    return found
        return None

    def holds(self, fieldname: str, text: str) -> bool:
        """Whether a segment has postings of the term (as Whoosh's document
        frequency, deleted documents count)."""
        return next(self.spans(fieldname, text), None) is not None

    def spans(self, fieldname: str, text: str) -> Iterator[Span]:
        """Each segment's range of the term's postings, where it has any."""
        for segment, offset in self.segments:
            field = segment.field(fieldname)
            if field is not None:
                start, stop = field.span(text)
                if start < stop:
                    yield field, offset, start, stop


def _keys(docs: np.ndarray, positions: np.ndarray, offset: int) -> np.ndarray:
    return ((docs.astype(np.int64) + offset) << spans.POSITION_BITS) + positions


def _length_codes(segment: SegmentArrays, fieldname: str) -> np.ndarray:
    field = segment.field(fieldname)
    if field is None or field.lengths is None:
        return np.zeros(segment.size, dtype=np.uint8)
    return field.lengths


_EMPTY_IDS = np.zeros(0, dtype=np.int64)
_EMPTY_WEIGHTS = np.zeros(0, dtype=np.float64)
_NO_CODES = np.zeros(0, dtype=np.uint8)


class Evaluator:
    """Evaluates a Whoosh query tree over the whole index, through the parts of
    :mod:`search.matching`: each conjunction driven by its rarest part."""

    def __init__(self, arrays: IndexArrays, searcher: Searcher, weights: Weights) -> None:
        self.arrays = arrays
        self.searcher = searcher
        self.reader = searcher.reader()
        self.weights = weights
        self.size = arrays.size
        self._spans: dict[tuple[str, str], list[Span]] = {}

    def evaluate(self, query: wq.Query) -> Scored:
        return self.plan(query).run()

    def plan(self, query: wq.Query, boost: float = 1.0) -> Part:
        """The parts that evaluate ``query``."""
        boost *= getattr(query, "boost", 1.0)
        if isinstance(query, wq.Term):
            return TermPart(
                self.arrays, query.fieldname, self.spans(query.fieldname, query.text), boost, self._weighting
            )
        if isinstance(query, wq.Or):
            return UnionPart([self.plan(q, boost) for q in query.subqueries], self.size)
        if isinstance(query, wq.And):
            return IntersectionPart([self.plan(q, boost) for q in query.subqueries], self.size)
        if isinstance(query, wq.AndNot):
            return AndNotPart(self.plan(query.a, boost), self.plan(query.b))
        if isinstance(query, wq.AndMaybe):
            return AndMaybePart(self.plan(query.a, boost), self.plan(query.b, boost))
        if isinstance(query, wq.Every):
            return EveryPart(self.arrays.live, self.arrays.live_count)
        if isinstance(query, wq.Prefix):
            terms = [t.decode("utf-8") for t in self.reader.expand_prefix(query.fieldname, query.text)]
            return self.plan(wq.Or([wq.Term(query.fieldname, t) for t in terms]) if terms else wq.NullQuery, boost)
        if isinstance(query, wq.Phrase):
            groups = [[wq.Term(query.fieldname, w)] for w in query.words]
            return self._sequence(query.fieldname, groups, boost, lambda words: spans.phrase(words, query.slop))
        if isinstance(query, wq.Sequence):
            groups = [list(q.subqueries) if isinstance(q, wq.Or) else [q] for q in query.subqueries]
            return self._sequence(
                groups[0][0].fieldname,
                groups,
                boost,
                lambda words: spans.sequence(words, query.slop, query.ordered),
            )
        if query is wq.NullQuery:
            return NothingPart(self.size)
        raise TypeError(f"cannot evaluate {type(query).__name__}")

    def spans(self, fieldname: str, text: str) -> list[Span]:
        """The term's :meth:`IndexArrays.spans`, looked up once per query: the
        proximity bonus and the phrases ask for the query's terms again."""
        key = (fieldname, text)
        found = self._spans.get(key)
        if found is None:
            found = self._spans[key] = list(self.arrays.spans(fieldname, text))
        return found

    def rescore(self, result: Scored, bonus: wq.Query, window: int) -> None:
        """The second phase of ranking: ``bonus`` (words standing close together)
        is added to the scores of the ``window`` best documents of ``result`` only.

        The bonus is probed with those documents alone, its positions read there
        only: the cost of a query stops growing with the corpus. A document
        outside the window has a lower score than every document in it, and the
        bonus only adds, so the order is one total order for every page.
        """
        best = np.sort(np.array([docnum for _, docnum in ranked(result, self.arrays, window)], dtype=np.int64))
        if len(best):
            _, extra = self.plan(bonus).probe(best)
            result.add_at(best, extra)

    def _weighting(self, fieldname: str, df: int, boost: float) -> tuple[np.ndarray, np.ndarray, float]:
        """What :mod:`search.bm25` needs to score a term of ``fieldname`` found in
        ``df`` live documents (the document count is of live documents too)."""
        codes, average = self.arrays.lengths(fieldname)
        documents = self.arrays.live_count
        idf = np.log(1 + (documents - df + 0.5) / (df + 0.5))
        k1, b = self.weights.bm25_k1, self.weights.bm25_b
        return codes, k1 * (1 - b + b * _BYTE_LENGTHS / average), float(idf * boost * (k1 + 1))

    def _sequence(
        self,
        fieldname: str,
        groups: list[list[wq.Term]],
        boost: float,
        combine: Callable[[list[spans.Spans]], spans.Spans],
    ) -> Part:
        """Documents where the groups' words stand as ``combine`` wants them
        (:mod:`search.spans`); scored by their words. Positions are read in the
        documents that have a word of every group only."""
        words = IntersectionPart([self.plan(wq.Or(list(group)), boost) for group in groups], self.size)
        texts = [sorted(t.text for t in group) for group in groups]

        def follow(candidates: np.ndarray | None) -> np.ndarray:
            found = []
            for group in texts:
                if candidates is None:
                    each = [self.arrays.positions_of(self.spans(fieldname, text)) for text in group]
                else:
                    each = [self.arrays.positions_at(self.spans(fieldname, text), candidates) for text in group]
                keys = np.unique(np.concatenate(each)) if len(each) > 1 else each[0]
                if not len(keys):
                    return _EMPTY_IDS
                found.append(spans.Spans.of(keys))
            docs = combine(found).docs()
            return docs[self.arrays.live[docs]]

        return SequencePart(words, follow)


def ranked(result: Scored, arrays: IndexArrays, needed: int) -> list[tuple[float, int]]:
    """(score, docnum) of the ``needed`` best documents; equal scores in id order."""
    matching, scores = result.docs(), result.scores()
    if len(matching) > needed:
        # The documents above the last score kept, and of those that tie with
        # it the ones whose ids come first.
        cutoff = np.partition(-scores, needed - 1)[needed - 1]
        better = -scores < cutoff
        tied = matching[-scores == cutoff]
        wanted = needed - int(np.count_nonzero(better))
        if len(tied) > wanted:
            tied = arrays.first_by_id(tied, wanted)
        matching = np.concatenate((matching[better], tied))
        scores = np.concatenate((scores[better], np.full(len(tied), -cutoff)))
    ids = arrays.ids_of(matching)
    order = sorted(range(len(matching)), key=lambda i: (-scores[i], ids[i], matching[i]))[:needed]
    return [(float(scores[i]), int(matching[i])) for i in order]
