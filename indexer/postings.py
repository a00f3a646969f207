"""Writing a term's postings a block at a time through Whoosh's W3 codec.

Whoosh's postings writer takes one posting per call and checks its types each
time; the bulk writer has each term's postings complete and in order, so these
subclasses take them as whole lists and hand Whoosh's own block writer a full
block at a time. The bytes on disk are the ones Whoosh writes.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import Any

from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter, W3PostingsWriter
from whoosh.filedb.filestore import Storage


class _PostingsWriter(W3PostingsWriter):
    def add_all(
        self, docnums: Sequence[int], weights: Sequence[float], values: Sequence[bytes], lengths: Sequence[int]
    ) -> None:
        # The statistics add_posting keeps, computed per block: lengths of 0
        # (unscored fields) count for neither minimum nor maximum.
        limit = self._blocklimit
        for start in range(0, len(docnums), limit):
            if self._ids:
                self._write_block()
            end = start + limit
            self._ids = array("I", docnums[start:end])
            block_weights = weights[start:end]
            self._weights = array("f", block_weights)
            self._maxweight = max(0, max(block_weights))
            self._values = [value for value in values[start:end] if value]
            counted = [length for length in lengths[start:end] if length]
            self._minlength = min(counted) if counted else None
            self._maxlength = max(counted) if counted else 0
        # The last block stays buffered: finish_postings writes it as the last.


class _FieldWriter(W3FieldWriter):
    def add_all(
        self, docnums: Sequence[int], weights: Sequence[float], values: Sequence[bytes], lengths: Sequence[int]
    ) -> None:
        """All the postings of the current term, in document order."""
        self._postwriter.add_all(docnums, weights, values, lengths)


class _WritingCodec(W3Codec):
    """Used for writing only: segments keep Whoosh's own codec, so any Whoosh reads them."""

    def field_writer(self, storage: Storage, segment: Any) -> _FieldWriter:
        return _FieldWriter(self, storage, segment)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> _PostingsWriter:
        return _PostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )


def field_writer(storage: Storage, segment: Any) -> _FieldWriter:
    """A W3 field writer for ``segment`` whose terms take their postings with ``add_all``."""
    return _WritingCodec().field_writer(storage, segment)
