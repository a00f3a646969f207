"""Spelling suggestions ("did you mean") and autocomplete, from the index's own words."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from indexer.analysis.normalize import normalize
from indexer.analysis.stemming import stems
from indexer.analysis.tokenizer import iter_words
from indexer.vocabulary import Vocabulary

# Shorter words have too many neighbours one edit away to guess from.
MIN_LETTERS = 4
# From this length, two edits away is still a likely typo.
LONG_WORD = 6


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

    def starting_with(self, prefix: str, limit: int) -> list[str]:
        """Written forms of the words that start with ``prefix``, most frequent first."""
        lo = bisect_left(self.normalized, prefix)
        hi = bisect_left(self.normalized, prefix + "\U0010ffff")
        ranked = sorted(range(lo, hi), key=lambda i: (-self.counts[i], self.normalized[i]))
        return [self.written[i] for i in ranked[:limit]]


def complete(text: str, words: WordList, limit: int) -> list[str]:
    """Completions of the last word of ``text``, keeping what comes before it."""
    found = list(iter_words(text))
    last = found[-1] if found else None
    if last is None or last.end() != len(text.rstrip()):
        return []
    head = text[: last.start()]
    return [head + word for word in words.starting_with(normalize(last.group()), limit)]


def suggest(query: str, typed_words: list[str], searcher: Searcher, words: WordList, stemmer: str) -> str | None:
    """The query with each word that the index does not know (in any form)
    replaced by the most frequent indexed word one edit away (two for long
    words); None when nothing would change."""
    reader = searcher.reader()
    suggestion = query
    for typed in typed_words:
        form = normalize(typed)
        if len(form) < MIN_LETTERS or _known(reader, form, stemmer):
            continue
        near = words.near(form, 2 if len(form) >= LONG_WORD else 1)
        if near:
            suggestion = suggestion.replace(typed, words.written_form(near[0][0]), 1)
    return suggestion if suggestion != query else None


def _known(reader: IndexReader, form: str, stemmer: str) -> bool:
    """In the index as written, or through one of its stems (a rare inflection is no typo)."""
    if reader.doc_frequency("text", form) or reader.doc_frequency("title", form):
        return True
    return any(reader.doc_frequency("text_stem", s) for s in stems(form, stemmer))
