"""Each segment's postings, positions and field lengths as numpy arrays in one
file beside it, memory-mapped by every process that searches.

Whoosh stays the index: these arrays are derived from its segments and never
hold anything else. They exist because reading Whoosh's postings costs a pickle
per posting for positions and a Python call per block: at 136,712 documents
80% of a query's time. Here a term's postings are a slice of a mapped array,
found by a binary search over the segment's sorted terms; the operating system
keeps one copy of the pages for every worker of ``serve``.

The file is named after its segment (``MAIN_<id>.arrays``), so Whoosh's own
clean-up removes it with the segment after a merge, and an update hard-links it
into the new generation like the segment's other files. It is written by the
bulk writer from the postings it gathers (:class:`ArraysWriter`), and derived from
the segment itself for segments Whoosh's writer made (:func:`derive`).

Each text field also links its words to their forms in the field's other views
(stems, lemmas): snippets decide every word of every hit they show, and running
the analysis on a word costs hundreds of microseconds where reading its links
costs a few (:func:`view_links`).

Layout: the arrays one after another, each aligned to 8 bytes, then a JSON
footer naming each array's field, kind, dtype, offset and length, then the
footer's length and ``MAGIC``.
"""

from __future__ import annotations

import io
import json
import logging
import mmap
import os
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from whoosh.reading import SegmentReader

from . import whoosh_internals
from .analysis.analyzers import word_chain
from .analysis.filters import WordChain
from .analysis.normalize import normalize
from .schema import LEMMA_SUFFIX, STEM_SUFFIX, TEXT_FIELDS

log = logging.getLogger(__name__)

MAGIC = b"ARABIC-SEARCH-ARRAYS-1\n"
SUFFIX = ".arrays"
# One entry of the position skip table per this many postings: the positions of
# any posting are found by summing at most this many frequencies.
SKIP = 64
# Bytes of each term kept in a fixed-width array, searched by numpy.
HEAD = 16
_FOOTER_SIZE = np.dtype("<u8").itemsize
# The views a text field links its words to, by the suffix of their field's name.
VIEWS = (STEM_SUFFIX, LEMMA_SUFFIX)
# A word's links when its forms in a view are not in the file: ask the analysis.
_UNKNOWN = -1


def path_of(storage_dir: Path, segment_id: str) -> Path:
    return storage_dir / f"{segment_id}{SUFFIX}"


