"""The one search engine the app shares between its threads, opened when first
needed: the server starts (and says so) even before an index exists."""

from __future__ import annotations

import threading
from pathlib import Path

from flask import current_app

from search import SearchEngine, open_index


class EngineHolder:
    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        self._engine: SearchEngine | None = None
        self._lock = threading.Lock()

    def get(self) -> SearchEngine:
        """The engine; raises IndexNotFoundError (or SchemaVersionError) until there is an index."""
        engine = self._engine
        if engine is None:
            with self._lock:
                engine = self._engine
                if engine is None:
                    engine = self._engine = open_index(self.index_dir)
        return engine

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.close()
                self._engine = None


def engine() -> SearchEngine:
    holder: EngineHolder = current_app.extensions["arabic_search"]
    return holder.get()
