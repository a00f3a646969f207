"""Search-result snippets and highlighting over the ORIGINAL text of a document.

The index searches normalized forms, but readers want the text as written, with
its diacritics. So the original is tokenized with :func:`iter_words` (whose
offsets point into it), the caller's matcher says which original words matched,
and fragments are cut only at those word boundaries: a word is never split and a
mark never leaves its letter. Everything that is not a ``<mark>`` tag is
HTML-escaped, so a document's own markup always comes out as text.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html import escape

from indexer.analysis.tokenizer import iter_words

Matcher = Callable[[str], bool]
"""Given one original word (as it appears in the document), whether it matched the query."""

ELLIPSIS = "…"
# A run of whitespace holding a line break: a snippet is one line.
_LINE_BREAKS = re.compile(r"\s*[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]\s*")
_TRAILING_SPACE = re.compile(r"\s*\Z")

# (score, first word, last word) of a run of matched words; score is
# (distinct matched words, matched words).
_Window = tuple[tuple[int, int], int, int]


@dataclass(frozen=True, slots=True)
class _Words:
    """The words of a text as parallel lists (cheap to index in the window loops),
    and the indices of the words that matched."""

    starts: list[int]
    ends: list[int]
    texts: list[str]
    hits: list[int]


class Remembered:
    """A matcher that decides each distinct word once. Share one across the hits of
    a query: they have most of their words in common, and a dictionary lookup is
    far cheaper than running the analysis again."""

    def __init__(self, decide: Matcher) -> None:
        self._decide = decide
        self._seen: dict[str, bool] = {}

    def __call__(self, word: str) -> bool:
        return self.verdicts((word,))[word]

    def verdicts(self, words: Iterable[str]) -> dict[str, bool]:
        seen = self._seen
        for word in words:
            if word not in seen:
                seen[word] = bool(self._decide(word))
        return seen


def _words(text: str, matches: Matcher) -> _Words:
    """Tokenize once; decide each distinct word once."""
    found = list(iter_words(text))
    texts = [m.group() for m in found]
    memo = matches if isinstance(matches, Remembered) else Remembered(matches)
    verdicts = memo.verdicts(dict.fromkeys(texts))
    hits = [i for i, word in enumerate(texts) if verdicts[word]]
    return _Words([m.start() for m in found], [m.end() for m in found], texts, hits)


def _render(text: str, lo: int, hi: int, words: _Words, hits: Iterable[int]) -> str:
    """``text[lo:hi]`` escaped, with the given matched words (inside it, in order) marked."""
    pieces: list[str] = []
    pos = lo
    for i in hits:
        start, end = words.starts[i], words.ends[i]
        pieces += (escape(text[pos:start]), "<mark>", escape(text[start:end]), "</mark>")
        pos = end
    pieces.append(escape(text[pos:hi]))
    return "".join(pieces)


def highlight(text: str, matches: Matcher) -> str:
    """The whole text, escaped, every matched word in ``<mark>``; line breaks kept."""
    words = _words(text, matches)
    return _render(text, 0, len(text), words, words.hits)


def _best_window(words: _Words, hits: list[int], width: int) -> _Window | None:
    """The best run of ``hits`` spanning at most ``width`` characters, or None
    if there are no hits. Ties go to the earlier run.
    A best window can always start on a hit, so two pointers over the hits alone
    find it in linear time.
    """
    starts, ends, texts = words.starts, words.ends, words.texts
    best: _Window | None = None
    counts: dict[str, int] = {}
    j = 0
    for i, first in enumerate(hits):
        # The first hit always belongs to its window, even a word wider than ``width``.
        while j < len(hits) and (j == i or ends[hits[j]] - starts[first] <= width):
            word = texts[hits[j]]
            counts[word] = counts.get(word, 0) + 1
            j += 1
        score = (len(counts), j - i)
        if best is None or score > best[0]:
            best = (score, first, hits[j - 1])
        word = texts[first]
        counts[word] -= 1
        if not counts[word]:
            del counts[word]
    return best


def _widen(words: _Words, lo: int, hi: int, first: int, last: int, width: int) -> tuple[int, int]:
    """Words ``first..last`` widened with context inside ``lo..hi`` to at most
    ``width`` characters, the matches in the middle (the earliest best window
    would put them at its right edge, with no context after them)."""
    starts, ends = words.starts, words.ends
    target = starts[first] - max(0, width - (ends[last] - starts[first])) // 2
    s, e = first, last
    while s > lo and starts[s - 1] >= target:
        s -= 1
    while e < hi and ends[e + 1] - starts[s] <= width:
        e += 1
    # Near the end of the text the right side runs out: give its share to the left.
    while s > lo and ends[e] - starts[s - 1] <= width:
        s -= 1
    return s, e


def _choose(words: _Words, fragments: int, width: int) -> list[tuple[int, int]]:
    """Up to ``fragments`` non-overlapping word ranges, greedily best first, in text order."""
    free = [(0, len(words.starts) - 1)]
    chosen: list[tuple[int, int]] = []
    for _ in range(fragments):
        best: tuple[_Window, int] | None = None
        for k, (lo, hi) in enumerate(free):
            hits = words.hits[bisect_left(words.hits, lo) : bisect_right(words.hits, hi)]
            window = _best_window(words, hits, width)
            if window and (best is None or window[0] > best[0][0]):
                best = (window, k)
        if best is None:
            break
        (_, first, last), k = best
        lo, hi = free.pop(k)
        s, e = _widen(words, lo, hi, first, last, width)
        chosen.append((s, e))
        free[k:k] = [r for r in ((lo, s - 1), (e + 1, hi)) if r[0] <= r[1]]
    return _merge_adjacent(sorted(chosen))


def _merge_adjacent(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join ranges with no word between them: an ellipsis there would claim a gap."""
    merged: list[tuple[int, int]] = []
    for s, e in ranges:
        if merged and merged[-1][1] + 1 == s:
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def _one_line(fragment: str) -> str:
    return _LINE_BREAKS.sub(" ", fragment).strip()


