"""Whoosh filters of the Arabic chain. Each changes ``token.text`` only; the
character offsets stay those of the original text, so highlights land on the
original, diacritized word.

Filters hold nothing but plain settings: they are pickled with the schema.
Caches live at module level in the functions they call.
"""

from __future__ import annotations

from collections.abc import Iterator

from whoosh.analysis import Filter, Token

from .normalize import normalize
from .stemming import DEFAULT_STRATEGY, STRATEGIES, stems
from .stopwords import is_stop_word


class _RenumberingFilter(Filter):
    """A filter that may drop tokens; the positions of the rest close the gap,
    so that a phrase query (analyzed the same way) still sees adjacent words."""

    def keep(self, token: Token) -> bool:
        raise NotImplementedError

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:  # type: ignore[override]
        pos = None
        for token in tokens:
            if not self.keep(token):
                continue
            if token.positions:
                pos = token.pos if pos is None else pos + 1
                token.pos = pos
            yield token


class NormalizeFilter(_RenumberingFilter):
    """Replace the text by its normalized form; drop tokens that normalize to
    nothing (a lone tatweel or diacritic)."""

    def keep(self, token: Token) -> bool:
        token.text = normalize(token.text)
        return bool(token.text)


class StopFilter(_RenumberingFilter):
    """Drop Arabic stop words (or, when the caller keeps stops, mark them)."""

    def keep(self, token: Token) -> bool:
        token.stopped = is_stop_word(token.text)
        return not (token.stopped and token.removestops)


class StemFilter(Filter):
    """Replace each word by its stems; several stems share the word's position."""

    def __init__(self, strategy: str = DEFAULT_STRATEGY) -> None:
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown stemming strategy {strategy!r}; choose one of {STRATEGIES}")
        self.strategy = strategy

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.strategy == self.strategy  # type: ignore[attr-defined]

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:  # type: ignore[override]
        for token in tokens:
            if token.stopped:
                yield token
                continue
            for stem in stems(token.text, self.strategy):
                token.text = stem
                yield token
