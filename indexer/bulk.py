"""Writing a new index in bulk, several processes each writing their own segments.

Whoosh's writer runs each field's analyzer separately, then pickles, sorts and
re-reads every posting before it writes it. A new index needs none of that:
here each text is split into words once for all of its views and gathered as
word numbers in a flat array; as the segment is written, each distinct word's
forms come from the chain's memo and numpy turns the words into postings, term
by term, in one stable sort (:class:`_Postings`); each term is written in one
call through Whoosh's own codec. The result is the index Whoosh's writer makes
(the tests compare them).

The fewer segments a build writes, the less every query pays: each term is
looked up in each segment. Gathered compactly, a segment holds some 120,000
hadith in the default ``limitmb`` of 1024 MB (16,500 with the lists of Python
objects used before, in 384 MB: 62 segments for a million hadith).
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import queue
import signal
import traceback
from array import array
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import index as whoosh_index
from whoosh.fields import FieldType
from whoosh.filedb.filestore import Storage
from whoosh.formats import Frequency, Positions
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length, length_to_byte

from . import arrays
from .analysis import ArabicTokenizer, split_words
from .analysis.filters import WordChain
from .analysis.normalize import normalize
from .schema import TEXT_FIELDS
from .vocabulary import Vocabulary
from .whoosh_internals import FieldWriter, PerDocWriter, add_field_lengths, bulk_codec

# Documents travel to the worker processes in batches of this many.
BATCH = 100
# How often a waiting worker looks whether its parent is still there, in seconds.
_PARENT_CHECK_S = 1.0
# Memory of one gathered posting of a field other than text (an id, a
# collection), measured: three list slots, a float, a docnum, its value.
_POSTING_BYTES = 150
# Of a text field, per word gathered: its number in each view (4 bytes), and
# its share of what writing the largest view takes beside them (each form of
# each word as a term, a document and a position, sorted).
_WORD_BYTES = 40
# Each distinct word: its entry in the dictionary of numbers, its string, and its
# terms as the segment is written.
_DISTINCT_WORD_BYTES = 200
# Whoosh's byte for each field length (every length from 106,374 on is 255).
_LENGTH_BYTES = np.array([length_to_byte(n) for n in range(byte_to_length(255) + 1)], dtype=np.uint8)


class SegmentBuilder:
    """One new segment: documents in, postings gathered in memory, written on ``finish``."""

    def __init__(self, ix: whoosh_index.Index) -> None:
        self.storage: Storage = ix.storage
        self.schema = ix.schema
        self.codec = bulk_codec()
        self.segment = self.codec.new_segment(self.storage, ix.indexname)
        self.perdoc = PerDocWriter(self.codec, self.storage, self.segment)
        self._chains = {name: chain for name, field in self.schema.items() if (chain := _chain_of(field))}
        # The text fields' postings, compact (:class:`_Postings`); the other fields'
        # (an id, a collection: one posting per document) as Whoosh's values,
        # field -> term -> [docnum, weight, value, docnum, ...], in docnum order.
        self.gathered: dict[str, _Postings] = {}
        self.postings: defaultdict[str, dict[Any, list[Any]]] = defaultdict(dict)
        self.lengths: defaultdict[str, dict[int, int]] = defaultdict(dict)
        # Each distinct word of the segment's texts, as read, by its number.
        self.numbers: dict[str, int] = {}
        # How often each word is written in each text field, as read (for the
        # index's vocabulary, and the links of its words to their other views):
        # counted as the segment is written.
        self.words: dict[str, Counter[str]] = {name: Counter() for name in TEXT_FIELDS}
        self.docnum = 0
        self.posting_count = 0  # of the other fields
        self._single = _SinglePositions()

    def add(self, fields: Mapping[str, object]) -> None:
        """Add one document (the values of :func:`~indexer.schema.document_fields`)."""
        docnum = self.docnum
        split: dict[str, array[int]] = {}
        self.perdoc.start_doc(docnum)
        for name in sorted(fields):
            value = fields[name]
            if value is None:
                continue
            field = self.schema[name]
            length = 0
            if field.indexed:
                length = self._index(name, field, value, split)
            self.perdoc.add_field(name, field, value if field.stored else None, length)
            if field.column_type:
                self.perdoc.add_column_value(name, field.column_type, field.to_column_value(value))
        self.perdoc.finish_doc()
        self.docnum += 1

    def _split(self, split: dict[str, array[int]], text: str) -> array[int]:
        """The numbers of the text's words: split once for all of its views."""
        words = split.get(text)
        if words is None:
            numbers = self.numbers
            words = split[text] = array("i", [numbers.setdefault(word, len(numbers)) for word in split_words(text)])
        return words

    def _index(self, name: str, field: FieldType, value: Any, split: dict[str, array[int]]) -> int:
        if name in self._chains:
            postings = self.gathered.get(name)
            if postings is None:
                postings = self.gathered[name] = _Postings(name, type(field.format) is Positions)
            postings.add(self.docnum, self._split(split, value))
            return 0  # its length is known once its words are analysed, as the segment is written
        terms = self.postings[name]
        docnum = self.docnum
        length = 0
        items = list(field.index(value))
        for term, freq, weight, vbytes in items:
            postings = terms.get(term)
            if postings is None:
                terms[term] = [docnum, weight, vbytes]
            else:
                postings += (docnum, weight, vbytes)
            length += freq
        self.posting_count += len(items)
        if not field.scorable:
            return 0
        self.lengths[name][docnum] = length
        return length

    @property
    def memory(self) -> int:
        """The bytes the segment will take at most, gathered and as it is written."""
        gathered = sum(postings.memory for postings in self.gathered.values())
        return self.posting_count * _POSTING_BYTES + len(self.numbers) * _DISTINCT_WORD_BYTES + gathered

    def finish(self) -> Any:
        """Write the postings and close the segment, then its arrays file;
        returns Whoosh's segment object."""
        surface = list(self.numbers)
        self.numbers = {}
        for name in TEXT_FIELDS:
            if name in self.gathered:
                self.words[name] = self.gathered[name].words_read(surface)
        writer = FieldWriter(self.codec, self.storage, self.segment)
        fields = []
        # The gathered postings are freed as they are written: the segment's
        # memory goes down while its files are written, not after.
        for name in sorted(self.gathered.keys() | self.postings.keys()):
            field = self.schema[name]
            writer.start_field(name, field)
            if name in self.gathered:
                gathered = self._write_text_field(writer, name, field, surface)
            else:
                gathered = self._write_other_field(writer, name, field)
            writer.finish_field()
            fields.append(gathered)
        writer.close()
        self.perdoc.close()
        # Never a compound file: Whoosh copies each file of a compound segment
        # into memory whenever a reader opens it (the whole postings of the
        # segment, in every process that searches); separate files are read in place.
        self.segment.set_doc_count(self.docnum)
        self._write_arrays(fields)
        return self.segment

    def _write_text_field(self, writer: FieldWriter, name: str, field: FieldType, surface: list[str]) -> _Gathered:
        """A text field's postings, brought together term by term, through
        Whoosh's codec, and its lengths."""
        postings, lengths = self.gathered.pop(name).by_term(self.docnum, surface, self._chains[name])
        if field.scorable:
            postings.lengths = _LENGTH_BYTES[np.minimum(lengths, len(_LENGTH_BYTES) - 1)].tobytes()
            add_field_lengths(self.perdoc, name, postings.lengths, int(lengths.sum()))
        else:
            lengths[:] = 0
        boost = field.format.field_boost
        term_starts = np.concatenate(([0], np.cumsum(postings.counts)))
        position_starts = np.concatenate(([0], np.cumsum(postings.freqs, dtype=np.int64)))
        for term, start, stop in zip(postings.terms, term_starts[:-1].tolist(), term_starts[1:].tolist(), strict=True):
            docnums = postings.docs[start:stop].tolist()
            freqs = postings.freqs[start:stop].tolist()
            if postings.positions is None:  # frequencies only, encoded as Whoosh's Frequency format encodes them
                values = list(map(_FREQUENCIES.__getitem__, freqs))
            else:
                found = postings.positions[position_starts[start] : position_starts[stop]].tolist()
                values = _encoded(found, freqs, self._single, field.format.encode)
            weights = [freq * boost for freq in freqs]
            writer.add_term(term, docnums, weights, values, lengths[docnums].tolist())
        return postings

    def _write_other_field(self, writer: FieldWriter, name: str, field: FieldType) -> _Gathered:
        """A field indexed by its own analyzer (an id, a collection), through Whoosh's codec."""
        lengths = self.lengths.pop(name, None)
        terms = self.postings.pop(name)
        keys, counts, docs, freqs = [], [], array("i"), array("i")
        for term in sorted(terms):
            postings = terms.pop(term)
            docnums, weights = postings[0::3], postings[1::3]
            key = term.encode("utf-8") if isinstance(term, str) else term
            keys.append(key)
            counts.append(len(docnums))
            docs.extend(docnums)
            freqs.extend(round(weight) for weight in weights)
            writer.add_term(
                key,
                docnums,
                weights,
                postings[2::3],
                list(map(lengths.__getitem__, docnums)) if lengths else [0] * len(docnums),
            )
        codes = lengths or {}
        length_codes = bytes(length_to_byte(codes.get(d, 0)) for d in range(self.docnum)) if field.scorable else None
        return _Gathered(name, keys, counts, docs, freqs, None, length_codes)

    def _write_arrays(self, fields: list[_Gathered]) -> None:
        path = arrays.path_of(Path(self.storage.folder), self.segment.segment_id())
        writer = arrays.ArraysWriter.create(path, self.docnum)
        try:
            for gathered in fields:
                writer.add_field(
                    gathered.name,
                    gathered.terms,
                    gathered.counts,
                    gathered.docs,
                    gathered.freqs,
                    gathered.positions,
                    gathered.lengths,
                )
            arrays.write_links(writer, {gathered.name: gathered.terms for gathered in fields}, self._forms_in)
        except BaseException:
            writer.abort()
            raise
        writer.close()

    def _forms_in(self, field: str, view: str) -> arrays.Forms:
        """What a view field made of each word of ``field`` in this segment, by
        the word's normalized form: read from the memo its chain filled as it
        indexed them, so no word is analysed again (a word the memo let go is
        left unknown)."""
        memo = self._chains[view].kept_forms()
        return {normalize(word): forms for word in self.words[field] if (forms := memo.get(word)) is not None}.get


