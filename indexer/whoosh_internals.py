"""Every use of Whoosh's private format, in one module: writing a term's
postings in one call and the stored documents with a faster compressor,
reading a segment's postings, positions and field lengths a block at a time.
Whoosh's public API goes one posting at a time, through a pickle per posting
for positions: too slow for a bulk writer and for deriving the search arrays
(:mod:`indexer.arrays`).

These details are not Whoosh's promise to anyone: a whoosh-reloaded release
turned a method into a property and broke every search after an update. So
this module refuses to load with a Whoosh it was not tested with
(``TESTED_VERSIONS``); the tests compare what it writes and reads with Whoosh's
own writer and matchers.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from itertools import chain
from operator import sub
from pickle import dumps, loads
from typing import Any, BinaryIO

import whoosh
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    STORED_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3FieldWriter,
    W3PerDocWriter,
    W3TermInfo,
    _lenfield,
)
from whoosh.columns import CompressedBytesColumn, PickleColumn
from whoosh.filedb.structfile import StructFile
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import SegmentReader, TermNotFound
from whoosh.system import pack_int, pack_ushort
from whoosh.util.numeric import length_to_byte
from zlib_ng import zlib_ng

# The Whoosh releases whose private format this module was tested with.
TESTED_VERSIONS = ("2.7.5",)
if whoosh.versionstring() not in TESTED_VERSIONS:
    raise ImportError(
        f"arabic-search reads Whoosh's private index format and was tested with whoosh-reloaded "
        f"{', '.join(TESTED_VERSIONS)}, not {whoosh.versionstring()}: install a tested version "
        f"(pip install 'whoosh-reloaded=={TESTED_VERSIONS[-1]}')"
    )


# The bulk writer compresses postings blocks at zlib level 1 with zlib-ng
# (measured on the hadith's blocks: 3.8 times faster than zlib at Whoosh's
# level 3, for postings 18% larger); they are plain zlib streams, which
# Whoosh's reader decompresses with the standard zlib.
BULK_COMPRESSION = 1
# And pickles them with protocol 3, where Whoosh's writer uses 2: protocol 2
# has no bytes type, and pickles each posting's positions as a call to
# _codecs.encode of a latin-1 string (1.3 us and 73 bytes for a block of one
# posting, 36 us and 5 KB for a full block; 0.24 us and 32 bytes, 4 us and
# 2.8 KB with protocol 3). Whoosh's reader unpickles any protocol.
BULK_PICKLE_PROTOCOL = 3
# A block whose pickle is shorter than this is written as it is, level 0 in its
# header (Whoosh's reader reads each block's level there; its writer means to
# skip blocks under 20 bytes, but a slip compresses them all). Deflate makes
# the 32-byte block of a term with one posting, as most terms are, 40 bytes
# long, at 2.6 us a block; it starts to pay at about 64 bytes (3 postings).
UNCOMPRESSED_BELOW = 64


def bulk_codec() -> W3Codec:
    """Whoosh's codec as the bulk writer uses it."""
    return W3Codec(compression=BULK_COMPRESSION)


class _StoredDocuments(CompressedBytesColumn):
    """Whoosh's column of stored documents, each compressed by zlib-ng at
    level 1, as the postings are: on the hadith's 34,178 documents (45 MB of
    pickles) zlib at Whoosh's level 3 took 2.5 s of CPU, zlib-ng at level 3
    0.8 s and at level 1 0.23 s, for 21, 21 and 28 MB. Plain zlib streams,
    which Whoosh's reader decompresses with the standard zlib."""

    def __init__(self) -> None:
        super().__init__(level=BULK_COMPRESSION)

    def writer(self, dbfile: StructFile) -> Any:
        writer = super().writer(dbfile)
        writer._compress = zlib_ng.compress
        return writer


class PerDocWriter(W3PerDocWriter):
    """Whoosh's W3 per-document writer, stored documents compressed by zlib-ng."""

    def _create_column(self, fieldname: str, column: Any) -> None:
        if column is STORED_COLUMN:
            column = PickleColumn(_StoredDocuments())
        super()._create_column(fieldname, column)


