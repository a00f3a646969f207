"""Analyses remembered per word, in caches that share one memory budget.

Normalizing and stemming a word costs microseconds, and a server meets the
same words again and again; but a server also meets words no one has typed
before, so what it remembers must stop growing. Each cache takes a share of
the budget (``cache_mb``, a setting) and holds as many words as that share
buys at a measured size per entry (the word, its result and the cache's own
bookkeeping; tests/test_memo.py fills every cache with new words and checks
the memory they take against the budget); the least recently used go first.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

DEFAULT_BUDGET_MB = 48
# A build or an update meets every word of its input, unordered: with a server's
# 48 MB its caches thrash (136,712 hadith indexed in 144 s, 121 s with 256 MB).
BUILD_BUDGET_MB = 256
_MIN_ENTRIES = 256

_budget = DEFAULT_BUDGET_MB << 20
_caches: weakref.WeakSet[WordCache] = weakref.WeakSet()
_lock = threading.Lock()


class WordCache:
    """``function`` remembered for as many words as ``share`` of the budget
    buys at ``entry_bytes`` each. Thread-safe: lru_cache is."""

    def __init__(self, function: Callable[..., Any], share: float, entry_bytes: int) -> None:
        self.__wrapped__ = function
        self.__doc__ = function.__doc__
        self.share = share
        self.entry_bytes = entry_bytes
        self._resize()
        with _lock:
            _caches.add(self)

    def _resize(self) -> None:
        self.maxsize = max(_MIN_ENTRIES, int(_budget * self.share) // self.entry_bytes)
        self._cached = lru_cache(maxsize=self.maxsize)(self.__wrapped__)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._cached(*args, **kwargs)

    def cache_info(self) -> Any:
        return self._cached.cache_info()

    def cache_clear(self) -> None:
        self._cached.cache_clear()


def word_cache(share: float, entry_bytes: int) -> Callable[[Callable[..., Any]], WordCache]:
    """A module-level function as a :class:`WordCache`."""
    return lambda function: WordCache(function, share, entry_bytes)


@contextmanager
def budget(megabytes: int) -> Iterator[None]:
    """The word caches hold ``megabytes`` while a build or an update runs, and the
    process's own budget again after (both times they start empty)."""
    previous = _budget >> 20
    set_budget(megabytes)
    try:
        yield
    finally:
        set_budget(previous)


def set_budget(megabytes: int) -> None:
    """Give the word caches of this process ``megabytes`` in all (they start empty again)."""
    global _budget
    with _lock:
        if _budget == megabytes << 20:
            return
        _budget = megabytes << 20
        caches = list(_caches)
    for cache in caches:
        cache._resize()
