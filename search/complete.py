"""Autocomplete: the last word being typed, completed from the index's words in
the context of the words typed before it.

``وزير الد`` offers الدفاع before the more frequent الدنيا because more of the
documents that have وزير have الدفاع. Stop words are not offered (a query leaves
them out) except inside an open quotation mark, where a phrase counts them; a
prefix of marks alone (َ) has no letters to complete; after ``title:`` only words
that are in some title are offered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import islice

from whoosh.reading import IndexReader

from indexer.analysis.tokenizer import iter_words
from indexer.schema import TEXT_FIELDS

from .query import CLOSE_QUOTES, OPEN_QUOTES
from .suggest import Chains, WordList

# Candidates ranked by context, most frequent first: the rest would rarely be
# shown, and each costs a postings lookup.
MAX_CANDIDATES = 50
# Words of one field read for a prefix (in alphabetical order) before ranking them.
MAX_FIELD_WORDS = 5000
_FIELD_BEFORE = re.compile(r"([A-Za-z_]+):$")


@dataclass(frozen=True)
class Typing:
    """What is being typed: ``before`` + ``word``, where ``before`` ends with the
    word's field (``title:``) if any, and ``context`` is the text before that."""

    before: str
    word: str
    field: str | None
    context: str

    @property
    def in_phrase(self) -> bool:
        """After an opening quotation mark that is not closed yet."""
        inside = False
        for char in self.context:
            if not inside and char in OPEN_QUOTES:
                inside = True
            elif inside and char in CLOSE_QUOTES:
                inside = False
        return inside


def being_typed(text: str) -> Typing | None:
    """The word at the end of ``text``; None when the text does not end in one."""
    found = list(iter_words(text))
    last = found[-1] if found else None
    if last is None or last.end() != len(text.rstrip()):
        return None
    before = text[: last.start()]
    field = _FIELD_BEFORE.search(before)
    context = before[: field.start()] if field else before
    return Typing(before, last.group(), field.group(1).lower() if field else None, context)


def complete(
    typed: Typing,
    candidates: Iterable[tuple[str, int]],
    words: WordList,
    chains: Chains,
    together: Callable[[str], int] | None,
    limit: int,
) -> list[str]:
    """The text with its last word completed, best first. ``candidates`` are
    (normalized word, frequency), most frequent first; ``together`` counts the
    documents of the context that have a word (None: no context), and words
    found with the context come first, then by frequency."""
    allowed = (c for c in candidates if typed.in_phrase or not chains.is_stop_word(c[0]))
    chosen = list(islice(allowed, MAX_CANDIDATES))
    if together is not None:
        shared = {word: together(word) for word, _ in chosen}
        chosen.sort(key=lambda c: -shared[c[0]])  # stable: equal counts stay most frequent first
    return [typed.before + words.written_form(word) for word, _ in chosen[:limit]]


def completes_words(typed: Typing) -> bool:
    """Whether the word's field holds words to complete (not collection:, id:, date:)."""
    return typed.field is None or typed.field in TEXT_FIELDS


def field_candidates(reader: IndexReader, field: str, prefix: str) -> list[tuple[str, int]]:
    """The words of one field (as indexed, normalized) that start with ``prefix``,
    with their occurrences in that field, most frequent first."""
    found = [
        (term.decode("utf-8"), int(info.weight()))
        for term, info in islice(reader.iter_prefix(field, prefix), MAX_FIELD_WORDS)
    ]
    return sorted(found, key=lambda c: (-c[1], c[0]))
