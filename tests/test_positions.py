"""The evaluator reads positions block by block through Whoosh's private matcher
fields; here it is compared with Whoosh's public matcher on an index of several
segments with deleted documents."""

from __future__ import annotations

import random

import numpy as np
import pytest

from conftest import write_jsonl
from indexer import Settings, build_index, update_index
from indexer.storage import open_generation
from search.vectors import _read_positions, _read_positions_in

WORDS = "قال رسول الله صلى عليه وسلم الصلاة الزكاة الصيام الحج الجهاد العلم".split()


@pytest.fixture(scope="module")
def reader(tmp_path_factory):
    root = tmp_path_factory.mktemp("positions")
    rng = random.Random(3)
    docs = [{"id": f"d{n:04}", "text": " ".join(rng.choices(WORDS, k=rng.randint(3, 60)))} for n in range(900)]
    source = write_jsonl(root / "src" / "docs.jsonl", docs)
    build_index([source], root / "index", settings=Settings.load(procs=2, limitmb=16))
    # Change and drop documents: deletions in the old segments, a new segment.
    write_jsonl(source, [d if n % 7 else {**d, "text": "الله " + d["text"]} for n, d in enumerate(docs) if n % 11])
    update_index([source.parent], root / "index", prune=True)
    ix, _, _ = open_generation(root / "index")
    with ix.searcher() as searcher:
        assert len(searcher.reader().leaf_readers()) > 2 and searcher.reader().has_deletions()
        yield searcher.reader()
    ix.close()


def whoosh_positions(reader, fieldname: str, text: str, docnums: set[int]) -> list[int]:
    """docnum * 2**32 + position, read through Whoosh's public matcher, live documents only."""
    found = []
    matcher = reader.postings(fieldname, text)
    while matcher.is_active():
        docnum = matcher.id()
        if docnum in docnums:
            found.extend((docnum << 32) + p for p in matcher.value_as("positions"))
        matcher.next()
    return sorted(found)


@pytest.mark.parametrize("text", ["الله", "رسول", "العلم", "علم"])
@pytest.mark.parametrize("share", [0.0, 0.01, 0.2, 1.0])
def test_positions_in_chosen_documents_equal_whooshs(reader, text, share):
    fieldname = "text" if text != "علم" else "text_stem"
    live = [d for d in range(reader.doc_count_all()) if not reader.is_deleted(d)]
    chosen = sorted(random.Random(share).sample(live, round(len(live) * share)))
    got = _read_positions_in(reader, fieldname, text, np.array(chosen, dtype=np.int64))
    assert got.tolist() == whoosh_positions(reader, fieldname, text, set(chosen))
    if share == 1.0:  # every live document: what the whole-term read gives, less the deleted ones
        full = _read_positions(reader, fieldname, text)
        assert full[np.isin(full >> 32, chosen)].tolist() == got.tolist()
