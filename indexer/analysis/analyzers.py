"""The three analysis chains, composed in one place and used for indexing,
querying and highlighting alike.

* exact: tokenize -> normalize (with alternative spellings of Uthmani words).
  Every word is kept (stop words too), so phrase queries and the exact-form
  search see the text as written.
* stem: tokenize -> normalize -> drop stop words -> stem.
* lemma: tokenize -> normalize -> drop stop words -> lemmas (weighted below
  the stem view; what ``root:`` searches).
"""

from __future__ import annotations

from whoosh.analysis import Analyzer

from .filters import LemmaStep, NormalizeStep, StemStep, StopStep, WordChain
from .stemming import DEFAULT_STRATEGY
from .tokenizer import ArabicTokenizer


def word_chain(analyzer: Analyzer) -> WordChain:
    """The per-word steps of one of these analyzers (also one unpickled from an
    index's schema): ``word_chain(a).forms(word, True)`` is what one word already
    split out of a text becomes in that view, as indexing made it."""
    return next(item for item in analyzer.items if isinstance(item, WordChain))


def exact_analyzer() -> Analyzer:
    return ArabicTokenizer() | WordChain(NormalizeStep(alternatives=True))


def stem_analyzer(strategy: str = DEFAULT_STRATEGY) -> Analyzer:
    return ArabicTokenizer() | WordChain(NormalizeStep(), StopStep(), StemStep(strategy))


def lemma_analyzer() -> Analyzer:
    return ArabicTokenizer() | WordChain(NormalizeStep(), StopStep(), LemmaStep())
