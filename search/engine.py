"""The searcher: opens an index, answers queries with ranked, highlighted hits,
and follows the index on disk as it is rebuilt or updated.

One :class:`SearchEngine` is shared by every thread of a server. Each thread
reads through its own Whoosh searcher (Whoosh readers are not made for
concurrent use), and checks at most every ``recheck_seconds`` whether a build
swapped in a new generation or an update committed; then it reopens.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh import query as wq
from whoosh.index import FileIndex
from whoosh.searching import Searcher

from indexer.analysis.normalize import normalize
from indexer.analysis.stemming import stems
from indexer.analysis.stopwords import is_stop_word
from indexer.errors import BadQueryError, DocumentNotFoundError
from indexer.settings import Settings
from indexer.storage import IndexMeta, current_generation, open_generation
from indexer.vocabulary import VOCABULARY, Vocabulary

from .highlight import Matcher, highlight, snippet
from .interpret import Interpretation, Interpreter, MatchTerms, keyword_filter
from .query import parse
from .ranking import DEFAULT_WEIGHTS, Weights
from .suggest import WordList, complete, suggest

MAX_PER_PAGE = 100
MAX_PAGE = 1000
SUGGEST_BELOW = 3  # suggest spellings when a query finds fewer documents than this
MAX_COMPLETIONS = 20
# Extra hits fetched beyond the page, so that ties at its edge can be put in id order.
_TIE_MARGIN = 20


@dataclass
class _View:
    """One thread's open generation."""

    generation: str
    ix: FileIndex
    searcher: Searcher
    meta: IndexMeta
    checked: float = 0.0

    def close(self) -> None:
        self.searcher.close()
        self.ix.close()


@dataclass
class _Shared:
    """What all threads may share for one generation: its word list."""

    key: tuple[str, float]
    words: WordList


