"""The word caches stay within their memory budget, whatever words they meet."""

from __future__ import annotations

import gc
import random
import tracemalloc

import pytest

from indexer.analysis import memo
from indexer.analysis.lemmas import lemmas
from indexer.analysis.normalize import clean, normalize, normalize_forms
from indexer.analysis.stemming import _tashaphyne, stems
from indexer.schema import build_schema
from search.suggest import Chains

LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"


def _new_words(count: int, seed: int) -> list[str]:
    """Words no cache has seen, with an article, a conjunction or diacritics now and then."""
    rng = random.Random(seed)
    words = []
    for _ in range(count):
        word = "".join(rng.choice(LETTERS) for _ in range(rng.randint(3, 9)))
        word = rng.choice(["", "ال", "و", "وال", "بال"]) + word + rng.choice(["", "ه", "ها", "ون", "ات"])
        words.append(word if rng.random() < 0.7 else "\u064e".join(word))
    return words


@pytest.fixture
def small_budget():
    memo.set_budget(2)  # 2 MB
    yield 2 << 20
    memo.set_budget(memo.DEFAULT_BUDGET_MB)


def test_new_words_without_end_fill_the_caches_up_to_their_budget_and_no_further(small_budget):
    chains = Chains.of(build_schema("union"))  # an open index's analysis chains, as a server holds them
    caches = [
        clean,
        normalize,
        normalize_forms,
        stems,
        _tashaphyne,
        lemmas,
        chains.exact.forms,
        chains.stem.forms,
        chains.lemma.forms,
        chains.views,  # what snippets ask of each document word
    ]
    entries = sum(cache.maxsize for cache in caches)

    def analyse(words: list[str]) -> None:
        for word in words:
            chains.views(word)

    analyse(_new_words(2_000, seed=0))  # the stemmer's own tables, made once
    gc.collect()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        grown = []
        for round_ in range(3):  # each round: more new words than all caches hold
            analyse(_new_words(entries, seed=round_ + 1))
            gc.collect()
            grown.append(tracemalloc.get_traced_memory()[0] - start)
    finally:
        tracemalloc.stop()
    assert all(cache.cache_info().currsize == cache.maxsize for cache in caches)
    assert grown[-1] <= small_budget, f"{grown[-1] / 2**20:.2f} MB held by caches of a 2 MB budget"
    assert grown[-1] - grown[0] < small_budget * 0.1  # full: it no longer grows


def test_the_budget_sets_how_many_words_each_cache_holds():
    memo.set_budget(10)
    try:
        small = stems.maxsize
        memo.set_budget(40)
        assert abs(stems.maxsize - 4 * small) <= 4 and stems("كتاب")[0] == "كتاب"
    finally:
        memo.set_budget(memo.DEFAULT_BUDGET_MB)


def test_a_build_uses_its_own_budget_and_gives_the_process_its_own_back(tmp_path, monkeypatch):
    from indexer import Settings, build_index, update_index

    source = tmp_path / "docs.jsonl"
    source.write_text('{"id": "a", "text": "قال الرجل كلاما"}\n', encoding="utf-8")
    seen: list[int] = []
    real = memo.set_budget
    memo.set_budget(32)  # a server's budget, as its settings set it
    try:
        monkeypatch.setattr(memo, "set_budget", lambda megabytes: (seen.append(megabytes), real(megabytes)))
        build_index([source], tmp_path / "ix", settings=Settings.load(build_cache_mb=300))
        update_index([source], tmp_path / "ix", settings=Settings.load(build_cache_mb=200))
        assert seen == [300, 32, 200, 32]
        assert stems.maxsize == int((32 << 20) * stems.share) // stems.entry_bytes  # sized for 32 MB again
    finally:
        real(memo.DEFAULT_BUDGET_MB)