@dataclass
class FieldArrays:
    """One field of one segment. Docnums are the segment's own."""

    terms: np.ndarray  # uint8: the terms' UTF-8 bytes, sorted, one after another
    heads: np.ndarray  # S16: each term's first 16 bytes, for a binary search in C
    term_starts: np.ndarray  # int64, terms + 1: where each term starts in ``terms``
    posting_starts: np.ndarray  # int64, terms + 1: each term's first posting
    docs: np.ndarray  # int32: each posting's document
    freqs: np.ndarray  # int32: each posting's term frequency
    positions: np.ndarray | None  # int32, each posting's positions in posting order
    skips: np.ndarray | None  # int64: positions before posting k * SKIP
    lengths: np.ndarray | None  # uint8: each document's length, in Whoosh's byte code
    # view suffix -> (link_starts, links): each term's forms in that view, as
    # indexes of the view field's terms ([-1]: not known), for a text field
    links: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def term(self, index: int) -> str:
        """The text of the term at ``index`` in sorted order."""
        return bytes(self.terms.data[self.term_starts[index] : self.term_starts[index + 1]]).decode("utf-8")

    def term_of_docs(self, size: int) -> np.ndarray:
        """For a field with one term per document (an id), each document's term index (-1: none)."""
        terms = np.full(size, -1, dtype=np.int32)
        terms[self.docs] = np.repeat(np.arange(len(self.term_starts) - 1, dtype=np.int32), np.diff(self.posting_starts))
        return terms

    def index_of(self, term: str) -> int:
        """The term's place in sorted order, or -1 if the segment lacks it."""
        key = term.encode("utf-8")
        head = key[:HEAD]
        heads, starts, terms = self.heads, self.term_starts, self.terms.data
        found = int(heads.searchsorted(head))
        while found < len(heads) and heads[found] == head:  # terms that begin alike: rarely more than one
            if bytes(terms[starts[found] : starts[found + 1]]) == key:
                return found
            found += 1
        return -1

    def span(self, term: str) -> tuple[int, int]:
        """The range of the term's postings (empty if the segment lacks it)."""
        found = self.index_of(term)
        if found < 0:
            return 0, 0
        return int(self.posting_starts[found]), int(self.posting_starts[found + 1])

    def position_starts(self, postings: np.ndarray) -> np.ndarray:
        """Where the positions of each of these postings start in ``positions``."""
        assert self.skips is not None, "the field records no positions"
        postings = np.asarray(postings, dtype=np.int64)
        first, last = int(postings.min()), int(postings.max())
        if len(postings) > 1 and len(postings) * SKIP > last - first:
            # Many: one running sum over their whole range.
            running = np.concatenate(([0], np.cumsum(self.freqs[first:last], dtype=np.int64)))
            return self._block_starts(np.array([first])) + running[postings - first]
        return self._block_starts(postings)

    def _block_starts(self, postings: np.ndarray) -> np.ndarray:
        assert self.skips is not None
        block = postings // SKIP
        offset = postings - block * SKIP
        # The frequencies before each posting in its block: at most SKIP - 1 of them.
        steps = np.arange(SKIP - 1)
        before = block[:, None] * SKIP + steps
        counted = steps < offset[:, None]
        freqs = self.freqs[np.minimum(before, len(self.freqs) - 1)]
        return self.skips[block] + (freqs * counted).sum(axis=1)

    def range_positions(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """The positions of postings ``start:stop`` (one term's, say), with each
        position's document."""
        assert self.positions is not None, "the field records no positions"
        if start == stop:
            return _EMPTY32, _EMPTY32
        first, last = self.position_starts(np.array([start, stop]))
        return np.repeat(self.docs[start:stop], self.freqs[start:stop]), self.positions[first:last]


_EMPTY32 = np.zeros(0, dtype=np.int32)


class SegmentArrays:
    """The arrays of one segment, mapped from its file."""

    def __init__(self, fields: dict[str, FieldArrays], size: int) -> None:
        self.fields = fields
        self.size = size

    @classmethod
    def load(cls, path: Path) -> SegmentArrays:
        with open(path, "rb") as handle:
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        # A plain array over the mapping: np.memmap's slicing costs microseconds a call.
        return cls.read(np.frombuffer(mapped, dtype=np.uint8), str(path))

    @classmethod
    def read(cls, data: np.ndarray, name: str) -> SegmentArrays:
        """The arrays in ``data`` (a mapped file, or bytes): views, never copies."""
        end = len(data) - len(MAGIC)
        if end < _FOOTER_SIZE or data[end:].tobytes() != MAGIC:
            raise ValueError(f"{name} is not a complete arrays file")
        footer_size = int(data[end - _FOOTER_SIZE : end].view("<u8")[0])
        footer = json.loads(data[end - _FOOTER_SIZE - footer_size : end - _FOOTER_SIZE].tobytes())
        fields: dict[str, dict[str, np.ndarray]] = {}
        for name, kind, dtype, offset, count in footer["arrays"]:
            size = np.dtype(dtype).itemsize * count
            fields.setdefault(name, {})[kind] = data[offset : offset + size].view(dtype)
        return cls({name: _field(arrays) for name, arrays in fields.items()}, footer["documents"])

    def field(self, name: str) -> FieldArrays | None:
        return self.fields.get(name)

    def word_views(self, fieldname: str, word: str) -> tuple[tuple[str, ...], ...] | None:
        """A normalized word's forms in each of ``VIEWS``, as the segment's links
        say; None when the field does not hold the word or has no links for it."""
        exact = self.fields.get(fieldname)
        if exact is None or len(exact.links) != len(VIEWS):
            return None
        index = exact.index_of(word)
        if index < 0:
            return None
        found = []
        for suffix in VIEWS:
            starts, links = exact.links[suffix]
            ranks = links[starts[index] : starts[index + 1]].tolist()
            if ranks == [_UNKNOWN]:
                return None
            view = self.fields[fieldname + suffix]
            found.append(tuple(map(view.term, ranks)))
        return tuple(found)


def _field(arrays: dict[str, np.ndarray]) -> FieldArrays:
    return FieldArrays(
        arrays["terms"],
        arrays["heads"],
        arrays["term_starts"],
        arrays["posting_starts"],
        arrays["docs"],
        arrays["freqs"],
        arrays.get("positions"),
        arrays.get("skips"),
        arrays.get("lengths"),
        {
            suffix: (arrays[f"link_starts{suffix}"], arrays[f"links{suffix}"])
            for suffix in VIEWS
            if f"links{suffix}" in arrays
        },
    )


class ArraysWriter:
    """Writes one segment's arrays, a field at a time, to ``file``."""

    def __init__(self, file: BinaryIO, documents: int) -> None:
        self.documents = documents
        self._file = file
        self._footer: list[list[Any]] = []

    @classmethod
    def create(cls, path: Path, documents: int) -> ArraysWriter:
        """A writer of the file at ``path``, which appears under its name only
        once complete (:meth:`close`)."""
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        writer = cls(open(partial, "wb"), documents)  # noqa: SIM115 - closed by close() or abort()
        writer._paths = (partial, path)
        return writer

    _paths: tuple[Path, Path] | None = None

    def add_field(
        self,
        name: str,
        terms: Sequence[bytes],
        counts: Sequence[int],
        docs: Iterable[int] | np.ndarray,
        freqs: Iterable[int] | np.ndarray,
        positions: Iterable[int] | np.ndarray | None,
        lengths: bytes | np.ndarray | None,
    ) -> None:
        """One field: its terms in byte order, each term's number of postings,
        then every posting's document and frequency (and positions) in term order."""
        blob = b"".join(terms)
        term_starts = np.zeros(len(terms) + 1, dtype=np.int64)
        np.cumsum([len(term) for term in terms], out=term_starts[1:])
        posting_starts = np.zeros(len(terms) + 1, dtype=np.int64)
        np.cumsum(counts, out=posting_starts[1:])
        freq_array = np.asarray(freqs, dtype=np.int32)
        self._write(name, "terms", np.frombuffer(blob, dtype=np.uint8))
        self._write(name, "heads", np.array([term[:HEAD] for term in terms], dtype=f"S{HEAD}"))
        self._write(name, "term_starts", term_starts)
        self._write(name, "posting_starts", posting_starts)
        self._write(name, "docs", np.asarray(docs, dtype=np.int32))
        self._write(name, "freqs", freq_array)
        if positions is not None:
            position_array = np.asarray(positions, dtype=np.int32)
            if int(freq_array.sum()) != len(position_array):
                raise ValueError(f"{name}: the frequencies do not count the positions")
            ends = np.cumsum(freq_array, dtype=np.int64)
            skips = np.concatenate(([0], ends[SKIP - 1 :: SKIP])).astype(np.int64)
            self._write(name, "positions", position_array)
            self._write(name, "skips", skips)
        if lengths is not None:
            self._write(name, "lengths", np.frombuffer(bytes(lengths), dtype=np.uint8))

    def add_links(self, name: str, suffix: str, starts: np.ndarray, links: np.ndarray) -> None:
        """A text field's links to its view ``name + suffix`` (:func:`view_links`)."""
        self._write(name, f"link_starts{suffix}", starts)
        self._write(name, f"links{suffix}", links)

    def _write(self, name: str, kind: str, array: np.ndarray) -> None:
        padding = -self._file.tell() % 8
        self._file.write(bytes(padding))
        array = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
        self._footer.append([name, kind, array.dtype.str, self._file.tell(), len(array)])
        self._file.write(array.tobytes())

    def finish(self) -> None:
        """Write the footer: the arrays are complete."""
        footer = json.dumps({"documents": self.documents, "arrays": self._footer}).encode("utf-8")
        self._file.write(footer + np.array([len(footer)], dtype="<u8").tobytes() + MAGIC)

    def close(self) -> None:
        """Finish the file and give it its name."""
        self.finish()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        if self._paths:
            os.replace(*self._paths)

    def abort(self) -> None:
        self._file.close()
        if self._paths:
            self._paths[0].unlink(missing_ok=True)


Forms = Callable[[str], tuple[str, ...] | None]
"""A normalized word's forms in one view, or None when they are not known."""


def view_links(terms: Sequence[bytes], view_terms: Sequence[bytes], forms: Forms) -> tuple[np.ndarray, np.ndarray]:
    """Each term's forms in a view, as indexes of that view's terms (sorted):
    ``links[starts[i]:starts[i + 1]]`` for term ``i``; ``[-1]`` where ``forms``
    does not know them or a form is not among the view's terms."""
    rank = {term: n for n, term in enumerate(view_terms)}
    starts = array("q", [0])
    links = array("i")
    for term in terms:
        found = forms(term.decode("utf-8"))
        ranks = [None] if found is None else [rank.get(form.encode("utf-8")) for form in found]
        links.extend((_UNKNOWN,) if None in ranks else ranks)  # type: ignore[arg-type]
        starts.append(len(links))
    return np.frombuffer(starts, dtype=np.int64), np.frombuffer(links, dtype=np.int32)


def write_links(writer: ArraysWriter, terms: dict[str, Sequence[bytes]], forms_in: Callable[[str, str], Forms]) -> None:
    """Link each text field's words to their forms in its other views.
    ``terms``: each field's terms, sorted, as written into the file;
    ``forms_in(field, view field)``: what the view makes of a normalized word of the field."""
    for name in TEXT_FIELDS:
        for suffix in VIEWS:
            if name in terms and name + suffix in terms:
                forms = forms_in(name, name + suffix)
                writer.add_links(name, suffix, *view_links(terms[name], terms[name + suffix], forms))


def analysed(chain: WordChain) -> Forms:
    """A view's forms of a normalized word, from its chain: a view's chain
    normalizes a word first, so what it makes of the normalized word is what it
    made of the word as written, as long as normalizing again changes nothing."""
    return lambda word: chain.kept(word) if normalize(word) == word else None


def derive(leaf: SegmentReader, writer: ArraysWriter) -> None:
    """Write the arrays of a segment that Whoosh's writer made, read from the
    segment itself (a pickle per posting: seconds per 10,000 documents, so only
    for what an update writes)."""
    schema = leaf.schema
    written: dict[str, Sequence[bytes]] = {}
    for name in sorted(leaf.indexed_field_names()):
        field = schema[name]
        positional = field.format.supports("positions")
        terms: list[bytes] = []
        counts: list[int] = []
        docs: list[int] = []
        freqs: list[int] = []
        positions: list[int] | None = [] if positional else None
        for term in whoosh_internals.iter_terms(leaf, name):
            ids, weights, found = whoosh_internals.term_postings(leaf, name, term.decode("utf-8"), positional)
            terms.append(term)
            counts.append(len(ids))
            docs.extend(ids)
            if positions is not None:
                freqs.extend(map(len, found))
                for each in found:
                    positions.extend(each)
            else:
                freqs.extend(round(weight) for weight in weights)
        lengths = whoosh_internals.length_codes(leaf, name) if field.scorable else None
        writer.add_field(name, terms, counts, docs, freqs, positions, lengths)
        written[name] = terms
    write_links(writer, written, lambda _, view: analysed(word_chain(schema[view].analyzer)))


def write_missing(storage_dir: Path, leaves: Iterable[SegmentReader]) -> int:
    """Derive the arrays files of the segments that lack one (those Whoosh's
    writer made in an update); returns how many were written."""
    written = 0
    for leaf in leaves:
        if not path_of(storage_dir, leaf.segment().segment_id()).exists():
            write(storage_dir, leaf)
            written += 1
    return written


def write(storage_dir: Path, leaf: SegmentReader) -> None:
    """(Re)write the segment's arrays file from the segment; it replaces the old
    one only once complete."""
    writer = ArraysWriter.create(path_of(storage_dir, leaf.segment().segment_id()), leaf.doc_count_all())
    try:
        derive(leaf, writer)
    except BaseException:
        writer.abort()
        raise
    writer.close()


def derived(leaf: SegmentReader) -> bytes:
    """What the segment's arrays file holds, derived from the segment in memory."""
    buffer = io.BytesIO()
    writer = ArraysWriter(buffer, leaf.doc_count_all())
    derive(leaf, writer)
    writer.finish()
    return buffer.getvalue()


def holds(data: bytes, expected: bytes) -> bool:
    """Whether an arrays file (``data``) holds what its segment says (``expected``,
    :func:`derived`): every array the same, and each word's links the same where
    the file knows them. A file may leave a word unknown that deriving links:
    the bulk writer links the words it read, from its memos."""
    try:
        mine = SegmentArrays.read(np.frombuffer(data, dtype=np.uint8), "file")
    except ValueError:
        return False
    theirs = SegmentArrays.read(np.frombuffer(expected, dtype=np.uint8), "derived")
    if mine.size != theirs.size or mine.fields.keys() != theirs.fields.keys():
        return False
    for name, written in mine.fields.items():
        other = theirs.fields[name]
        for kind in _KINDS:
            a, b = getattr(written, kind), getattr(other, kind)
            if (a is None) != (b is None) or (a is not None and not np.array_equal(a, b)):
                return False
        if written.links.keys() != other.links.keys():
            return False
        for suffix, (starts, links) in written.links.items():
            their_starts, their_links = other.links[suffix]
            if len(starts) != len(their_starts):
                return False
            for term in range(len(starts) - 1):
                known = links[starts[term] : starts[term + 1]]
                if not (len(known) == 1 and known[0] == _UNKNOWN) and not np.array_equal(
                    known, their_links[their_starts[term] : their_starts[term + 1]]
                ):
                    return False
    return True


_KINDS = ("terms", "heads", "term_starts", "posting_starts", "docs", "freqs", "positions", "skips", "lengths")


def open_segment(storage_dir: Path, leaf: SegmentReader) -> SegmentArrays:
    """The segment's arrays, mapped from its file. A segment without one (an
    index that Whoosh alone wrote, or damaged) gets them derived in memory:
    slower to open, the same answers."""
    path = path_of(storage_dir, leaf.segment().segment_id())
    try:
        return SegmentArrays.load(path)
    except FileNotFoundError:
        problem = "is missing"
    except (OSError, ValueError) as error:  # cut short, overwritten
        problem = f"cannot be read ({error})"
    log.warning("%s %s: deriving it in memory (`arabic-search check --repair` writes it again)", path, problem)
    return SegmentArrays.read(np.frombuffer(derived(leaf), dtype=np.uint8), str(path))