@dataclass
class SearchEngine:
    index_dir: Path
    weights: Weights = DEFAULT_WEIGHTS
    recheck_seconds: float = 0.5
    _local: threading.local = field(default_factory=threading.local, repr=False)
    _views: list[_View] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _shared: _Shared | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._view()  # a missing or outdated index is reported now, not at the first query

    # -- the searcher of this thread, kept fresh -------------------------------------

    def _view(self) -> _View:
        view: _View | None = getattr(self._local, "view", None)
        now = time.monotonic()
        if view is not None and now - view.checked < self.recheck_seconds:
            return view
        name = current_generation(self.index_dir).name
        if view is None or view.generation != name:
            ix, meta, generation = open_generation(self.index_dir)
            fresh = _View(generation.name, ix, ix.searcher(weighting=self.weights.scoring()), meta)
            with self._lock:
                if view is not None:
                    self._views.remove(view)
                    view.close()
                self._views.append(fresh)
            view = self._local.view = fresh
        elif not view.searcher.up_to_date():
            old = view.searcher
            view.searcher = old.refresh()
            view.meta = IndexMeta.load(self.index_dir / name)
            old.close()
        view.checked = now
        return view

    def _words(self, view: _View) -> WordList:
        path = self.index_dir / view.generation / VOCABULARY
        key = (str(path), os.stat(path).st_mtime)
        shared = self._shared
        if shared is None or shared.key != key:
            shared = self._shared = _Shared(key, WordList.from_vocabulary(Vocabulary.load(path.parent)))
        return shared.words

    def close(self) -> None:
        with self._lock:
            for view in self._views:
                view.close()
            self._views.clear()
        self._local = threading.local()

    def __enter__(self) -> SearchEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- queries -----------------------------------------------------------------------

    def search(
        self, q: str, page: int = 1, per_page: int = 10, filters: dict[str, str | list[str]] | None = None
    ) -> dict[str, Any]:
        """Ranked hits for one page, with totals, facets, a spelling suggestion and
        how the query was read: the structure the JSON API returns."""
        started = time.perf_counter()
        _check_page(page, per_page)
        parsed = parse(q)
        for name, values in (filters or {}).items():
            if name not in ("collection", "id", "date"):
                raise BadQueryError(f"cannot filter on {name!r}: filters are collection, id and date")
            parsed.filters.setdefault(name, []).extend([values] if isinstance(values, str) else values)
        view = self._view()
        searcher = view.searcher
        reader = searcher.reader()
        schema = view.ix.schema
        interpreter = Interpreter(reader, schema["text"].analyzer, schema["text_stem"].analyzer, self.weights)
        meaning = interpreter.interpret(parsed)
        collection_filter = keyword_filter(
            reader, {k: v for k, v in parsed.filters.items() if k == "collection"}, meaning.notes
        )
        other_filter = keyword_filter(
            reader, {k: v for k, v in parsed.filters.items() if k != "collection"}, meaning.notes
        )

        mode = "every" if meaning.every else "all"
        total, facets = _count(searcher, meaning.match, other_filter, collection_filter)
        scored = meaning.query
        if total == 0 and meaning.fallback is not None:
            fallback_total, fallback_facets = _count(searcher, meaning.fallback, other_filter, collection_filter)
            if fallback_total:
                mode, total, facets, scored = "any", fallback_total, fallback_facets, meaning.fallback
                meaning.notes.append("no document has all the words: showing those with any of them, most first")
        filter_query = _both(other_filter, collection_filter)
        offset = (page - 1) * per_page
        ranked = (
            _ranked(searcher, scored, filter_query, offset + per_page, by_id=meaning.every) if offset < total else []
        )
        matches = _matcher(meaning.terms, view.meta.stemmer)
        hits = [_hit(searcher, docnum, score, matches) for score, docnum in ranked[offset : offset + per_page]]
        suggestion = None
        if total < SUGGEST_BELOW and meaning.words:
            suggestion = suggest(q, meaning.words, searcher, self._words(view), view.meta.stemmer)
        return {
            "query": q,
            "total": total,
            "page": page,
            "per_page": per_page,
            "pages": math.ceil(total / per_page),
            "took_ms": round((time.perf_counter() - started) * 1000, 2),
            "hits": hits,
            "suggestion": suggestion,
            "facets": {"collection": [{"value": c, "count": n} for c, n in facets.most_common()]},
            "interpretation": _interpretation(meaning, mode, parsed.filters),
        }

    def complete(self, prefix: str, limit: int = 10) -> list[str]:
        """Indexed words, as people write them, that start with the last word of
        ``prefix`` (in any spelling), most frequent first."""
        if not 1 <= limit <= MAX_COMPLETIONS:
            raise BadQueryError(f"limit must be between 1 and {MAX_COMPLETIONS}")
        view = self._view()
        return complete(prefix[:200], self._words(view), limit)

    def document(self, doc_id: str, q: str | None = None) -> dict[str, Any]:
        """A document with its full original text; with ``q``, the text and title
        with the query's matches marked (``text_html``, ``title_html``)."""
        view = self._view()
        stored = view.searcher.document(id=doc_id)
        if stored is None:
            raise DocumentNotFoundError(doc_id)
        result = _public(stored)
        if q:
            schema = view.ix.schema
            interpreter = Interpreter(
                view.searcher.reader(), schema["text"].analyzer, schema["text_stem"].analyzer, self.weights
            )
            matches = _matcher(interpreter.interpret(parse(q)).terms, view.meta.stemmer)
            result["title_html"] = highlight(result["title"], matches)
            result["text_html"] = highlight(result["text"], matches)
        return result

    def info(self) -> dict[str, Any]:
        view = self._view()
        return {
            "documents": view.searcher.doc_count(),
            "schema_version": view.meta.schema_version,
            "generation": view.generation,
            "stemmer": view.meta.stemmer,
            "built_at": view.meta.built_at,
            "updated_at": view.meta.updated_at,
        }


