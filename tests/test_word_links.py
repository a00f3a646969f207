"""The links of an index's words to their stems and lemmas (indexer/arrays.py),
which snippets read instead of running the analysis, say what the analysis says:
for every word of a diacritized corpus with Uthmani spellings, stop words,
digits and Latin, in segments written by the bulk writer and by an update."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from conftest import ROOT, write_jsonl
from indexer import Settings, arrays, build_index, update_index
from indexer.analysis.normalize import normalize
from indexer.analysis.tokenizer import iter_words
from indexer.check import check
from indexer.storage import current_generation, open_generation
from search.suggest import Chains
from search.vectors import IndexArrays

# Words only the update brings, so that they are known from a segment Whoosh's
# writer made (its links derived from the segment): Uthmani spellings with a
# superscript alef (two exact forms, one stem view), a lone tatweel and a lone
# mark (no form at all), digits, Latin, stop words, a tatweel inside a word.
UPDATE_WORDS = (
    "ٱلْحَمْدُ لِلَّهِ رَبِّ ٱلْعَٰلَمِينَ ٱلرَّحْمَٰنِ ٱلرَّحِيمِ مُوسَىٰ ٱلصَّلَوٰةَ ٱلزَّكَوٰةَ ـ َ"
    " ٢٠٢٣ 1999 JSCD Counter-Revolution فيها عليهم والذين العـــراق مسؤولون مسئولون شيء شئ"
)

BUILD_WORDS = "إِيَّاكَ نَعْبُدُ ٱلصِّرَٰطَ ٱلْمُسْتَقِيمَ صِرَٰطَ ٱلَّذِينَ أَنْعَمْتَ عَلَيْهِمْ ٱلْكِتَٰبُ ـــ"


def _sample(count: int) -> list[dict]:
    with (ROOT / "indexer" / "sample" / "hadith.jsonl").open(encoding="utf-8") as lines:
        return [json.loads(line) for line, _ in zip(lines, range(count), strict=False)]


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    root = tmp_path_factory.mktemp("links")
    docs = _sample(600)
    for n in range(0, 600, 40):  # Uthmani spellings in segments of the bulk writer too
        docs[n] = {**docs[n], "text": BUILD_WORDS + " " + docs[n]["text"]}
    source = write_jsonl(root / "src" / "docs.jsonl", docs)
    build_index([source], root / "index", settings=Settings.load(procs=2, limitmb=16))
    rng = random.Random(7)
    extra = UPDATE_WORDS.split()
    changed = [
        {**d, "text": " ".join(rng.sample(extra, 8)) + " " + d["text"][:200]} if n % 9 == 0 else d
        for n, d in enumerate(docs)
        if n % 13
    ]
    write_jsonl(source, changed)
    update_index([source.parent], root / "index", prune=True)
    return root / "index", changed


@pytest.fixture(scope="module")
def opened(index):
    ix, _, _ = open_generation(index[0])
    with ix.searcher() as searcher:
        reader = searcher.reader()
        assert len(reader.leaf_readers()) > 2 and reader.has_deletions()
        yield reader, IndexArrays(reader, current_generation(index[0]))
    ix.close()


def _words(docs: list[dict]) -> list[str]:
    return list(dict.fromkeys(m.group() for d in docs for field in ("title", "text") for m in iter_words(d[field])))


def test_every_word_of_the_index_has_the_stems_and_lemmas_the_analysis_gives(index, opened):
    reader, mapped = opened
    plain = Chains.of(reader.schema)
    words = _words(index[1])
    known = 0
    for word in words:
        linked = mapped.word_views(normalize(word))
        if linked is not None:
            known += 1
            assert linked == (plain.stem.kept(word), plain.lemma.kept(word)), word
    # Only a word with a superscript alef is read by the analysis (its second spelling is no word of the text).
    assert known >= 0.99 * len(words)
    for word in (m.group() for m in iter_words(UPDATE_WORDS)):
        if normalize(word) and "\u0670" not in word:
            assert mapped.word_views(normalize(word)) is not None, word


def test_the_chains_of_an_open_index_give_what_the_analysis_gives(index, opened):
    reader, mapped = opened
    plain, linked = Chains.of(reader.schema), Chains.of(reader.schema, mapped.word_views)
    for word in _words(index[1]) + ["كتاب", "غيرموجودة", "xyz"]:  # and words the index lacks
        assert linked.views(word) == plain.views(word), word


def test_an_index_without_links_is_read_by_the_analysis(index, opened, tmp_path):
    reader, _ = opened
    bare = IndexArrays(reader, tmp_path)  # no arrays files: derived in memory, links too
    word = normalize("الْمُسْلِمُونَ")
    assert bare.word_views(word) is not None
    for segment, _ in bare.segments:
        for field in segment.fields.values():
            field.links.clear()  # an arrays file written before the links
    assert bare.word_views(word) is None
    plain, linked = Chains.of(reader.schema), Chains.of(reader.schema, bare.word_views)
    assert linked.views("الْمُسْلِمُونَ") == plain.views("الْمُسْلِمُونَ")


def test_links_derived_from_a_bulk_written_segment_agree_with_its_own(index, opened):
    """The bulk writer links the words it read; deriving from the segment links
    its terms, and knows at least as many (a second spelling of a word with a
    superscript alef too, when its stems are there)."""
    reader, _ = opened
    generation = current_generation(index[0])
    compared = 0
    for leaf, _ in reader.leaf_readers():
        written = arrays.SegmentArrays.load(arrays.path_of(generation, leaf.segment().segment_id()))
        derived = arrays.SegmentArrays.read(np.frombuffer(arrays.derived(leaf), dtype=np.uint8), "derived")
        for name in ("title", "text"):
            assert sorted(written.fields[name].links) == sorted(arrays.VIEWS)
            for index_ in range(len(written.fields[name].term_starts) - 1):
                term = written.fields[name].term(index_)
                mine = written.word_views(name, term)
                if mine is not None:
                    assert derived.word_views(name, term) == mine, term
                    compared += 1
    assert compared > 5000


def test_check_accepts_links_the_file_leaves_unknown_and_finds_wrong_ones(index, opened):
    reader, _ = opened
    generation = current_generation(index[0])
    leaf = reader.leaf_readers()[0][0]
    path = arrays.path_of(generation, leaf.segment().segment_id())
    expected = arrays.derived(leaf)
    assert arrays.holds(path.read_bytes(), expected)
    data = bytearray(path.read_bytes())
    starts, links = arrays.SegmentArrays.read(np.frombuffer(data, dtype=np.uint8), "copy").fields["text"].links["_stem"]
    single = next(i for i in range(len(starts) - 1) if starts[i + 1] - starts[i] == 1 and links[starts[i]] >= 0)
    stem = int(links[starts[single]])
    links[starts[single]] = -1  # a word the file does not link: asked of the analysis
    assert arrays.holds(bytes(data), expected)
    links[starts[single]] = stem + 1 if stem == 0 else stem - 1  # a wrong stem
    assert not arrays.holds(bytes(data), expected)
    damaged = path.with_name("damaged")
    damaged.write_bytes(bytes(data))
    damaged.replace(path)  # a new file: the open index keeps its own mapping
    try:
        assert any("differs from its segment" in problem for problem in check(index[0]).problems)
        assert check(index[0], repair=True).repaired
        assert not check(index[0]).problems
    finally:
        arrays.write(generation, leaf)
