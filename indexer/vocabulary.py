"""The words of an index as people write them, for autocomplete and "did you mean".

The index holds normalized forms (مسءول); a reader recognizes مسؤول. For each
normalized form we keep how often each written form occurs and show the most
frequent one.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from .analysis.normalize import clean, normalize
from .analysis.tokenizer import split_words

VOCABULARY = "vocabulary.json"


class Vocabulary:
    """Counts of (normalized form, written form) over the indexed titles and texts."""

    def __init__(self, counts: Counter[tuple[str, str]] | None = None) -> None:
        self.counts: Counter[tuple[str, str]] = counts or Counter()

    def add(self, text: str, times: int = 1) -> None:
        """Count the words of ``text``; ``times=-1`` takes a removed text's words back out."""
        self.add_words(Counter(split_words(text)), times)

    def add_words(self, words: Mapping[str, int], times: int = 1) -> None:
        """Count words already split out of a text (as read, with their marks),
        given with how often each occurs."""
        for word, count in words.items():
            written = clean(word)
            if written:
                self.counts[normalize(written), written] += count * times

    def merge(self, other: Vocabulary) -> None:
        """Add the counts of another vocabulary (an indexing process's)."""
        self.counts.update(other.counts)

    def words(self) -> dict[str, tuple[str, int]]:
        """normalized form -> (its most frequent written form, total occurrences)."""
        best: dict[str, tuple[str, int]] = {}
        totals: Counter[str] = Counter()
        for (normalized, written), count in self.counts.items():
            if count <= 0:
                continue
            totals[normalized] += count
            if normalized not in best or count > best[normalized][1]:
                best[normalized] = (written, count)
        return {n: (best[n][0], totals[n]) for n in best}

    def save(self, generation: Path) -> None:
        path = generation / VOCABULARY
        tmp = path.with_suffix(".tmp")
        rows = sorted([n, w, c] for (n, w), c in self.counts.items() if c > 0)
        tmp.write_text(json.dumps(rows, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, path)

    @classmethod
    def load(cls, generation: Path) -> Vocabulary:
        rows = json.loads((generation / VOCABULARY).read_text(encoding="utf-8"))
        return cls(Counter({(n, w): c for n, w, c in rows}))
