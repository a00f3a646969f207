"""What the analysis chains make of a text, word by word: the view behind
``arabic-search analyze`` and behind "why did this match?"."""

from __future__ import annotations

from dataclasses import dataclass, field

from .analyzers import exact_analyzer, lemma_analyzer, stem_analyzer
from .stemming import DEFAULT_STRATEGY


@dataclass
class WordAnalysis:
    original: str
    normalized: list[str]  # one form, or two for a word with a superscript alef
    start: int
    end: int
    stems: list[str] = field(default_factory=list)
    lemmas: list[str] = field(default_factory=list)
    stop_word: bool = False


def explain(text: str, strategy: str = DEFAULT_STRATEGY) -> list[WordAnalysis]:
    """Run the three indexing chains over ``text`` and line their tokens up by offset."""
    words: dict[int, WordAnalysis] = {}
    for token in exact_analyzer()(text, chars=True):
        word = words.setdefault(
            token.startchar, WordAnalysis(text[token.startchar : token.endchar], [], token.startchar, token.endchar)
        )
        word.normalized.append(token.text)
    for token in stem_analyzer(strategy)(text, chars=True, removestops=False):
        word = words[token.startchar]
        if token.stopped:
            word.stop_word = True
        else:
            word.stems.append(token.text)
    for token in lemma_analyzer()(text, chars=True):
        words[token.startchar].lemmas.append(token.text)
    return list(words.values())
