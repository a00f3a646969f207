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
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import IndexReader, TermNotFound
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from .ranking import Weights

# How many postings and positions the term cache keeps (8 to 16 bytes each).
CACHE_ENTRIES = 8_000_000
# Positions are packed with their document number into one integer: docnum * 2**32 + position.
_POSITION_BITS = 32

_BYTE_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)


@dataclass
class Scored:
    """Which documents match, and their scores."""

    mask: np.ndarray
    score: np.ndarray


class IndexArrays:
    """Per-document arrays of one index state: live documents, field lengths,
    collection codes, id order; and a cache of term postings."""

    def __init__(self, reader: IndexReader) -> None:
        self.size = reader.doc_count_all()
        self.live = np.ones(self.size, dtype=bool)
        for leaf, offset in reader.leaf_readers():
            if leaf.has_deletions():  # all_doc_ids, public: deleted_docs_set is a method or a property by version
                self.live[offset : offset + leaf.doc_count_all()] = False
                self.live[offset + np.fromiter(leaf.all_doc_ids(), dtype=np.int64)] = True
        self.collections, self.codes = _codes(reader, "collection", self.size)
        ids, id_codes = _codes(reader, "id", self.size)
        order = np.argsort(np.array(ids, dtype=object)[id_codes], kind="stable")
        self.id_rank = np.empty(self.size, dtype=np.int64)
        self.id_rank[order] = np.arange(self.size)
        self._lengths: dict[str, tuple[np.ndarray, float]] = {}
        self._cache: OrderedDict[tuple[str, ...], Any] = OrderedDict()
        self._cached_entries = 0
        self._lock = threading.Lock()

    def lengths(self, reader: IndexReader, fieldname: str) -> tuple[np.ndarray, float]:
        """Each document's length in ``fieldname`` (in terms), and the average."""
        found = self._lengths.get(fieldname)
        if found is None:
            lengths = np.zeros(self.size, dtype=np.float64)
            for leaf, offset in reader.leaf_readers():
                column = leaf._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
                if column is not None:  # lengths are stored as one byte per document
                    codes = np.fromiter(column, dtype=np.uint8, count=leaf.doc_count_all())
                    lengths[offset : offset + len(codes)] = _BYTE_LENGTHS[codes]
            live = lengths[self.live]
            found = self._lengths[fieldname] = (lengths, float(live.mean()) if live.size and live.mean() else 1.0)
        return found

    def postings(self, reader: IndexReader, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Document numbers and term frequencies of one term."""
        return self._cached(("postings", fieldname, text), lambda: _read_postings(reader, fieldname, text))

    def positions(self, reader: IndexReader, fieldname: str, *texts: str) -> np.ndarray:
        """Every occurrence of any of the terms, as docnum * 2**32 + position, sorted."""
        if len(texts) > 1:
            return self._cached(
                ("positions", fieldname, *texts),
                lambda: np.unique(np.concatenate([self.positions(reader, fieldname, t) for t in texts])),
            )
        return self._cached(("positions", fieldname, texts[0]), lambda: _read_positions(reader, fieldname, texts[0]))

    def _cached(self, key: tuple[str, ...], read: Callable[[], Any]) -> Any:
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
        found = read()
        size = len(found[0]) if isinstance(found, tuple) else len(found)
        with self._lock:
            self._cache[key] = found
            self._cached_entries += size
            while self._cached_entries > CACHE_ENTRIES and len(self._cache) > 1:
                _, old = self._cache.popitem(last=False)
                self._cached_entries -= len(old[0]) if isinstance(old, tuple) else len(old)
        return found


def _blocks(reader: IndexReader, fieldname: str, text: str, values: bool) -> Iterator[tuple[W3LeafMatcher, int]]:
    """Each block of a term's postings in every segment, with the segment's first docnum.

    Block at a time: Whoosh's public matcher API goes one posting at a time.
    """
    for leaf, offset in reader.leaf_readers():
        try:
            matcher = leaf.postings(fieldname, text)
        except TermNotFound:
            continue
        if isinstance(matcher, FilterMatcher):  # Whoosh's filter of deleted documents: ``live`` masks them
            matcher = matcher.child
        while True:
            matcher._read_ids()
            matcher._read_values() if values else matcher._read_weights()
            yield matcher, offset
            if matcher._lastblock:
                break
            matcher._next_block()


def _read_postings(reader: IndexReader, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    ids: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    for matcher, offset in _blocks(reader, fieldname, text, values=False):
        ids.append(np.asarray(matcher._ids, dtype=np.int64) + offset)
        weights.append(np.asarray(matcher._weights, dtype=np.float64))
    return (np.concatenate(ids), np.concatenate(weights)) if ids else (_EMPTY_IDS, _EMPTY_WEIGHTS)


def _read_positions_in(reader: IndexReader, fieldname: str, text: str, docnums: np.ndarray) -> np.ndarray:
    """The term's positions in these documents only (sorted global docnums that
    have the term): each is reached by skipping through the postings, so the cost
    is the documents asked for, not the term's document frequency."""
    keys: list[int] = []
    for leaf, offset in reader.leaf_readers():
        lo, hi = np.searchsorted(docnums, (offset, offset + leaf.doc_count_all()))
        if lo == hi:
            continue
        try:
            matcher = leaf.postings(fieldname, text)
        except TermNotFound:
            continue
        for docnum in docnums[lo:hi].tolist():
            matcher.skip_to(docnum - offset)
            if not matcher.is_active():
                break
            if matcher.id() == docnum - offset:
                base = docnum << _POSITION_BITS
                keys.extend(base + p for p in matcher.value_as("positions"))
    return np.array(keys, dtype=np.int64)


