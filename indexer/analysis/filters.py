"""Whoosh filters of the Arabic chain. Each changes ``token.text`` only; the
character offsets stay those of the original text, so highlights land on the
original, diacritized word.

Filters hold nothing but plain settings: they are pickled with the schema.
Caches live at module level in the functions they call.
"""

from __future__ import annotations

from collections.abc import Iterator

from whoosh.analysis import Filter, Token

from .normalize import normalize, normalize_forms
from .stemming import DEFAULT_STRATEGY, STRATEGIES, stems
from .stopwords import is_stop_word


class _RewritingFilter(Filter):
    """A filter that replaces each token's text by zero, one or several texts.

    Several texts share the token's position (alternatives, as synonyms do). A
    dropped token's gap is closed, so that a phrase query (analyzed the same
    way) still sees adjacent words.
    """

    def texts(self, token: Token) -> tuple[str, ...]:
        raise NotImplementedError

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:  # type: ignore[override]
        pos = seen = None
        for token in tokens:
            texts = self.texts(token)
            if not texts:
                continue
            if token.positions:
                if token.pos != seen:  # alternatives arriving at one position stay together
                    seen = token.pos
                    pos = token.pos if pos is None else pos + 1
                token.pos = pos
            for text in texts:
                token.text = text
                yield token


class NormalizeFilter(_RewritingFilter):
    """Replace the text by its normalized form; drop tokens that normalize to
    nothing (a lone tatweel or diacritic).

    With ``alternatives``, a word with a superscript alef also gives its spelling
    with a full alef (ٱلْعَٰلَمِينَ: العلمين and العالمين). The exact view wants
    both; the stem view only the first, since stemming the second invents
    words (الرحمان -> رحم).
    """

    def __init__(self, alternatives: bool = False) -> None:
        self.alternatives = alternatives

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.alternatives == self.alternatives  # type: ignore[attr-defined]

    def texts(self, token: Token) -> tuple[str, ...]:
        forms = normalize_forms(token.text) if self.alternatives else (normalize(token.text),)
        return tuple(form for form in forms if form)


class StopFilter(_RewritingFilter):
    """Drop Arabic stop words (or, when the caller keeps stops, mark them)."""

    def texts(self, token: Token) -> tuple[str, ...]:
        token.stopped = is_stop_word(token.text)
        return () if token.stopped and token.removestops else (token.text,)


class StemFilter(_RewritingFilter):
    """Replace each word by its stems; several stems share the word's position."""

    def __init__(self, strategy: str = DEFAULT_STRATEGY) -> None:
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown stemming strategy {strategy!r}; choose one of {STRATEGIES}")
        self.strategy = strategy

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.strategy == self.strategy  # type: ignore[attr-defined]

    def texts(self, token: Token) -> tuple[str, ...]:
        return (token.text,) if token.stopped else stems(token.text, self.strategy)
