"""The arrays that searching reads (indexer/arrays.py) hold what the Whoosh
segments hold: compared with Whoosh's public matcher on an index of several
segments, some written by the bulk writer and some by an update, with deleted
documents; and the bulk writer's files equal the ones derived from its segments."""

from __future__ import annotations

import random

import numpy as np
import pytest
from whoosh.util.numeric import byte_to_length

from conftest import write_jsonl
from indexer import Settings, arrays, build_index, update_index
from indexer.storage import current_generation, open_generation
from search.scored import Scored
from search.vectors import IndexArrays, ranked

# The last five begin with the same 16 bytes, in the exact view (the Arabic) and
# in both views (the Latin, which is not stemmed): the term lookup must tell them apart.
WORDS = (
    "قال رسول الله صلى عليه وسلم الصلاة الزكاة الصيام الحج الجهاد العلم"
    " والاستراتيجيات والاستراتيجية والاستراتيجي counterrevolutionary counterrevolutionaries"
).split()


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    root = tmp_path_factory.mktemp("arrays")
    rng = random.Random(3)
    docs = [
        {
            "id": f"d{n:04}",
            "title": " ".join(rng.choices(WORDS, k=3)),
            "text": " ".join(rng.choices(WORDS, k=rng.randint(3, 60))),
        }
        for n in range(900)
    ]
    source = write_jsonl(root / "src" / "docs.jsonl", docs)
    build_index([source], root / "index", settings=Settings.load(procs=2, limitmb=16))
    # Change and drop documents: deletions in the old segments, a new segment.
    write_jsonl(source, [d if n % 7 else {**d, "text": "الله " + d["text"]} for n, d in enumerate(docs) if n % 11])
    update_index([source.parent], root / "index", prune=True)
    return root / "index"


@pytest.fixture(scope="module")
def reader(index):
    ix, _, _ = open_generation(index)
    with ix.searcher() as searcher:
        assert len(searcher.reader().leaf_readers()) > 2 and searcher.reader().has_deletions()
        yield searcher.reader()
    ix.close()


def whoosh_postings(reader, fieldname: str, text: str) -> tuple[list[int], list[float], list[int]]:
    """Live docnums, frequencies and docnum * 2**32 + position, through Whoosh's public matcher."""
    docs, freqs, keys = [], [], []
    if (fieldname, text) not in reader:
        return docs, freqs, keys
    matcher = reader.postings(fieldname, text)
    positional = reader.schema[fieldname].format.supports("positions")
    while matcher.is_active():
        docs.append(matcher.id())
        freqs.append(matcher.weight())
        if positional:
            keys.extend((matcher.id() << 32) + p for p in matcher.value_as("positions"))
        matcher.next()
    return docs, freqs, keys


def test_every_segment_has_its_arrays_file_and_no_other_is_left(index, reader):
    generation = current_generation(index)
    segments = {leaf.segment().segment_id() for leaf, _ in reader.leaf_readers()}
    assert {path.stem for path in generation.glob("*.arrays")} == segments
    assert not list(generation.glob("*.partial"))


@pytest.mark.parametrize("fieldname", ["text", "text_stem", "title", "title_stem", "id"])
def test_postings_and_positions_equal_whooshs(index, reader, fieldname):
    mapped = IndexArrays(reader, current_generation(index))
    terms = [term.decode("utf-8") for term in reader.lexicon(fieldname)]
    assert terms
    heads = [term.encode("utf-8")[: arrays.HEAD] for term in terms]
    assert fieldname not in ("text", "text_stem") or len(set(heads)) < len(heads)
    for text in terms + ["لا يوجد", "والاستراتيج", "والاستراتيجيا"]:
        docs, freqs, keys = whoosh_postings(reader, fieldname, text)
        ids, frequencies = mapped.postings(fieldname, text)
        live = mapped.live[ids]
        assert ids[live].tolist() == docs and frequencies[live].tolist() == freqs, text
        if reader.schema[fieldname].format.supports("positions"):
            every = mapped.positions(fieldname, text)
            assert every[mapped.live[every >> 32]].tolist() == keys, text


