"""Searching an index: the query language, ranking, highlighted snippets, suggestions."""

from .engine import MAX_PER_PAGE, SearchEngine, open_index
from .ranking import DEFAULT_WEIGHTS, Weights

__all__ = ["DEFAULT_WEIGHTS", "MAX_PER_PAGE", "SearchEngine", "Weights", "open_index"]
