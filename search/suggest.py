"""Spelling suggestions ("did you mean") from the index's own words, and the
index's analysis chains as the suggester and the completer use them."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from whoosh.fields import Schema

from indexer.analysis.analyzers import word_chain
from indexer.analysis.filters import StopStep, WordChain
from indexer.analysis.memo import WordCache
from indexer.analysis.normalize import normalize
from indexer.vocabulary import Vocabulary

# Shorter words have too many neighbours one edit away to guess from.
MIN_LETTERS = 4
# From this length, two edits away is still a likely typo.
LONG_WORD = 6


Known = Callable[[str], tuple[tuple[str, ...], ...] | None]
"""A normalized word's stems and lemmas as the index links them (None: not linked there)."""


@dataclass(frozen=True)
class Chains:
    """What one typed word becomes in the index's three views, by the chains pickled
    in its schema: one definition, shared with indexing and querying."""

    exact: WordChain
    stem: WordChain
    lemma: WordChain
    stop: WordChain  # the stem chain's steps up to its stop step: whether a word is a stop word, without stemming
    known: Known | None = field(default=None, compare=False)
    views: WordCache = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Snippets ask this of every word of every hit they show: one cache of the
        # three views per word costs one lookup where three chains' caches cost three.
        object.__setattr__(self, "views", WordCache(self._views, share=0.25, entry_bytes=480))

    def _views(self, word: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        """A document word in the three views: its forms, stems and lemmas (none
        for a stop word); the last two as the index links them, when it does (the
        analysis costs a new word hundreds of microseconds, the links a few)."""
        known = self.known(normalize(word)) if self.known else None
        if known is None:
            known = self.stem.kept(word), self.lemma.kept(word)
        return (self.exact.kept(word), *known)  # type: ignore[return-value]

    @classmethod
    def of(cls, schema: Schema, known: Known | None = None) -> Chains:
        """The schema's chains; ``known``: the index's links of words to their
        stems and lemmas (:meth:`search.vectors.IndexArrays.word_views`)."""
        exact, stem = word_chain(schema["text"].analyzer), word_chain(schema["text_stem"].analyzer)
        until_stop = next(i for i, step in enumerate(stem.steps) if isinstance(step, StopStep)) + 1
        return cls(exact, stem, word_chain(schema["text_lemma"].analyzer), WordChain(*stem.steps[:until_stop]), known)

    def form(self, word: str) -> str:
        """The word's normalized form (الدِّفَاعِ -> الدفاع); empty for marks alone."""
        forms = self.exact.forms(word, False)
        return forms[0][0] if forms else ""

    def stems(self, word: str) -> list[str]:
        return [text for text, _ in self.stem.forms(word, False)]

    def is_stop_word(self, word: str) -> bool:
        forms = self.stop.forms(word, False)
        return bool(forms) and all(stopped for _, stopped in forms)


@dataclass(frozen=True)
class WordList:
    """The index's words, sorted by normalized form, each with the form people write."""

    normalized: list[str]
    written: list[str]
    counts: list[int]

    @classmethod
    def from_vocabulary(cls, vocabulary: Vocabulary) -> WordList:
        words = sorted(vocabulary.words().items())
        return cls([n for n, _ in words], [w for _, (w, _) in words], [c for _, (_, c) in words])

    def __contains__(self, normalized: object) -> bool:
        if not isinstance(normalized, str):
            return False
        i = bisect_left(self.normalized, normalized)
        return i < len(self.normalized) and self.normalized[i] == normalized

    def written_form(self, normalized: str) -> str:
        i = bisect_left(self.normalized, normalized)
        found = i < len(self.normalized) and self.normalized[i] == normalized
        return self.written[i] if found else normalized

    def near(self, form: str, distance: int) -> list[tuple[str, int]]:
        """Indexed normalized words within ``distance`` edits of ``form`` that share
        its first letter, nearest first, then most frequent; with their counts."""
        lo = bisect_left(self.normalized, form[:1])
        hi = bisect_left(self.normalized, form[:1] + "\U0010ffff")
        found = process.extract(
            form, self.normalized[lo:hi], scorer=Levenshtein.distance, score_cutoff=distance, limit=None
        )
        found.sort(key=lambda item: (item[1], -self.counts[lo + item[2]], item[0]))
        return [(word, self.counts[lo + i]) for word, _, i in found if word != form]

    def starting_with(self, prefix: str) -> list[tuple[str, int]]:
        """The normalized words that start with ``prefix``, with their counts, most frequent first."""
        lo = bisect_left(self.normalized, prefix)
        hi = bisect_left(self.normalized, prefix + "\U0010ffff")
        ranked = sorted(range(lo, hi), key=lambda i: (-self.counts[i], self.normalized[i]))
        return [(self.normalized[i], self.counts[i]) for i in ranked]


def suggest(
    query: str, typed_words: list[str], holds: Callable[[str, str], bool], words: WordList, chains: Chains
) -> str | None:
    """The query with each word that the index does not know (in any form)
    replaced by the most frequent indexed word one edit away (two for long
    words); None when nothing would change. ``holds(field, term)``: whether
    the index has the term (the search arrays' term lookup)."""
    suggestion = query
    for typed in typed_words:
        form = chains.form(typed)
        if len(form) < MIN_LETTERS or _known(holds, typed, form, chains):
            continue
        near = words.near(form, 2 if len(form) >= LONG_WORD else 1)
        if near:
            suggestion = suggestion.replace(typed, words.written_form(near[0][0]), 1)
    return suggestion if suggestion != query else None


def _known(holds: Callable[[str, str], bool], typed: str, form: str, chains: Chains) -> bool:
    """In the index as written, or through one of its stems (a rare inflection is no typo)."""
    if holds("text", form) or holds("title", form):
        return True
    return any(holds("text_stem", s) for s in chains.stems(typed))
