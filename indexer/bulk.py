"""Writing a new index in bulk, several processes each writing their own segments.

Whoosh's writer runs each field's analyzer separately, then pickles, sorts and
re-reads every posting before it writes it. A new index needs none of that:
here each text is split into words once for both of its views, each distinct
word's forms come from the chain's memo, documents arrive in order, so each
term's postings are already sorted when they are gathered in memory, and the
segment is written term by term through Whoosh's own codec. The result is the
index Whoosh's writer makes (the tests compare them).
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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.codec import default_codec
from whoosh.fields import FieldType
from whoosh.filedb.filestore import Storage
from whoosh.formats import Frequency, Positions
from whoosh.system import pack_uint
from whoosh.util.numeric import length_to_byte

from . import arrays
from .analysis import ArabicTokenizer, split_words
from .analysis.filters import WordChain
from .analysis.normalize import normalize
from .schema import TEXT_FIELDS
from .vocabulary import Vocabulary
from .whoosh_internals import FieldWriter

# Documents travel to the worker processes in batches of this many.
BATCH = 100
# How often a waiting worker looks whether its parent is still there, in seconds.
_PARENT_CHECK_S = 1.0
# Memory of one gathered posting, measured (peak RSS of one process over 10,000
# and 20,000 hadith: 145 bytes per posting more, the writing of the segment
# included): three list slots, a float, a docnum, its positions.
_POSTING_BYTES = 150


class SegmentBuilder:
    """One new segment: documents in, postings gathered in memory, written on ``finish``."""

    def __init__(self, ix: whoosh_index.Index) -> None:
        self.storage: Storage = ix.storage
        self.schema = ix.schema
        self.codec = default_codec()
        self.segment = self.codec.new_segment(self.storage, ix.indexname)
        self.perdoc = self.codec.per_document_writer(self.storage, self.segment)
        # field -> term -> [docnum, weight, encoded positions, docnum, ...], in docnum order
        self.postings: defaultdict[str, dict[Any, list[Any]]] = defaultdict(dict)
        self.lengths: defaultdict[str, dict[int, int]] = defaultdict(dict)
        # How often each word is written in each text field, as read (for the
        # index's vocabulary, and the links of its words to their other views).
        self.words: dict[str, Counter[str]] = {name: Counter() for name in TEXT_FIELDS}
        self.docnum = 0
        self.posting_count = 0
        self._single = _SinglePositions()
        self._chains = {name: chain for name, field in self.schema.items() if (chain := _chain_of(field))}

    def add(self, fields: Mapping[str, object]) -> None:
        """Add one document (the values of :func:`~indexer.schema.document_fields`)."""
        docnum = self.docnum
        split: dict[str, list[str]] = {}
        for name in TEXT_FIELDS:
            if name in fields:
                self.words[name].update(self._split(split, fields[name]))  # type: ignore[arg-type]
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

    def _split(self, split: dict[str, list[str]], text: str) -> list[str]:
        words = split.get(text)
        if words is None:
            words = split[text] = split_words(text)
        return words

    def _index(self, name: str, field: FieldType, value: Any, split: dict[str, list[str]]) -> int:
        terms = self.postings[name]
        docnum = self.docnum
        chain = self._chains.get(name)
        length = 0
        if chain is None:
            items = list(field.index(value))
        else:
            boost = field.format.field_boost
            found = chain.positions(self._split(split, value)).items()
            if type(field.format) is Positions:
                # The positions themselves, encoded for Whoosh as the segment is
                # written: the arrays file wants them too. Most words occur once in
                # a document: a bare int then.
                items = [
                    (text, len(pos), len(pos) * boost, pos[0] if len(pos) == 1 else tuple(pos)) for text, pos in found
                ]
            else:  # frequencies only, encoded as Whoosh's Frequency format encodes them
                items = [(text, len(pos), len(pos) * boost, _FREQUENCIES[len(pos)]) for text, pos in found]
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
        """A rough estimate of the bytes gathered so far."""
        return self.posting_count * _POSTING_BYTES

    def finish(self) -> Any:
        """Write the postings and close the segment, then its arrays file;
        returns Whoosh's segment object."""
        self.perdoc.close()
        writer = FieldWriter(self.codec, self.storage, self.segment)
        fields = []
        # The gathered postings are freed as they are written: the segment's
        # memory goes down while its files are written, not after.
        for name in sorted(self.postings):
            field = self.schema[name]
            lengths = self.lengths.pop(name, None)
            writer.start_field(name, field)
            terms = self.postings.pop(name)
            positional = name in self._chains and type(field.format) is Positions
            # Whoosh's Frequency format has no encode(): its values were encoded as gathered.
            encode, single = (field.format.encode if positional else None), self._single
            gathered = _Gathered(name, positional)
            for term in sorted(terms):
                postings = terms.pop(term)
                docnums = postings[0::3]
                values = postings[2::3]
                key = term.encode("utf-8") if isinstance(term, str) else term
                gathered.add(key, docnums, postings[1::3], values)
                if encode is not None:
                    values = [single[v] if type(v) is int else encode(v) for v in values]
                writer.add_term(
                    key,
                    docnums,
                    postings[1::3],
                    values,
                    list(map(lengths.__getitem__, docnums)) if lengths else [0] * len(docnums),
                )
            writer.finish_field()
            if field.scorable:
                codes = lengths or {}
                gathered.lengths = bytes(length_to_byte(codes.get(d, 0)) for d in range(self.docnum))
            fields.append(gathered)
        writer.close()
        # Never a compound file: Whoosh copies each file of a compound segment
        # into memory whenever a reader opens it (the whole postings of the
        # segment, in every process that searches); separate files are read in place.
        self.segment.set_doc_count(self.docnum)
        self._write_arrays(fields)
        return self.segment

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


class _Gathered:
    """One field's postings laid out for its arrays (:mod:`indexer.arrays`)."""

    def __init__(self, name: str, positional: bool) -> None:
        self.name = name
        self.terms: list[bytes] = []
        self.counts: list[int] = []
        self.docs = array("i")
        self.freqs = array("i")
        self.positions: array[int] | None = array("i") if positional else None
        self.lengths: bytes | None = None

    def add(self, term: bytes, docnums: list[int], weights: list[float], values: list[Any]) -> None:
        self.terms.append(term)
        self.counts.append(len(docnums))
        self.docs.extend(docnums)
        positions = self.positions
        if positions is None:
            self.freqs.extend(round(weight) for weight in weights)
            return
        for value in values:
            if type(value) is int:
                positions.append(value)
                self.freqs.append(1)
            else:
                positions.extend(value)
                self.freqs.append(len(value))


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

    def _close(self) -> None:
        if self.builder is not None:
            self.segments.append(self.builder.finish())
            for words in self.builder.words.values():
                self.words.update(words)
            self.builder = None
            # The worker runs with the cycle collector off; Whoosh's writers
            # hold reference cycles, which would keep every finished builder.
            gc.collect()

    def finish(self) -> tuple[list[Any], Vocabulary]:
        """The segments written, and the vocabulary of their words (made here, in
        the worker, rather than by the parent once every worker is done)."""
        self._close()
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

    def __init__(self, index_dir: Path, procs: int = 1, limitmb: int = 384) -> None:
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