def open_index(index_dir: str | os.PathLike[str] | None = None, *, weights: Weights = DEFAULT_WEIGHTS) -> SearchEngine:
    """Open the index for searching; raises IndexNotFoundError or SchemaVersionError now."""
    directory = Path(index_dir) if index_dir else Settings.load().index_dir
    return SearchEngine(directory, weights)


def _check_page(page: object, per_page: object) -> None:
    if not isinstance(page, int) or isinstance(page, bool) or not 1 <= page <= MAX_PAGE:
        raise BadQueryError(f"page must be a whole number from 1 to {MAX_PAGE}")
    if not isinstance(per_page, int) or isinstance(per_page, bool) or not 1 <= per_page <= MAX_PER_PAGE:
        raise BadQueryError(f"per_page must be a whole number from 1 to {MAX_PER_PAGE}")


def _both(a: wq.Query | None, b: wq.Query | None) -> wq.Query | None:
    if a is None or b is None:
        return a or b
    return wq.And([a, b])


def _count(
    searcher: Searcher, match: wq.Query, other_filter: wq.Query | None, collection_filter: wq.Query | None
) -> tuple[int, Counter[str]]:
    """How many documents match, and how many per collection (counted before the
    collection filter, so that the other collections can still be offered)."""
    facets: Counter[str] = Counter()
    column = searcher.reader().column_reader("collection")
    for docnum in searcher.docs_for_query(_both(match, other_filter)):
        facets[column[docnum]] += 1
    if collection_filter is None:
        return facets.total(), facets
    total = sum(1 for _ in searcher.docs_for_query(_both(_both(match, other_filter), collection_filter)))
    return total, facets


def _ranked(
    searcher: Searcher, query: wq.Query, filter_query: wq.Query | None, needed: int, by_id: bool
) -> list[tuple[float, int]]:
    """(score, docnum) of the best ``needed`` documents, ties in id order so that
    pages never overlap or skip: fetches more until the tie at the edge is whole."""
    ids = searcher.reader().column_reader("id")
    if by_id:
        results = searcher.search(query, filter=filter_query, limit=needed, sortedby="id", scored=False)
        return [(0.0, docnum) for docnum in results.docs()]
    limit = needed + _TIE_MARGIN
    while True:
        results = searcher.search(query, filter=filter_query, limit=limit, terms=False)
        top = list(results.items())
        if len(top) < limit or top[-1][1] < top[needed - 1][1]:
            break
        limit *= 2
    top.sort(key=lambda item: (-item[1], ids[item[0]]))
    return [(score, docnum) for docnum, score in top[:needed]]


def _matcher(terms: MatchTerms, strategy: str) -> Matcher:
    """Whether a document word matched: the same steps as the index's two chains."""

    def matches(word: str) -> bool:
        form = normalize(word)
        if form in terms.exact or any(form.startswith(p) for p in terms.prefixes):
            return True
        return bool(terms.stems) and not is_stop_word(form) and not terms.stems.isdisjoint(stems(form, strategy))

    return matches


def _public(stored: dict[str, Any]) -> dict[str, Any]:
    """Stored fields as the API shows them (internal bookkeeping left out)."""
    result = {k: v for k, v in stored.items() if k not in ("content_hash", "source", "metadata")}
    result.setdefault("collection", "")
    result["metadata"] = stored.get("metadata", {})
    return result


def _hit(searcher: Searcher, docnum: int, score: float, matches: Matcher) -> dict[str, Any]:
    stored = searcher.stored_fields(docnum)
    hit = _public(stored)
    text = hit.pop("text")
    hit["score"] = round(score, 4)
    hit["title_html"] = highlight(hit["title"], matches)
    hit["snippet"] = snippet(text, matches)
    return hit


def _interpretation(meaning: Interpretation, mode: str, filters: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "mode": mode,
        "words": meaning.words,
        "ignored_stop_words": meaning.ignored,
        "expansions": meaning.expansions,
        "filters": filters,
        "notes": meaning.notes,
        "parsed": str(meaning.query),
    }
