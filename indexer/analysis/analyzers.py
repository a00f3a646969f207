"""The two analysis chains, composed in one place and used for indexing,
querying and highlighting alike.

* exact: tokenize -> normalize (with alternative spellings of Uthmani words).
  Every word is kept (stop words too), so phrase queries and the exact-form
  search see the text as written.
* stem: tokenize -> normalize -> drop stop words -> stem.
"""

from __future__ import annotations

from whoosh.analysis import Analyzer

from .filters import NormalizeFilter, StemFilter, StopFilter
from .stemming import DEFAULT_STRATEGY
from .tokenizer import ArabicTokenizer


def exact_analyzer() -> Analyzer:
    return ArabicTokenizer() | NormalizeFilter(alternatives=True)


def stem_analyzer(strategy: str = DEFAULT_STRATEGY) -> Analyzer:
    return ArabicTokenizer() | NormalizeFilter() | StopFilter() | StemFilter(strategy)