@dataclass
class _Gathered:
    """One field's postings laid out for its arrays (:mod:`indexer.arrays`)."""

    name: str
    terms: Sequence[bytes]
    counts: Sequence[int] | np.ndarray
    docs: array[int] | np.ndarray
    freqs: array[int] | np.ndarray
    positions: np.ndarray | None
    lengths: bytes | None


class _Postings:
    """One text field's words as they are gathered: each word's number, in
    document order, and how many words each document has (4 bytes a word).

    As the segment is written, the field's chain gives each distinct word its
    forms once, and numpy turns the words into postings (:meth:`by_term`):
    where Python built a dictionary of positions per document and view, a
    field costs a few passes over flat arrays."""

    def __init__(self, name: str, positional: bool) -> None:
        self.name = name
        self.positional = positional
        self.words = array("i")
        self.counts = array("i")

    def add(self, docnum: int, words: array[int]) -> None:
        """One document's words, by number."""
        self.counts.frombytes(bytes(self.counts.itemsize * (docnum - len(self.counts))))  # documents without it
        self.counts.append(len(words))
        self.words.extend(words)

    @property
    def memory(self) -> int:
        """Bytes gathered, and those writing the field will take beside them."""
        return len(self.words) * _WORD_BYTES

    def words_read(self, surface: list[str]) -> Counter[str]:
        """How often each word (``surface``: the segment's words by number) is written in the field."""
        counts = np.bincount(np.frombuffer(self.words, dtype=np.int32), minlength=len(surface))
        return Counter({surface[number]: int(counts[number]) for number in np.flatnonzero(counts).tolist()})

    def by_term(self, documents: int, surface: list[str], chain: WordChain) -> tuple[_Gathered, np.ndarray]:
        """The postings in term order, each term's in document order, each
        posting's positions ascending, as Whoosh's writer would write them (the
        gathered words are released); and the field's length in each of the
        segment's ``documents``.

        Positions follow ``WordChain.__call__``: a word with no form (a stop
        word) takes none, except that the first word with a form keeps its
        place among all the words; each form of a word is a posting there."""
        words = np.frombuffer(self.words, dtype=np.int32)
        counts = np.zeros(documents, dtype=np.int64)
        counts[: len(self.counts)] = np.frombuffer(self.counts, dtype=np.int32)
        # Each distinct word's forms (the chain's memo: analysed once), as term numbers.
        distinct = np.unique(words)
        kept = chain.kept_forms()
        numbers: dict[str, int] = {}
        forms = [kept[surface[word]] for word in distinct.tolist()]
        form_terms = np.array(
            [numbers.setdefault(text, len(numbers)) for found in forms for text in found], dtype=np.int32
        )
        form_counts = np.zeros(len(surface), dtype=np.int64)
        form_counts[distinct] = [len(found) for found in forms]
        form_starts = np.zeros(len(surface), dtype=np.int64)
        form_starts[distinct] = np.cumsum(form_counts[distinct]) - form_counts[distinct]
        del forms, distinct
        # The words with a form, their documents and positions.
        doc_of = np.repeat(np.arange(documents, dtype=np.int32), counts)
        place = np.arange(len(words), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
        with_form = np.flatnonzero(form_counts[words])
        words, doc_of, place = words[with_form], doc_of[with_form], place[with_form]
        del with_form
        first = _run_starts(doc_of)
        runs = np.diff(np.append(first, len(words)))
        positions = np.repeat(place[first] - first, runs) + np.arange(len(words), dtype=np.int64)
        del place, first, runs
        # Each form of each of those words: a term at the word's document and position.
        many = form_counts[words]
        entry = np.repeat(form_starts[words] - (np.cumsum(many) - many), many) + np.arange(int(many.sum()))
        terms = form_terms[entry]
        docs = np.repeat(doc_of, many)
        positions = np.repeat(positions, many).astype(np.int32)
        del entry, words, doc_of, many, form_terms
        self.words, self.counts = array("i"), array("i")
        lengths = np.bincount(docs, minlength=documents).astype(np.int32)
        # Terms in the order of their UTF-8 bytes; a term's postings stay in document and position order.
        keys = [term.encode("utf-8") for term in numbers]
        order = sorted(range(len(keys)), key=keys.__getitem__)
        rank = np.empty(len(keys), dtype=np.int32)
        rank[order] = np.arange(len(keys), dtype=np.int32)
        terms = rank[terms]
        moved = np.argsort(terms, kind="stable")
        terms, docs, positions = terms[moved], docs[moved], positions[moved]
        del moved
        starts = _run_starts(terms, docs)
        freqs = np.diff(np.append(starts, len(terms))).astype(np.int32)
        term_counts = np.bincount(terms[starts], minlength=len(keys))
        gathered = _Gathered(
            self.name,
            [keys[i] for i in order],
            term_counts,
            docs[starts],
            freqs,
            positions if self.positional else None,
            None,
        )
        return gathered, lengths


def _run_starts(*keys: np.ndarray) -> np.ndarray:
    """Where each run of equal values (of all ``keys`` at once) begins."""
    changed = np.zeros(len(keys[0]), dtype=bool)
    changed[:1] = True
    for key in keys:
        changed[1:] |= key[1:] != key[:-1]
    return np.flatnonzero(changed)


def _encoded(positions: list[int], freqs: list[int], single: dict[int, bytes], encode: Any) -> list[bytes]:
    """Each posting's positions in Whoosh's Positions format (most words occur once in a document)."""
    values = []
    at = 0
    for freq in freqs:
        values.append(single[positions[at]] if freq == 1 else encode(positions[at : at + freq]))
        at += freq
    return values


class _Frequencies(dict[int, bytes]):
    """The encoding of a frequency (in Whoosh's Frequency format)."""

    def __missing__(self, freq: int) -> bytes:
        vbytes = self[freq] = pack_uint(freq)
        return vbytes


_FREQUENCIES = _Frequencies()


class _SinglePositions(dict[int, bytes]):
    """The encoding of one position (in Whoosh's Positions format)."""

    def __missing__(self, pos: int) -> bytes:
        vbytes = self[pos] = Positions().encode([pos])
        return vbytes


def _chain_of(field: FieldType) -> WordChain | None:
    """The field's word chain, when it records positions or frequencies and its
    analyzer is our tokenizer followed by one."""
    items = getattr(getattr(field, "analyzer", None), "items", None)
    if (
        type(field.format) in (Positions, Frequency)
        and items
        and len(items) == 2
        and isinstance(items[0], ArabicTokenizer)
        and isinstance(items[1], WordChain)
    ):
        return items[1]
    return None


class _Segments:
    """Segments written one after another, a new one whenever the memory limit is reached."""

    def __init__(self, ix: whoosh_index.Index, limitmb: int) -> None:
        self.ix = ix
        self.limit = limitmb * 1024 * 1024
        self.builder: SegmentBuilder | None = None
        self.segments: list[Any] = []
        self.words: Counter[str] = Counter()

    def add(self, fields: Mapping[str, object]) -> None:
        if self.builder is None:
            self.builder = SegmentBuilder(self.ix)
        self.builder.add(fields)
        if self.builder.memory > self.limit:
            self._close()

    def _close(self, collect: bool = True) -> None:
        if self.builder is not None:
            self.segments.append(self.builder.finish())
            for words in self.builder.words.values():
                self.words.update(words)
            self.builder = None
            # The worker runs with the cycle collector off; Whoosh's writers
            # hold reference cycles, which would keep every finished builder
            # (not worth a pass after the last: the worker is done).
            if collect:
                gc.collect()

    def finish(self) -> tuple[list[Any], Vocabulary]:
        """The segments written, and the vocabulary of their words (made here, in
        the worker, rather than by the parent once every worker is done)."""
        self._close(collect=False)
        vocabulary = Vocabulary()
        vocabulary.add_words(self.words)
        return self.segments, vocabulary


def _work(index_dir: str, limitmb: int, parent: int, jobs: Any, results: Any) -> None:
    """A worker process: index the batches it takes until it takes ``None``, or
    until its parent is gone (killed, it could not say so: a worker waiting on
    the queue would wait forever)."""
    # The gathered postings are millions of objects that live until the segment
    # is written, and make no reference cycles: the cycle collector would walk
    # them again and again for nothing (measured: 14% of the time to gather).
    gc.disable()
    _end_with(parent)
    try:
        series = _Segments(whoosh_index.open_dir(index_dir), limitmb)
        while True:
            try:
                batch = jobs.get(timeout=_PARENT_CHECK_S)
            except queue.Empty:
                if os.getppid() != parent:
                    return
                continue
            if batch is None:
                break
            for fields in batch:
                series.add(fields)
        results.put((*series.finish(), None))
    except BaseException as error:  # the parent reports it; nothing else would see it
        code = error.errno if isinstance(error, OSError) else None  # a full disk is the parent's to name
        results.put(([], Vocabulary(), (f"{type(error).__name__}: {error}", traceback.format_exc(), code)))


def _end_with(parent: int) -> None:
    """Have Linux kill this process when its parent dies: a worker can be blocked
    anywhere, even reading a batch the parent was killed in the middle of sending,
    where no check of its own would run. (Elsewhere, and should the parent be gone
    already, the check between batches ends it.)"""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:
        os._exit(1)


_PR_SET_PDEATHSIG = 1


class BulkWriter:
    """Adds documents to a new, empty index, in ``procs`` processes, and commits
    all their segments at once."""

    def __init__(self, index_dir: Path, procs: int = 1, limitmb: int = 1024) -> None:
        self.ix = whoosh_index.open_dir(str(index_dir))
        self.batch: list[Mapping[str, object]] = []
        self.local: _Segments | None = None
        self.workers: list[Any] = []
        if procs <= 1:
            self.local = _Segments(self.ix, limitmb)
            return
        # fork: the workers start at once, with the parent's modules loaded and
        # nothing re-imported (spawn would re-run an unguarded main script).
        context = multiprocessing.get_context("fork")
        self.jobs = context.Queue(procs * 4)
        self.results = context.Queue()
        self.workers = [
            context.Process(
                target=_work, args=(str(index_dir), limitmb, os.getpid(), self.jobs, self.results), daemon=True
            )
            for _ in range(procs)
        ]
        for worker in self.workers:
            worker.start()

    def add(self, fields: Mapping[str, object]) -> None:
        if self.local is not None:
            self.local.add(fields)
            return
        self.batch.append(fields)
        if len(self.batch) >= BATCH:
            self._send(self.batch)
            self.batch = []

    def _send(self, item: object) -> None:
        while True:
            try:
                self.jobs.put(item, timeout=1)
                return
            except queue.Full:
                pass
            if any(worker.exitcode is not None for worker in self.workers):
                self._result()  # a worker stopped before it was told to: it says why
                raise RuntimeError("an indexing process stopped early")

    def _result(self) -> tuple[list[Any], Vocabulary]:
        """The next report of a worker: its segments and vocabulary, or its failure."""
        while True:
            try:
                done, vocabulary, error = self.results.get(timeout=1)
                break
            except queue.Empty:
                for worker in self.workers:
                    if worker.exitcode not in (None, 0):
                        raise RuntimeError(f"an indexing process died (exit code {worker.exitcode})") from None
        if error:
            message, trace, code = error
            failure: Exception = (
                OSError(code, os.strerror(code)) if code else RuntimeError(f"an indexing process failed: {message}")
            )
            failure.add_note(trace)
            raise failure
        return done, vocabulary

    def commit(self) -> Vocabulary:
        """Write the table of contents that makes the segments the index; returns
        the vocabulary of the words written."""
        if self.local is not None:
            segments, vocabulary = self.local.finish()
        else:
            segments, vocabulary = self._gather()
        generation = self.ix.latest_generation() + 1
        whoosh_index.TOC(self.ix.schema, segments, generation).write(self.ix.storage, self.ix.indexname)
        whoosh_index.clean_files(self.ix.storage, self.ix.indexname, generation, segments)
        # The per-document writers' scratch folder (Whoosh's own writer removes it as it commits).
        self.ix.storage.temp_storage(f"{self.ix.indexname}.tmp").destroy()
        self.ix.close()
        return vocabulary

    def _gather(self) -> tuple[list[Any], Vocabulary]:
        if self.batch:
            self._send(self.batch)
        for _ in self.workers:
            self._send(None)
        segments: list[Any] = []
        vocabulary = Vocabulary()
        for _ in self.workers:
            done, theirs = self._result()
            segments += done
            vocabulary.merge(theirs)
        for worker in self.workers:
            worker.join()
        self._close_queues()
        return segments, vocabulary

    def cancel(self) -> None:
        """Stop the workers; the caller removes the half-written index."""
        for worker in self.workers:
            worker.kill()
            worker.join()
        if self.workers:
            # Batches no worker will read must not hold the process at exit.
            self.jobs.cancel_join_thread()
            self._close_queues()
        self.ix.close()

    def _close_queues(self) -> None:
        self.jobs.close()
        self.results.close()
