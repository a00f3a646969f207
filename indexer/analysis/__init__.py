"""Arabic text analysis: tokenizer, normalizer, stop words and stemmer, and the
three Whoosh analysis chains built from them."""

from .analyzers import exact_analyzer, lemma_analyzer, stem_analyzer
from .explain import WordAnalysis, explain
from .stemming import DEFAULT_STRATEGY, STRATEGIES, stems
from .stopwords import is_stop_word
from .tokenizer import ArabicTokenizer, iter_words, split_words

__all__ = [
    "ArabicTokenizer",
    "DEFAULT_STRATEGY",
    "STRATEGIES",
    "WordAnalysis",
    "exact_analyzer",
    "explain",
    "is_stop_word",
    "iter_words",
    "lemma_analyzer",
    "split_words",
    "stem_analyzer",
    "stems",
]