def _lead(text: str, words: _Words, max_chars: int) -> str:
    """The start of the text, cut after the last whole word within ``max_chars``
    (or after the first word if even that is longer)."""
    if len(text) <= max_chars:
        return escape(_one_line(text))
    last = bisect_right(words.ends, max_chars) - 1
    cut = words.ends[max(last, 0)] if words.ends else max_chars
    more = not _TRAILING_SPACE.match(text, cut)
    return escape(_one_line(text[:cut])) + (f" {ELLIPSIS}" if more else "")


def _fragment(text: str, words: _Words, s: int, e: int) -> str:
    """Words ``s..e`` with the text between them, escaped, marked, on one line."""
    hits = words.hits[bisect_left(words.hits, s) : bisect_right(words.hits, e)]
    return _one_line(_render(text, words.starts[s], words.ends[e], words, hits))


def snippet(text: str, matches: Matcher, *, max_chars: int = 240, fragments: int = 2) -> str:
    """The best one-line fragments of ``text`` around the matched words, escaped and marked.

    Fragments are runs of whole words of at most ``max_chars // fragments``
    characters of the original, chosen for the most distinct matched words, then
    the most matches, then the earliest; they are shown in text order, joined by
    `` … ``, with an ellipsis at either end where words were left out. Without a
    match (say, only the title matched) the start of the text is shown instead.
    """
    if max_chars < 1 or fragments < 1:
        raise ValueError("max_chars and fragments must be positive")
    words = _words(text, matches)
    if not words.hits:
        return _lead(text, words, max_chars)
    ranges = _choose(words, fragments, max_chars // fragments)
    parts = [_fragment(text, words, s, e) for s, e in ranges]
    head = f"{ELLIPSIS} " if ranges[0][0] > 0 else ""
    tail = f" {ELLIPSIS}" if ranges[-1][1] < len(words.starts) - 1 else ""
    return head + f" {ELLIPSIS} ".join(parts) + tail
