"""A term written in one call is, byte for byte, what Whoosh's writer makes of
the same postings given one by one, once Whoosh compresses and pickles as the
bulk writer does (zlib-ng at the bulk level or at Whoosh's, pickle protocol 3
where Whoosh uses 2, every block compressed); with short blocks left
uncompressed, as the bulk writer leaves them, Whoosh's own matchers read every
posting back. tests/test_bulk.py reads a whole bulk-written index back through
Whoosh's readers."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.codec import whoosh3
from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter
from whoosh.fields import ID, NUMERIC, TEXT, Schema
from whoosh.formats import Positions
from zlib_ng import zlib_ng

from indexer import whoosh_internals
from indexer.whoosh_internals import BULK_COMPRESSION, BULK_PICKLE_PROTOCOL, FieldWriter

POSITIONS = Positions()


def _postings(count: int, step: int, seed: int) -> list[tuple[int, float, bytes, int]]:
    """``count`` postings, with repeated and varied weights, values and lengths."""
    postings = []
    for i in range(count):
        freq = 1 + (i * seed) % 3 if seed else 1
        positions = [(i + k) * 2 for k in range(freq)]
        length = 0 if seed == 2 and i % 5 == 0 else 3 + (i * 7) % 40
        # A boost of 1.1 makes weights that float32 blocks round.
        weight = freq * (1.1 if seed == 1 else 1.0)
        postings.append((i * step, weight, POSITIONS.encode(positions), length))
    return postings


# Sizes around Whoosh's block of 128 postings: one, a few, a full block, one more, several.
TERMS = {
    b"a": _postings(1, 1, 0),
    b"b": _postings(5, 3, 1),
    b"c": _postings(128, 1, 1),
    b"d": _postings(129, 2, 0),
    b"e": _postings(300, 1, 2),
    b"f": _postings(256, 4, 1),
}


def _write(directory: Path, schema: Schema, bulk: bool, level: int) -> dict[str, bytes]:
    directory.mkdir()
    ix = whoosh_index.create_in(str(directory), schema)
    codec = W3Codec(compression=level)
    segment = codec.new_segment(ix.storage, ix.indexname)
    writer = (FieldWriter if bulk else W3FieldWriter)(codec, ix.storage, segment)
    for name in sorted(schema.names()):
        writer.start_field(name, schema[name])
        for term, postings in sorted(TERMS.items()):
            if schema[name].format.fixed_value_size() == 0:
                postings = [(docnum, 1.0, b"", 0) for docnum, _, _, _ in postings]
            if bulk:
                docnums, weights, values, lengths = (list(column) for column in zip(*postings, strict=True))
                writer.add_term(term, docnums, weights, values, lengths)
            else:
                writer.start_term(term)
                for posting in postings:
                    writer.add(*posting)
                writer.finish_term()
        writer.finish_field()
    writer.close()
    ix.close()
    return {path.suffix: path.read_bytes() for path in directory.iterdir() if path.suffix in (".pst", ".trm")}


@pytest.mark.parametrize(
    "schema",
    [
        Schema(text=TEXT(phrase=True)),  # positions, scored lengths
        Schema(id=ID(), text=TEXT(phrase=True), other=TEXT(phrase=True)),  # no values; several fields
        Schema(number=NUMERIC()),
    ],
    ids=["positions", "fields", "numeric"],
)
@pytest.mark.parametrize("level", [BULK_COMPRESSION, 3])
def test_add_term_writes_the_bytes_whoosh_writes(
    tmp_path: Path, schema: Schema, level: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(whoosh_internals, "UNCOMPRESSED_BELOW", 0)  # Whoosh's writer compresses every block
    ours = _write(tmp_path / "bulk", schema, bulk=True, level=level)
    monkeypatch.setattr(whoosh3, "zlib", zlib_ng)  # the compressor the bulk writer uses
    monkeypatch.setattr(whoosh3, "dumps", lambda value, protocol: pickle.dumps(value, BULK_PICKLE_PROTOCOL))
    whoosh = _write(tmp_path / "whoosh", schema, bulk=False, level=level)
    assert set(ours) == {".pst", ".trm"}
    assert ours == whoosh


@pytest.mark.parametrize("level", [BULK_COMPRESSION, 3])
def test_whoosh_reads_back_every_posting_with_short_blocks_uncompressed(tmp_path: Path, level: int) -> None:
    field = TEXT(phrase=True)
    ix = whoosh_index.create_in(str(tmp_path), Schema(text=field))
    codec = W3Codec(compression=level)
    segment = codec.new_segment(ix.storage, ix.indexname)
    writer = FieldWriter(codec, ix.storage, segment)
    writer.start_field("text", field)
    for term, postings in sorted(TERMS.items()):
        docnums, weights, values, lengths = (list(column) for column in zip(*postings, strict=True))
        writer.add_term(term, docnums, weights, values, lengths)
    writer.finish_field()
    writer.close()
    terms = codec.terms_reader(ix.storage, segment)
    levels = set()
    for term, postings in sorted(TERMS.items()):
        matcher = terms.matcher("text", term, field.format)
        found = []
        while matcher.is_active():
            levels.add(matcher._compression)
            found.append((matcher.id(), matcher.weight(), matcher.value()))
            matcher.next()
        expected = [(docnum, pytest.approx(weight, rel=1e-6), value) for docnum, weight, value, _ in postings]
        assert found == expected, term
    terms.close()
    ix.close()
    assert levels == {0, level}  # the one-posting term's block as it is, the others compressed