class _CountedWrites:
    """A new file that counts what is written to it, so that ``tell`` is no
    system call: Whoosh's term index asks it twice a term (a buffered file's
    ``tell`` asks the kernel; 4% of a build). The field writer's files are only
    ever appended to."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file
        self._end = file.tell()

    def write(self, data: bytes) -> int:
        written = self._file.write(data)
        self._end += written
        return written

    def tell(self) -> int:
        return self._end

    def flush(self) -> None:
        self._file.flush()

    def fileno(self) -> int:
        return self._file.fileno()

    def close(self) -> None:
        self._file.close()


class FieldWriter(W3FieldWriter):
    """Whoosh's W3 field writer with :meth:`add_term`."""

    def _create_file(self, ext: str) -> StructFile:
        created = super()._create_file(ext)
        created.file = _CountedWrites(created.file)
        return created

    def add_term(
        self,
        term: bytes,
        docnums: Sequence[int],
        weights: Sequence[float],
        values: Sequence[bytes],
        lengths: Sequence[int],
    ) -> None:
        """Write all the postings of ``term`` (in document order) and its entry
        in the term index. ``lengths`` are the documents' field lengths (0 in
        unscored fields)."""
        postfile = self._postfile
        limit = self._codec._blocklimit
        level = self._codec._compression
        fixed_size = self._format.fixed_value_size()
        offset = postfile.tell()
        postfile.write(WHOOSH3_HEADER_MAGIC)
        count = len(docnums)
        total_weight = 0.0
        # Over the whole term, from the blocks' own figures.
        shortest: int | None = None
        longest = 0
        for first in range(0, count, limit):
            ids = docnums[first : first + limit]
            block_weights = array("f", weights[first : first + limit])
            total_weight += sum(block_weights)
            block_values = [value for value in values[first : first + limit] if value]
            counted = [length for length in lengths[first : first + limit] if length]
            block_shortest = min(counted) if counted else None
            block_longest = max(counted) if counted else 0
            if block_shortest is not None and (shortest is None or block_shortest < shortest):
                shortest = block_shortest
            longest = max(longest, block_longest)
            if block_weights.count(1.0) == len(ids):
                mini_weights: Any = None
            elif block_weights.count(block_weights[0]) == len(ids):
                mini_weights = block_weights[0]
            else:
                mini_weights = tuple(block_weights)
            if fixed_size is None or fixed_size < 0:
                mini_values: Any = tuple(block_values)
            else:
                mini_values = b"".join(block_values) if fixed_size else None
            data = dumps((tuple(map(sub, ids, chain((0,), ids))), mini_weights, mini_values), BULK_PICKLE_PROTOCOL)
            block_level = level if len(data) >= UNCOMPRESSED_BELOW else 0
            if block_level:
                data = zlib_ng.compress(data, block_level)
            header = dumps(
                (
                    len(ids),
                    ids[-1],
                    max(0, max(weights[first : first + limit])),
                    block_level,
                    length_to_byte(block_shortest),
                    length_to_byte(block_longest),
                ),
                BULK_PICKLE_PROTOCOL,
            )
            size = len(header) + len(data)
            block = pack_int(-size if first + limit >= count else size) + header + data
            postfile.write(block)
        info = W3TermInfo(
            weight=total_weight,
            df=count,
            minlength=shortest,
            maxlength=longest,
            maxweight=max(0, max(weights)),
            minid=docnums[0],
            maxid=docnums[-1],
        )
        info.set_extent(offset, postfile.tell() - offset)
        self._tindex.add(pack_ushort(self._fieldid) + term, info.to_bytes())


def add_field_lengths(perdoc: W3PerDocWriter, fieldname: str, codes: bytes, total: int) -> None:
    """Write a field's length column (``codes``: each document's length as
    Whoosh's byte, 0 for none) and add ``total`` to the segment's field length,
    once every document is in, where ``add_field`` would take them a document
    at a time. Call before ``perdoc.close``."""
    column = _lenfield(fieldname)
    if not perdoc._has_column(column):
        perdoc._create_column(column, LENGTHS_COLUMN)
    writer = perdoc._get_column(column)
    for docnum, code in enumerate(codes):
        if code:
            writer.add(docnum, code)
    perdoc._fieldlengths[fieldname] += total


def term_postings(
    leaf: SegmentReader, fieldname: str, term: bytes, positions: bool
) -> tuple[list[int], list[float], list[list[int]]]:
    """All postings of one term in one segment, deleted documents included:
    segment docnums, weights and (with ``positions``) each posting's positions."""
    try:
        matcher = leaf.postings(fieldname, term)
    except TermNotFound:
        return [], [], []
    if isinstance(matcher, FilterMatcher):  # Whoosh's filter of deleted documents
        matcher = matcher.child
    ids: list[int] = []
    weights: list[float] = []
    found: list[list[int]] = []
    while True:
        matcher._read_ids()
        ids.extend(matcher._ids)
        if positions:
            matcher._read_values()
            found.extend(map(_decode_positions, matcher._values))
        matcher._read_weights()
        weights.extend(matcher._weights)
        if matcher._lastblock:
            break
        matcher._next_block()
    return ids, weights, found


def _decode_positions(value: bytes) -> list[int]:
    """Whoosh's Positions encoding: a count, then the pickled gaps (without the
    pickle's stop byte)."""
    position = 0
    decoded = []
    for gap in loads(value[4:] + b"."):
        position += gap
        decoded.append(position)
    return decoded


def length_codes(leaf: SegmentReader, fieldname: str) -> bytes:
    """The segment's field lengths as Whoosh stores them, one byte per document
    (``whoosh.util.numeric.byte_to_length`` turns a byte back into a length)."""
    column = leaf._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        return bytes(leaf.doc_count_all())
    return bytes(column)


def iter_terms(leaf: SegmentReader, fieldname: str) -> Iterator[bytes]:
    """The segment's terms of one field, in byte order."""
    return iter(leaf.lexicon(fieldname))