@pytest.mark.parametrize("text", ["الله", "رسول", "العلم", "علم"])
@pytest.mark.parametrize("share", [0.0, 0.01, 0.2, 1.0])
def test_positions_in_chosen_documents_equal_whooshs(index, reader, text, share):
    fieldname = "text" if text != "علم" else "text_stem"
    mapped = IndexArrays(reader, current_generation(index))
    live = np.flatnonzero(mapped.live)
    chosen = np.array(sorted(random.Random(share).sample(live.tolist(), round(len(live) * share))), dtype=np.int64)
    _, _, keys = whoosh_postings(reader, fieldname, text)
    got = mapped.positions_in(fieldname, text, chosen)
    assert got.tolist() == [key for key in keys if np.isin(key >> 32, chosen)]


def test_lengths_equal_whooshs(index, reader):
    mapped = IndexArrays(reader, current_generation(index))
    for fieldname in ("text", "title_stem"):
        codes, average = mapped.lengths(fieldname)
        # Whoosh reads a length of 0 as None or 0, depending on the segment.
        lengths = [reader.doc_field_length(d, fieldname) or 0 for d in range(reader.doc_count_all())]
        assert [byte_to_length(int(c)) for c in codes] == lengths
        live = [length for d, length in enumerate(lengths) if mapped.live[d]]
        assert average == pytest.approx(sum(live) / len(live))


def test_bulk_written_arrays_equal_the_ones_derived_from_the_segment(index, reader, tmp_path):
    generation = current_generation(index)
    for leaf, _ in reader.leaf_readers():
        written = arrays.SegmentArrays.load(arrays.path_of(generation, leaf.segment().segment_id()))
        derived_path = tmp_path / "derived.arrays"
        writer = arrays.ArraysWriter.create(derived_path, leaf.doc_count_all())
        arrays.derive(leaf, writer)
        writer.close()
        derived = arrays.SegmentArrays.load(derived_path)
        assert written.size == derived.size == leaf.doc_count_all()
        assert sorted(written.fields) == sorted(derived.fields)
        for name, field in written.fields.items():
            other = derived.fields[name]
            for kind in (
                "terms",
                "heads",
                "term_starts",
                "posting_starts",
                "docs",
                "freqs",
                "positions",
                "skips",
                "lengths",
            ):
                mine, theirs = getattr(field, kind), getattr(other, kind)
                assert (mine is None) == (theirs is None), (name, kind)
                if mine is not None:
                    assert np.array_equal(mine, theirs), (name, kind)


def test_a_segment_without_its_file_is_derived_in_memory_with_the_same_answers(index, reader, tmp_path):
    generation = current_generation(index)
    mapped = IndexArrays(reader, generation)
    bare = IndexArrays(reader, tmp_path)  # no arrays files there
    for text in ("الله", "رسول", "العلم"):
        assert [a.tolist() for a in bare.postings("text", text)] == [a.tolist() for a in mapped.postings("text", text)]
        assert bare.positions("text", text).tolist() == mapped.positions("text", text).tolist()


@pytest.mark.parametrize("needed", [1, 10, 100, 2000])
@pytest.mark.parametrize("distinct", [1, 3, 1000])
def test_ranking_orders_ties_by_id_like_a_plain_sort(index, reader, needed, distinct):
    """Scores with few distinct values (every document ties when there is one):
    the best ``needed`` are the plain sort by score, then id."""
    mapped = IndexArrays(reader, current_generation(index))
    rng = np.random.default_rng(distinct)
    docs = np.flatnonzero(mapped.live)
    docs = np.sort(rng.choice(docs, size=len(docs) * 2 // 3, replace=False))
    scores = rng.integers(0, distinct, size=len(docs)).astype(np.float64)
    ids = {docnum: fields["id"] for docnum, fields in reader.iter_docs()}
    expected = sorted(zip(docs.tolist(), scores.tolist(), strict=True), key=lambda d: (-d[1], ids[d[0]]))[:needed]
    got = ranked(Scored(mapped.size, docs, scores), mapped, needed)
    assert [(docnum, score) for score, docnum in got] == expected
