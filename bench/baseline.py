"""The minimal baseline the benchmarks measure against: plain Whoosh, one text
field, a tokenizer that keeps Arabic words whole (diacritics inside), the
diacritics stripped, nothing else (no other normalization, no stop words, no
stemming)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

from whoosh import index
from whoosh.analysis import Filter, RegexTokenizer, Token
from whoosh.fields import ID, TEXT, Schema
from whoosh.qparser import FuzzyTermPlugin, QueryParser

_HARAKAT = {code: None for code in range(0x064B, 0x0653)}
WORD = r"[\w\u064b-\u0652\u0670]+"


class StripDiacritics(Filter):
    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:  # type: ignore[override]
        for token in tokens:
            token.text = token.text.translate(_HARAKAT)
            yield token


def schema() -> Schema:
    return Schema(
        id=ID(stored=True, unique=True), text=TEXT(analyzer=RegexTokenizer(WORD) | StripDiacritics(), stored=True)
    )


def build(jsonl: Path, index_dir: Path, procs: int = 1, limitmb: int = 256) -> float:
    """Index ``jsonl`` (id and text) into ``index_dir``; returns the seconds it took."""
    started = time.perf_counter()
    index_dir.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(str(index_dir), schema())
    writer = ix.writer(procs=procs, limitmb=limitmb, multisegment=procs > 1)
    with jsonl.open(encoding="utf-8") as lines:
        for line in lines:
            doc = json.loads(line)
            writer.add_document(id=str(doc["id"]), text=doc["text"])
    writer.commit()
    return time.perf_counter() - started


class Searcher:
    """Whoosh's own query parser and BM25F over the baseline index."""

    def __init__(self, index_dir: Path) -> None:
        self.ix = index.open_dir(str(index_dir))
        self.searcher = self.ix.searcher()
        self.parser = QueryParser("text", self.ix.schema)
        self.parser.add_plugin(FuzzyTermPlugin())

    def search(self, q: str, limit: int = 10, snippets: bool = False) -> list[str]:
        """Ids of the best documents, or with ``snippets`` their highlighted fragments."""
        results = self.searcher.search(self.parser.parse(q), limit=limit)
        if snippets:
            return [hit.highlights("text") for hit in results]
        return [hit["id"] for hit in results]

    def close(self) -> None:
        self.searcher.close()
        self.ix.close()
