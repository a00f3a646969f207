"""Search-result snippets and highlighting over the ORIGINAL text of a document.

The index searches normalized forms, but readers want the text as written, with
its diacritics. So the original is tokenized with :func:`iter_words` (whose
offsets point into it), the caller's matcher says which original words matched,
and fragments are cut only at those word boundaries: a word is never split and a
mark never leaves its letter. A phrase is marked where its words stand together,
with one ``<mark>`` around the run; a word that matched only as part of a phrase
is not marked alone. Everything that is not a ``<mark>`` tag is HTML-escaped, so
a document's own markup always comes out as text.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html import escape

from indexer.analysis.tokenizer import iter_words


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the query makes of one original word.

    ``alone``: the word matched by itself. ``places``: for each view of the
    index (as written, through stems), the (phrase, word) places of the query's
    phrases that the word can fill, or None when that view gives the word no
    position (a stop word in the stem view, a lone tatweel): a phrase passes
    over it, as the index does.
    """

    alone: bool
    places: tuple[frozenset[tuple[int, int]] | None, ...] = ()


Matcher = Callable[[str], bool | Verdict]
"""Given one original word (as it appears in the document), whether (or how) it matched the query."""

ELLIPSIS = "…"
# How much of a document a snippet looks at: its first 20,000 characters, then,
# if no match is there, its first million. Each query tokenizes every hit it
# shows; a document of the largest size indexed (4 MB) would take seconds.
SNIPPET_SCANS = (20_000, 1_000_000)
# A run of whitespace holding a line break: a snippet is one line.
_LINE_BREAKS = re.compile(r"\s*[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]\s*")
_TRAILING_SPACE = re.compile(r"\s*\Z")

# (score, first word, last word) of a run of marks; score is (distinct marks, marks).
_Window = tuple[tuple[int, int], int, int]


@dataclass(frozen=True, slots=True)
class _Words:
    """The words of a text as parallel lists (cheap to index in the window loops),
    and the marks: runs of words (first, last), in text order, apart from each
    other; a lone matched word is a run of one."""

    starts: list[int]
    ends: list[int]
    texts: list[str]
    marks: list[tuple[int, int]]

    def marks_within(self, lo: int, hi: int) -> list[tuple[int, int]]:
        """The marks wholly inside words ``lo..hi``."""
        first = bisect_left(self.marks, lo, key=lambda mark: mark[0])
        last = bisect_right(self.marks, hi, key=lambda mark: mark[1])
        return self.marks[first:last]

    def key(self, mark: tuple[int, int]) -> str:
        """What a mark says, for counting distinct marks (each spelling of a word apart)."""
        return " ".join(self.texts[mark[0] : mark[1] + 1])


class Remembered:
    """A matcher that decides each distinct word once. Share one across the hits of
    a query: they have most of their words in common, and a dictionary lookup is
    far cheaper than running the analysis again. ``phrases`` gives the number of
    words of each of the query's phrases (the places in the verdicts)."""

    def __init__(self, decide: Matcher, phrases: tuple[int, ...] = ()) -> None:
        self._decide = decide
        self.phrases = phrases
        self._seen: dict[str, Verdict] = {}

    def __call__(self, word: str) -> bool:
        return self.verdicts((word,))[word].alone

    def verdicts(self, words: Iterable[str]) -> dict[str, Verdict]:
        seen = self._seen
        for word in words:
            if word not in seen:
                verdict = self._decide(word)
                seen[word] = verdict if isinstance(verdict, Verdict) else Verdict(bool(verdict))
        return seen


def _words(text: str, matches: Matcher) -> _Words:
    """Tokenize once; decide each distinct word once; find the phrases."""
    found = list(iter_words(text))
    texts = [m.group() for m in found]
    memo = matches if isinstance(matches, Remembered) else Remembered(matches)
    decided = memo.verdicts(dict.fromkeys(texts))
    verdicts = [decided[word] for word in texts]
    runs = [(i, i) for i, verdict in enumerate(verdicts) if verdict.alone] + _phrase_runs(verdicts, memo.phrases)
    return _Words([m.start() for m in found], [m.end() for m in found], texts, _merge_overlapping(sorted(runs)))


