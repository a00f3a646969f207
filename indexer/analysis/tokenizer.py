"""Splitting original text into words, keeping each word's offsets into that text."""

from __future__ import annotations

import re
from collections.abc import Iterator

from whoosh.analysis import Token, Tokenizer

from .chars import (
    ARABIC_BLOCKS,
    ARABIC_LETTERS,
    DAGGER_ALEF,
    FORMAT_CHARS,
    HARAKAT,
    LATIN_MARKS,
    QURANIC_MARKS,
    TATWEEL,
)

_ARABIC = f"[{ARABIC_LETTERS}{HARAKAT}{DAGGER_ALEF}{QURANIC_MARKS}{TATWEEL}]"
_OTHER_LETTER = rf"[^\W\d_{ARABIC_BLOCKS}]"
_WORD = re.compile(
    # Arabic words keep their marks and tatweel; format characters (ZWNJ, RLM...)
    # are kept only between letters, so offsets hug the visible word.
    rf"{_ARABIC}+(?:[{FORMAT_CHARS}]+{_ARABIC}+)*"
    # Numbers in any digits, with decimal or thousands separators: 3.5, ٢٬٠٠٠.
    r"|\d+(?:[.,٫٬]\d+)*"
    # Words of other scripts (Latin...), split from Arabic at the script change.
    rf"|{_OTHER_LETTER}[{LATIN_MARKS}]*(?:{_OTHER_LETTER}[{LATIN_MARKS}]*)*"
)

# Longer "words" are noise (base64, a run of letters without spaces); Lucene drops
# tokens over 255 characters for the same reason.
MAX_TOKEN_CHARS = 255


def iter_words(text: str) -> Iterator[re.Match[str]]:
    """Word matches in ``text``; punctuation (، ؛ ؟ « » ...) and spaces separate them."""
    for match in _WORD.finditer(text):
        if match.end() - match.start() <= MAX_TOKEN_CHARS:
            yield match


def split_words(text: str) -> list[str]:
    """The words of :func:`iter_words`, without their offsets: the indexer's fast path."""
    return [word for word in _WORD.findall(text) if len(word) <= MAX_TOKEN_CHARS]


class ArabicTokenizer(Tokenizer):
    """Whoosh tokenizer over :func:`iter_words`.

    Whoosh's default ``\\w+`` splits ``الدِّفَاعِ`` into pieces because Python's
    ``\\w`` does not match combining marks; this one keeps them inside the word.
    """

    def __call__(  # type: ignore[override]
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: object,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            # The query parser asks for the whole text as one token (wildcards, ranges).
            token.original = token.text = value
            token.boost = 1.0
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar = start_char
                token.endchar = start_char + len(value)
            yield token
            return
        for pos, match in enumerate(iter_words(value), start_pos):
            token.text = match.group()
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = token.text
            if positions:
                token.pos = pos
            if chars:
                token.startchar = start_char + match.start()
                token.endchar = start_char + match.end()
            yield token
