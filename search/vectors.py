"""Matching and scoring a whole index at once, with numpy.

Whoosh walks postings one document at a time in Python: a query on a word found
in 26,000 of 30,000 hadith took half a second to score and as long again to
count, and the phrase "رسول الله" a second. Here each term's postings (and, for
phrases, its positions) are read a block at a time into arrays and cached; a
query is evaluated as boolean masks and score vectors over all documents, and
counting, facets and the top hits fall out of array operations.

The arrays belong to one state of the index (generation and commit) and are
shared by all threads; postings are read through the calling thread's reader.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from whoosh import query as wq
from whoosh.reading import IndexReader
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from indexer.arrays import FieldArrays, SegmentArrays, open_segment

from .ranking import Weights
from .scored import Scored, intersection, union

# Positions are packed with their document number into one integer: docnum * 2**32 + position.
_POSITION_BITS = 32

_BYTE_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)


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
        self.collections, self.codes = _codes(reader, "collection", self.size)
        ids, id_codes = _codes(reader, "id", self.size)
        order = np.argsort(np.array(ids, dtype=object)[id_codes], kind="stable")
        self.id_rank = np.empty(self.size, dtype=np.int64)
        self.id_rank[order] = np.arange(self.size)
        self._lengths: dict[str, tuple[np.ndarray, float]] = {}
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

    def postings(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Document numbers and term frequencies of one term."""
        ids: list[np.ndarray] = []
        frequencies: list[np.ndarray] = []
        for field, offset, start, stop in self._spans(fieldname, text):
            ids.append(field.docs[start:stop].astype(np.int64) + offset)
            frequencies.append(field.freqs[start:stop].astype(np.float64))
        if not ids:
            return _EMPTY_IDS, _EMPTY_WEIGHTS
        return np.concatenate(ids), np.concatenate(frequencies)

    def positions(self, fieldname: str, *texts: str) -> np.ndarray:
        """Every occurrence of any of the terms, as docnum * 2**32 + position, sorted."""
        if len(texts) > 1:
            return np.unique(np.concatenate([self.positions(fieldname, text) for text in texts]))
        keys = [
            _keys(*field.range_positions(start, stop), offset)
            for field, offset, start, stop in self._spans(fieldname, texts[0])
        ]
        # A term's postings are in document order, each one's positions ascending.
        return np.concatenate(keys) if keys else _EMPTY_IDS

    def positions_in(self, fieldname: str, text: str, docnums: np.ndarray) -> np.ndarray:
        """The term's occurrences (as :meth:`positions`) in these documents only
        (sorted docnums): the cost is the documents asked for, not the term's
        document frequency."""
        keys: list[np.ndarray] = []
        for field, offset, start, stop in self._spans(fieldname, text):
            lo, hi = np.searchsorted(docnums, (offset + field.docs[start], offset + field.docs[stop - 1] + 1))
            wanted = docnums[lo:hi] - offset
            at = start + np.searchsorted(field.docs[start:stop], wanted)
            found = at < stop
            found[found] = field.docs[at[found]] == wanted[found]
            if found.any():
                keys.append(_keys(*field.some_positions(at[found]), offset))
        return np.concatenate(keys) if keys else _EMPTY_IDS

    def _spans(self, fieldname: str, text: str) -> Iterator[tuple[FieldArrays, int, int, int]]:
        """Each segment's range of the term's postings, where it has any."""
        for segment, offset in self.segments:
            field = segment.field(fieldname)
            if field is not None:
                start, stop = field.span(text)
                if start < stop:
                    yield field, offset, start, stop


def _keys(docs: np.ndarray, positions: np.ndarray, offset: int) -> np.ndarray:
    return ((docs.astype(np.int64) + offset) << _POSITION_BITS) + positions


def _length_codes(segment: SegmentArrays, fieldname: str) -> np.ndarray:
    field = segment.field(fieldname)
    if field is None or field.lengths is None:
        return np.zeros(segment.size, dtype=np.uint8)
    return field.lengths


_EMPTY_IDS = np.zeros(0, dtype=np.int64)
_EMPTY_WEIGHTS = np.zeros(0, dtype=np.float64)
_NO_CODES = np.zeros(0, dtype=np.uint8)


def _codes(reader: IndexReader, fieldname: str, size: int) -> tuple[list[str], np.ndarray]:
    """The distinct values of a sortable keyword field, and each document's value as an index into them."""
    values: list[str] = [""]
    codes = np.zeros(size, dtype=np.int64)
    if not reader.has_column(fieldname):
        return values, codes
    index: dict[str, int] = {"": 0}
    column = reader.column_reader(fieldname)
    for docnum in range(size):
        value = column[docnum]
        if isinstance(value, bytes):
            value = value.decode("utf-8")
        code = index.get(value)
        if code is None:
            code = index[value] = len(values)
            values.append(value)
        codes[docnum] = code
    return values, codes