def _phrase_runs(verdicts: list[Verdict], phrases: tuple[int, ...]) -> list[tuple[int, int]]:
    """(first, last) word of each place where a phrase's words stand one after the
    other in some view of the index (words with no position there passed over)."""
    runs: list[tuple[int, int]] = []
    views = max((len(v.places) for v in verdicts), default=0) if phrases else 0
    for view in range(views):
        positioned = [
            (i, places)
            for i, v in enumerate(verdicts)
            if view < len(v.places) and (places := v.places[view]) is not None
        ]
        for phrase, length in enumerate(phrases):
            first = (phrase, 0)
            for at in range(len(positioned) - length + 1):
                if first in positioned[at][1] and all((phrase, j) in positioned[at + j][1] for j in range(1, length)):
                    runs.append((positioned[at][0], positioned[at + length - 1][0]))
    return runs


def _merge_overlapping(runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted runs with shared words joined (a word matched alone inside a phrase, two phrases overlapping)."""
    merged: list[tuple[int, int]] = []
    for first, last in runs:
        if merged and first <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(last, merged[-1][1]))
        else:
            merged.append((first, last))
    return merged


def _render(text: str, lo: int, hi: int, words: _Words, marks: Iterable[tuple[int, int]]) -> str:
    """``text[lo:hi]`` escaped, with the given marks (inside it, in order) in ``<mark>``."""
    pieces: list[str] = []
    pos = lo
    for first, last in marks:
        start, end = words.starts[first], words.ends[last]
        pieces += (escape(text[pos:start]), "<mark>", escape(text[start:end]), "</mark>")
        pos = end
    pieces.append(escape(text[pos:hi]))
    return "".join(pieces)


def highlight(text: str, matches: Matcher) -> str:
    """The whole text, escaped, every match in ``<mark>``; line breaks kept."""
    words = _words(text, matches)
    return _render(text, 0, len(text), words, words.marks)


def _best_window(words: _Words, marks: list[tuple[int, int]], width: int) -> _Window | None:
    """The best run of ``marks`` spanning at most ``width`` characters, or None
    if there are none. Ties go to the earlier run.
    A best window can always start on a mark, so two pointers over the marks alone
    find it in linear time.
    """
    starts, ends = words.starts, words.ends
    keys = [words.key(mark) for mark in marks]
    best: _Window | None = None
    counts: dict[str, int] = {}
    j = 0
    for i, (first, _) in enumerate(marks):
        # The first mark always belongs to its window, even one wider than ``width``.
        while j < len(marks) and (j == i or ends[marks[j][1]] - starts[first] <= width):
            counts[keys[j]] = counts.get(keys[j], 0) + 1
            j += 1
        score = (len(counts), j - i)
        if best is None or score > best[0]:
            best = (score, first, marks[j - 1][1])
        counts[keys[i]] -= 1
        if not counts[keys[i]]:
            del counts[keys[i]]
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
            window = _best_window(words, words.marks_within(lo, hi), width)
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
    """Words ``s..e`` with the text between them, escaped, marked, on one line
    (a phrase cut by the fragment's edge is not marked: its words did not match alone)."""
    return _one_line(_render(text, words.starts[s], words.ends[e], words, words.marks_within(s, e)))


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
    for scanned in SNIPPET_SCANS:  # a long text is looked at from its start, a part at a time
        part = _head(text, scanned)
        words = _words(part, matches)
        if words.marks or len(part) == len(text):
            break
    if not words.marks:
        return _lead(text, words, max_chars)
    ranges = _choose(words, fragments, max_chars // fragments)
    parts = [_fragment(part, words, s, e) for s, e in ranges]
    head = f"{ELLIPSIS} " if ranges[0][0] > 0 else ""
    more = ranges[-1][1] < len(words.starts) - 1 or len(part) < len(text)
    return head + f" {ELLIPSIS} ".join(parts) + (f" {ELLIPSIS}" if more else "")


def _head(text: str, chars: int) -> str:
    """The text's first ``chars`` characters or so, ended at a space (a word whole)."""
    if len(text) <= chars:
        return text
    space = text.rfind(" ", chars // 2, chars)
    return text[: space if space > 0 else chars]
