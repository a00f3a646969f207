"""Writing a term's postings to a segment in one call, in Whoosh's W3 format.

Whoosh's postings writer takes one posting per call, checks its types each
time and keeps block statistics posting by posting. The bulk writer has each
term's postings complete and in document order, so here a whole term is cut
into blocks and written at once: the same bytes (Whoosh's block layout: a
pickled, zlib-compressed tuple of delta-coded ids, weights and values, after a
pickled block header), with the statistics computed per block with C loops.
Any Whoosh reads the result; the tests compare it with Whoosh's own writer.
"""

from __future__ import annotations

import zlib
from array import array
from collections.abc import Sequence
from itertools import chain
from operator import sub
from pickle import dumps
from typing import Any

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3FieldWriter, W3TermInfo
from whoosh.system import pack_int, pack_ushort
from whoosh.util.numeric import length_to_byte


class FieldWriter(W3FieldWriter):
    """Whoosh's W3 field writer with :meth:`add_term`."""

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
            data = dumps((tuple(map(sub, ids, chain((0,), ids))), mini_weights, mini_values), 2)
            if level:
                data = zlib.compress(data, level)
            header = dumps(
                (
                    len(ids),
                    ids[-1],
                    max(0, max(weights[first : first + limit])),
                    level,
                    length_to_byte(block_shortest),
                    length_to_byte(block_longest),
                ),
                2,
            )
            size = len(header) + len(data)
            postfile.write(pack_int(-size if first + limit >= count else size) + header + data)
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