def _read_positions(reader: IndexReader, fieldname: str, text: str) -> np.ndarray:
    keys: list[int] = []
    for matcher, offset in _blocks(reader, fieldname, text, values=True):
        decode = matcher.format.decode_positions
        for docnum, value in zip(matcher._ids, matcher._values, strict=True):
            base = (docnum + offset) << _POSITION_BITS
            keys.extend(base + p for p in decode(value))
    return np.array(sorted(keys), dtype=np.int64)


_EMPTY_IDS = np.zeros(0, dtype=np.int64)
_EMPTY_WEIGHTS = np.zeros(0, dtype=np.float64)


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
    """Evaluates a Whoosh query tree over all documents at once."""

    def __init__(self, arrays: IndexArrays, searcher: Searcher, weights: Weights) -> None:
        self.arrays = arrays
        self.searcher = searcher
        self.reader = searcher.reader()
        self.weights = weights
        self.size = arrays.size
        # While rescoring: the documents whose positions are read; None reads every document's.
        self._within: np.ndarray | None = None

    def evaluate(self, query: wq.Query, boost: float = 1.0) -> Scored:
        boost *= getattr(query, "boost", 1.0)
        if isinstance(query, wq.Term):
            return self.term(query.fieldname, query.text, boost)
        if isinstance(query, wq.Or):
            return self._combine([self.evaluate(q, boost) for q in query.subqueries], np.logical_or)
        if isinstance(query, wq.And):
            return self._combine([self.evaluate(q, boost) for q in query.subqueries], np.logical_and)
        if isinstance(query, wq.AndNot):
            positive = self.evaluate(query.a, boost)
            negative = self.evaluate(query.b)
            return Scored(positive.mask & ~negative.mask, positive.score)
        if isinstance(query, wq.AndMaybe):  # the optional part only adds to the score
            required = self.evaluate(query.a, boost)
            bonus = self.evaluate(query.b, boost)
            return Scored(required.mask, required.score + bonus.score * required.mask)
        if isinstance(query, wq.Every):
            return Scored(self.arrays.live.copy(), np.zeros(self.size))
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
            return Scored(np.zeros(self.size, dtype=bool), np.zeros(self.size))
        raise TypeError(f"cannot evaluate {type(query).__name__}")

    def rescore(self, result: Scored, bonus: wq.Query, window: int) -> None:
        """The second phase of ranking: ``bonus`` (words standing close together)
        is added to the scores of the ``window`` best documents of ``result`` only.

        Positions are read for those documents alone, not for every document that
        has the words: the cost of a query stops growing with the corpus. A
        document outside the window has a lower score than every document in it,
        and the bonus only adds, so the order is one total order for every page.
        """
        best = [docnum for _, docnum in ranked(result, self.arrays, window)]
        if len(best) < 1:
            return
        within = np.zeros(self.size, dtype=bool)
        within[best] = True
        self._within = within
        try:
            extra = self.evaluate(bonus)
        finally:
            self._within = None
        result.score += extra.score * within

    def _positions(self, fieldname: str, texts: list[str]) -> np.ndarray:
        """Every occurrence of any of the terms, as docnum * 2**32 + position, sorted;
        while rescoring, in the documents being rescored only."""
        if self._within is None:
            return self.arrays.positions(self.reader, fieldname, *texts)
        found = []
        for text in texts:
            ids, _ = self.arrays.postings(self.reader, fieldname, text)
            wanted = ids[self._within[ids]] if len(ids) else ids
            if len(wanted):
                found.append(_read_positions_in(self.reader, fieldname, text, np.sort(wanted)))
        return np.unique(np.concatenate(found)) if found else _EMPTY_IDS

    def term(self, fieldname: str, text: str, boost: float) -> Scored:
        ids, frequencies = self.arrays.postings(self.reader, fieldname, text)
        mask = np.zeros(self.size, dtype=bool)
        score = np.zeros(self.size)
        if len(ids):
            mask[ids] = True
            score[ids] = boost * self._bm25(fieldname, ids, frequencies)
        mask &= self.arrays.live
        return Scored(mask, score)

    def _bm25(self, fieldname: str, ids: np.ndarray, frequencies: np.ndarray) -> np.ndarray:
        lengths, average = self.arrays.lengths(self.reader, fieldname)
        documents = int(self.arrays.live.sum())
        df = int(self.arrays.live[ids].sum())  # like ``documents``, live ones only
        idf = np.log(1 + (documents - df + 0.5) / (df + 0.5))
        k1, b = self.weights.bm25_k1, self.weights.bm25_b
        norm = k1 * (1 - b + b * lengths[ids] / average)
        return idf * frequencies * (k1 + 1) / (frequencies + norm)

    def sequence(self, fieldname: str, groups: list[list[wq.Term]], slop: int, boost: float) -> Scored:
        """Documents where a term of each group follows one of the previous group
        within ``slop`` positions (1: adjacent, a phrase); scored by its words."""
        reach: np.ndarray | None = None
        for group in groups:
            keys = self._positions(fieldname, sorted(t.text for t in group))
            if reach is not None:
                # Keep the occurrences that come 1..slop positions after a reached one.
                before = np.searchsorted(reach, keys, side="left") - 1
                ok = before >= 0
                ok[ok] = keys[ok] - reach[before[ok]] <= slop
                keys = keys[ok]
            reach = keys
            if not len(reach):
                break
        mask = np.zeros(self.size, dtype=bool)
        if reach is not None and len(reach):
            mask[reach >> _POSITION_BITS] = True
        mask &= self.arrays.live
        words = self._combine([self.evaluate(wq.Or(list(group)), boost) for group in groups], np.logical_and)
        return Scored(mask, words.score * mask)

    def _combine(self, parts: list[Scored], op: np.ufunc) -> Scored:
        if not parts:
            return Scored(np.zeros(self.size, dtype=bool), np.zeros(self.size))
        mask = parts[0].mask.copy()
        score = parts[0].score.copy()
        for part in parts[1:]:
            op(mask, part.mask, out=mask)
            score += part.score
        return Scored(mask, score)


def ranked(result: Scored, arrays: IndexArrays, needed: int) -> list[tuple[float, int]]:
    """(score, docnum) of the ``needed`` best documents; equal scores in id order."""
    matching = np.flatnonzero(result.mask)
    if len(matching) > needed:
        # Keep every document that ties with the last one kept, then order exactly.
        cutoff = np.partition(-result.score[matching], needed - 1)[needed - 1]
        matching = matching[-result.score[matching] <= cutoff]
    order = np.lexsort((arrays.id_rank[matching], -result.score[matching]))[:needed]
    return [(float(result.score[d]), int(d)) for d in matching[order]]