class Evaluator:
    """Evaluates a Whoosh query tree over the whole index."""

    def __init__(self, arrays: IndexArrays, searcher: Searcher, weights: Weights) -> None:
        self.arrays = arrays
        self.searcher = searcher
        self.reader = searcher.reader()
        self.weights = weights
        self.size = arrays.size
        # While rescoring: the documents whose positions are read (sorted); None reads every document's.
        self._within: np.ndarray | None = None

    def evaluate(self, query: wq.Query, boost: float = 1.0) -> Scored:
        boost *= getattr(query, "boost", 1.0)
        if isinstance(query, wq.Term):
            return self.term(query.fieldname, query.text, boost)
        if isinstance(query, wq.Or):
            return union([self.evaluate(q, boost) for q in query.subqueries], self.size)
        if isinstance(query, wq.And):
            return intersection([self.evaluate(q, boost) for q in query.subqueries], self.size)
        if isinstance(query, wq.AndNot):
            return self.evaluate(query.a, boost).without(self.evaluate(query.b))
        if isinstance(query, wq.AndMaybe):  # the optional part only adds to the score
            return self.evaluate(query.a, boost).plus(self.evaluate(query.b, boost))
        if isinstance(query, wq.Every):
            return Scored.every(self.arrays.live)
        if isinstance(query, wq.Prefix):
            terms = [t.decode("utf-8") for t in self.reader.expand_prefix(query.fieldname, query.text)]
            return self.evaluate(wq.Or([wq.Term(query.fieldname, t) for t in terms]) if terms else wq.NullQuery)
        if isinstance(query, wq.Phrase):
            groups = [[wq.Term(query.fieldname, w)] for w in query.words]
            return self.sequence(query.fieldname, groups, 1, boost)
        if isinstance(query, wq.Sequence):
            groups = [list(q.subqueries) if isinstance(q, wq.Or) else [q] for q in query.subqueries]
            fieldname = groups[0][0].fieldname
            return self.sequence(fieldname, groups, query.slop, boost)
        if query is wq.NullQuery:
            return Scored.nothing(self.size)
        raise TypeError(f"cannot evaluate {type(query).__name__}")

    def rescore(self, result: Scored, bonus: wq.Query, window: int) -> None:
        """The second phase of ranking: ``bonus`` (words standing close together)
        is added to the scores of the ``window`` best documents of ``result`` only.

        Positions are read for those documents alone, not for every document that
        has the words: the cost of a query stops growing with the corpus. A
        document outside the window has a lower score than every document in it,
        and the bonus only adds, so the order is one total order for every page.
        """
        best = np.sort(np.array([docnum for _, docnum in ranked(result, self.arrays, window)], dtype=np.int64))
        if len(best) < 1:
            return
        self._within = best
        try:
            extra = self.evaluate(bonus)
        finally:
            self._within = None
        result.add_at(best, extra.score_of(best))

    def _positions(self, fieldname: str, texts: list[str], candidates: np.ndarray | None) -> np.ndarray:
        """Every occurrence of any of the terms, as docnum * 2**32 + position,
        sorted; in the ``candidates`` only when given, and while rescoring in
        the documents being rescored only."""
        within = self._within if self._within is not None else candidates
        if within is None:
            return self.arrays.positions(fieldname, *texts)
        found = [self.arrays.positions_in(fieldname, text, within) for text in texts]
        return np.unique(np.concatenate(found)) if found else _EMPTY_IDS

    def term(self, fieldname: str, text: str, boost: float) -> Scored:
        ids, frequencies = self.arrays.postings(fieldname, text)
        live = self.arrays.live[ids]
        if not live.all():
            ids, frequencies = ids[live], frequencies[live]
        return Scored.of(self.size, ids, boost * self._bm25(fieldname, ids, frequencies))

    def _bm25(self, fieldname: str, ids: np.ndarray, frequencies: np.ndarray) -> np.ndarray:
        """BM25 of live postings, with live documents only counted."""
        codes, average = self.arrays.lengths(fieldname)
        documents = self.arrays.live_count
        df = len(ids)
        idf = np.log(1 + (documents - df + 0.5) / (df + 0.5))
        k1, b = self.weights.bm25_k1, self.weights.bm25_b
        norm = k1 * (1 - b + b * _BYTE_LENGTHS[codes[ids]] / average)
        return idf * frequencies * (k1 + 1) / (frequencies + norm)

    def sequence(self, fieldname: str, groups: list[list[wq.Term]], slop: int, boost: float) -> Scored:
        """Documents where a term of each group follows one of the previous group
        within ``slop`` positions (1: adjacent, a phrase); scored by its words.
        Positions are read only in the documents that have a word of every group."""
        words = intersection([self.evaluate(wq.Or(list(group)), boost) for group in groups], self.size)
        candidates = None if words.dense else words.ids
        reach: np.ndarray | None = None
        for group in groups:
            keys = self._positions(fieldname, sorted(t.text for t in group), candidates)
            if reach is not None:
                # Keep the occurrences that come 1..slop positions after a reached one.
                before = np.searchsorted(reach, keys, side="left") - 1
                ok = before >= 0
                ok[ok] = keys[ok] - reach[before[ok]] <= slop
                keys = keys[ok]
            reach = keys
            if not len(reach):
                break
        found = np.unique(reach >> _POSITION_BITS) if reach is not None and len(reach) else _EMPTY_IDS
        return words.within(Scored(self.size, found, np.zeros(len(found))))


def ranked(result: Scored, arrays: IndexArrays, needed: int) -> list[tuple[float, int]]:
    """(score, docnum) of the ``needed`` best documents; equal scores in id order."""
    matching, scores = result.docs(), result.scores()
    if len(matching) > needed:
        # Keep every document that ties with the last one kept, then order exactly.
        cutoff = np.partition(-scores, needed - 1)[needed - 1]
        keep = -scores <= cutoff
        matching, scores = matching[keep], scores[keep]
    order = np.lexsort((arrays.id_rank[matching], -scores))[:needed]
    return [(float(scores[i]), int(matching[i])) for i in order]
