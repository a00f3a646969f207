"""The searcher: opens an index, answers queries with ranked, highlighted hits,
and follows the index on disk as it is rebuilt or updated.

One :class:`SearchEngine` is shared by every thread of a server. Each search
borrows a Whoosh searcher that no other thread holds (Whoosh readers are not
made for concurrent use) from a pool as large as the threads searching at once,
and at most every ``recheck_seconds`` the engine checks whether a build or an
update swapped in a new generation; then searchers of the new one are opened. (A generation never
changes once live: Whoosh's ``refresh`` kept the old copy of a re-indexed
document beside the new one.)
"""

from __future__ import annotations

import html
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from whoosh.index import EmptyIndexError, FileIndex
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from indexer.analysis.lemmas import use_lexicon
from indexer.analysis.tokenizer import iter_words
from indexer.errors import BadQueryError, DocumentNotFoundError, IndexDamagedError, IndexNotFoundError
from indexer.schema import TEXT_FIELDS
from indexer.settings import Settings
from indexer.storage import IndexMeta, current_generation, damage_as_error, open_generation
from indexer.vocabulary import Vocabulary

from .complete import Typing, being_typed, complete, completes_words, field_candidates
from .highlight import Matcher, Remembered, Verdict, highlight, snippet
from .interpret import Interpretation, Interpreter, MatchTerms, keyword_filter
from .keyboard import from_latin_layout
from .query import Note, ParsedQuery, check_text, parse
from .ranking import DEFAULT_WEIGHTS, Weights
from .scored import Scored
from .suggest import Chains, WordList, suggest
from .vectors import Evaluator, IndexArrays, ranked

MAX_PER_PAGE = 100
MAX_PAGE = 1000
MAX_COMPLETIONS = 20
MAX_COMPLETED_CHARS = 200  # of the text being completed: the last words are what matter
T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass
class _View:
    """One thread's open generation."""

    generation: str
    ix: FileIndex
    searcher: Searcher
    meta: IndexMeta
    # What it shares with the views of its state: kept with it, so that a view of
    # an older generation never reads it again from disk, where a build may have
    # removed it since.
    shared: _Shared | None = None

    @property
    def state(self) -> tuple[str, int]:
        """Which state of the index this searcher reads: generation and commit."""
        return self.generation, self.searcher.reader().generation()

    def close(self) -> None:
        self.searcher.close()
        self.ix.close()


@dataclass
class _Shared:
    """What all threads share for one state of the index: its arrays, analysis chains and words."""

    state: tuple[str, int]
    arrays: IndexArrays
    chains: Chains
    words: WordList | None = None


@dataclass
class SearchEngine:
    index_dir: Path
    weights: Weights = DEFAULT_WEIGHTS
    recheck_seconds: float = 0.5
    _free: list[_View] = field(default_factory=list, repr=False)
    _views: list[_View] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _shared: _Shared | None = field(default=None, repr=False)
    _generation: str = field(default="", repr=False)
    _checked: float = field(default=-math.inf, repr=False)
    _trouble: str = field(default="", repr=False)  # the last problem logged

    def __post_init__(self) -> None:
        self._give_back(self._borrow())  # a missing or outdated index is reported now, not at the first query

    # -- searchers, lent to one thread at a time, kept fresh -------------------------------

    def _borrow(self, force: bool = False) -> _View:
        """A searcher of the live generation for this thread alone, until
        :meth:`_give_back`: as many are open as threads search at once, however
        many threads a server starts and ends (Whoosh readers are not made for
        concurrent use).

        When the live generation cannot be opened (its pointer deleted, a file of
        it damaged), the generation already open goes on serving, and the
        problem is logged; with none open, it is raised."""
        now = time.monotonic()
        try:
            if force or now - self._checked >= self.recheck_seconds:
                self._checked = now
                self._generation = current_generation(self.index_dir).name
            with self._lock:
                for view in self._free:
                    if view.generation == self._generation:
                        self._free.remove(view)
                        return view
                known = self._generation
            view = self._open()
        except (IndexNotFoundError, IndexDamagedError) as error:
            with self._lock:
                if not self._free:
                    raise
                view = self._free.pop()
                self._generation = view.generation
            if str(error) != self._trouble:
                self._trouble = str(error)
                log.error("%s; still serving %s, the generation open before", error, view.generation)
            return view
        self._trouble = ""
        with self._lock:
            self._views.append(view)
            # What was just read from disk is the latest word, unless another thread
            # learned of a newer generation while this one opened (an open takes a
            # while): then this view answers this one request and is retired.
            if self._generation in (known, view.generation):
                self._generation = view.generation
                for old in [v for v in self._free if v.generation != view.generation]:
                    self._free.remove(old)
                    self._retire(old)
        return view

    def _open(self) -> _View:
        ix, meta, generation = open_generation(self.index_dir)
        use_lexicon(generation)  # queries are read as the index read its documents
        try:
            with damage_as_error(self.index_dir, generation):
                view = _View(generation.name, ix, ix.searcher(), meta)
                self._words(view)  # its arrays and words: a damaged index is found now, not by a query
        except BaseException:
            ix.close()
            raise
        return view

    def _give_back(self, view: _View) -> None:
        with self._lock:
            if view.generation == self._generation and view in self._views:
                self._free.append(view)
            else:
                self._retire(view)

    def _retire(self, view: _View) -> None:
        """Close a view that no thread holds; call with the lock held."""
        if view in self._views:
            self._views.remove(view)
            view.close()

    def _fresh(self, operation: Callable[[_View], T]) -> T:
        """Run ``operation`` on a borrowed view; if its generation vanished
        meanwhile (two rebuilds within ``recheck_seconds``), reopen and run again."""
        view = self._borrow()
        try:
            return operation(view)
        except (OSError, EmptyIndexError):
            with self._lock:
                self._retire(view)
            view = self._borrow(force=True)
            return operation(view)
        finally:
            self._give_back(view)

    def _shared_for(self, view: _View) -> _Shared:
        if view.shared is not None:
            return view.shared
        shared = self._shared
        if shared is None or shared.state != view.state:
            with self._lock:
                shared = self._shared
                if shared is None or shared.state != view.state:
                    arrays = IndexArrays(view.searcher.reader(), self.index_dir / view.generation)
                    shared = self._shared = _Shared(
                        view.state, arrays, Chains.of(view.searcher.schema, arrays.word_views)
                    )
        view.shared = shared
        return shared

    def _words(self, view: _View) -> WordList:
        shared = self._shared_for(view)
        if shared.words is None:
            generation = self.index_dir / view.generation
            with damage_as_error(self.index_dir, generation):
                shared.words = WordList.from_vocabulary(Vocabulary.load(generation))
        return shared.words

    def _interpreter(self, view: _View) -> Interpreter:
        """Queries are analyzed by the index's own chains (pickled in its schema)."""
        schema = view.searcher.schema
        return Interpreter(
            view.searcher.reader(),
            schema["text"].analyzer,
            schema["text_stem"].analyzer,
            schema["text_lemma"].analyzer,
            self.weights,
            self._words(view),
        )

    def close(self) -> None:
        with self._lock:
            for view in self._views:
                view.close()
            self._views.clear()
            self._free.clear()

    def __enter__(self) -> SearchEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- queries -----------------------------------------------------------------------

    def search(
        self,
        q: str,
        page: int = 1,
        per_page: int = 10,
        filters: Mapping[str, str | Sequence[str]] | None = None,
        snippets: bool = True,
        correct: bool = True,
    ) -> dict[str, Any]:
        """Ranked hits for one page, with totals, facets, a spelling suggestion and
        how the query was read: the structure the JSON API returns. Without
        ``snippets``, hits carry an empty snippet and an unmarked title (for
        callers that only want the ranking).

        When no document has all the words and the spelling suggestion finds
        documents with all of its words, those are shown instead and
        ``corrected`` says so (``query`` stays what was typed); ``correct=False``
        searches exactly what was typed."""
        started = time.perf_counter()
        _check_page(page, per_page)
        extra = _checked_filters(filters or {})
        parsed = _with_filters(parse(q), extra)
        return self._fresh(
            lambda view: self._search(view, q, parsed, extra, page, per_page, snippets, correct, started)
        )

    def _search(
        self,
        view: _View,
        q: str,
        parsed: ParsedQuery,
        extra: dict[str, list[str]],
        page: int,
        per_page: int,
        snippets: bool,
        correct: bool,
        started: float,
    ) -> dict[str, Any]:
        searcher = view.searcher
        found = self._find(view, parsed)
        suggestion = None
        if found.meaning.words:
            shared = self._shared_for(view)
            suggestion = suggest(q, found.meaning.words, shared.arrays.holds, self._words(view), shared.chains)
        corrected = None
        arabic = from_latin_layout(q)
        typed_in_latin = Note(
            f"{q!r} looks typed with the keyboard in its Latin layout: searched {arabic!r}",
            f"يبدو أن «{q}» كُتب ولوحة المفاتيح على الحروف اللاتينية، فبُحث عن «{arabic}».",
        )
        # Nothing with all the words: the keys read on the Arabic layout, then the spelling.
        for alternative, note in ((arabic, typed_in_latin), (suggestion, None)):
            if not correct or alternative is None or found.has_all_words:
                continue
            better = self._find(view, _with_filters(parse(alternative), extra))
            if better.has_all_words:
                found, corrected, suggestion = better, {"query": alternative, "original": q}, alternative
                if note is not None:
                    found.meaning.notes.append(note)
        arrays = self._shared_for(view).arrays
        offset = (page - 1) * per_page
        best = ranked(found.result, arrays, offset + per_page)
        matches = _matcher(found.meaning.terms, self._shared_for(view).chains) if snippets else None
        hits = [_hit(searcher, docnum, score, matches) for score, docnum in best[offset:]]
        return {
            "query": q,
            "total": found.total,
            "page": page,
            "per_page": per_page,
            "pages": math.ceil(found.total / per_page),
            "took_ms": round((time.perf_counter() - started) * 1000, 2),
            "hits": hits,
            "suggestion": suggestion,
            "corrected": corrected,
            "facets": {"collection": found.facets},
            "interpretation": _interpretation(found.meaning, found.mode, parsed.filters),
        }

    def _find(self, view: _View, parsed: ParsedQuery, rank: bool = True) -> _Found:
        """The documents a parsed query finds: all its words, else any of them;
        with ``rank``, the best of them rescored for their words' proximity."""
        searcher = view.searcher
        reader = searcher.reader()
        meaning = self._interpreter(view).interpret(parsed)
        collection_filter = keyword_filter(
            reader, {k: v for k, v in parsed.filters.items() if k == "collection"}, meaning.notes
        )
        other_filter = keyword_filter(
            reader, {k: v for k, v in parsed.filters.items() if k != "collection"}, meaning.notes
        )

        arrays = self._shared_for(view).arrays
        evaluator = Evaluator(arrays, searcher, self.weights)
        keep = evaluator.evaluate(other_filter) if other_filter is not None else None
        within = evaluator.evaluate(collection_filter) if collection_filter is not None else None
        mode = "every" if meaning.every else "all"
        result = evaluator.evaluate(meaning.query)
        if not result.within(keep).within(within).count() and meaning.fallback is not None:
            fallback = evaluator.evaluate(meaning.fallback)
            if fallback.within(keep).within(within).count():
                mode, result = "any", fallback
                meaning.notes.append(
                    Note(
                        "no document has all the words: showing those with any of them, most first",
                        "لا توجد وثيقة فيها كل الكلمات، فهذه الوثائق التي فيها بعضها، مرتبةً من الأكثر تطابقًا.",
                    )
                )
        result = result.within(keep)
        facets = _facets(result.docs(), arrays)  # before the collection filter: other collections stay on offer
        result = result.within(within)
        if rank and mode == "all" and meaning.bonus is not None:
            evaluator.rescore(result, meaning.bonus, self.weights.rescore_window)
        return _Found(meaning, mode, result, facets, result.count())

    def complete(self, prefix: str, limit: int = 10) -> list[str]:
        """``prefix`` with its last word completed by indexed words, as people
        write them: first those found in the documents that have the words typed
        before it, then the most frequent. No stop words (except inside a quoted
        phrase); after ``title:`` or ``text:``, words of that field only."""
        if not _whole(limit, 1, MAX_COMPLETIONS):
            raise BadQueryError(
                f"limit must be a whole number from 1 to {MAX_COMPLETIONS}",
                f"يجب أن يكون عدد الاقتراحات عددًا صحيحًا من 1 إلى {MAX_COMPLETIONS}.",
            )
        check_text(prefix, "prefix")
        typed = being_typed(prefix[:MAX_COMPLETED_CHARS])
        if typed is None or not completes_words(typed):
            return []
        return self._fresh(lambda view: self._complete(view, typed, limit))

    def _complete(self, view: _View, typed: Typing, limit: int) -> list[str]:
        chains = self._shared_for(view).chains
        form = chains.form(typed.word)
        if not form:  # marks alone: nothing to complete yet
            return []
        reader = view.searcher.reader()
        words = self._words(view)
        fields: tuple[str, ...] = TEXT_FIELDS if typed.field is None else (typed.field,)
        if typed.field is None:
            candidates = words.starting_with(form)
        else:
            candidates = field_candidates(reader, typed.field, form)
        context = self._context(view, typed.context)
        arrays = self._shared_for(view).arrays
        together = None if context is None else _counter(arrays, reader, fields, context)
        return complete(typed, candidates, words, chains, together, limit)

    def _context(self, view: _View, text: str) -> np.ndarray | None:
        """The documents that have what was typed before the last word, read as a
        query; None when it has no words, cannot be read or finds nothing."""
        if next(iter_words(text), None) is None:
            return None
        try:
            found = self._find(view, parse(text), rank=False)
        except BadQueryError:
            return None
        return found.result.dense_mask() if found.has_all_words else None

    def document(self, doc_id: str, q: str | None = None) -> dict[str, Any]:
        """A document with its full original text; with ``q``, the text and title
        with the query's matches marked (``text_html``, ``title_html``)."""
        return self._fresh(lambda view: self._document(view, doc_id, q))

    def _document(self, view: _View, doc_id: str, q: str | None) -> dict[str, Any]:
        check_text(doc_id, "document id")
        stored = view.searcher.document(id=doc_id)
        if stored is None:
            raise DocumentNotFoundError(doc_id)
        result = _public(stored)
        if q:
            matches = _matcher(self._interpreter(view).interpret(parse(q)).terms, self._shared_for(view).chains)
            result["title_html"] = highlight(result["title"], matches)
            result["text_html"] = highlight(result["text"], matches)
        return result

    def info(self) -> dict[str, Any]:
        return self._fresh(self._info)

    def _info(self, view: _View) -> dict[str, Any]:
        arrays = self._shared_for(view).arrays
        return {
            "documents": view.searcher.doc_count(),
            "schema_version": view.meta.schema_version,
            "generation": view.generation,
            "stemmer": view.meta.stemmer,
            "built_at": view.meta.built_at,
            "updated_at": view.meta.updated_at,
            "collections": _facets(arrays.live, arrays),
        }


@dataclass
class _Found:
    """What one query finds, before ranking: the hits' mask and scores, within the filters."""

    meaning: Interpretation
    mode: str  # all, any (no document had all the words), every (no words)
    result: Scored
    facets: list[dict[str, Any]]
    total: int

    @property
    def has_all_words(self) -> bool:
        return self.mode != "any" and self.total > 0


def open_index(index_dir: str | os.PathLike[str] | None = None, *, weights: Weights = DEFAULT_WEIGHTS) -> SearchEngine:
    """Open the index for searching; raises IndexNotFoundError or SchemaVersionError now."""
    directory = Path(index_dir) if index_dir else Settings.load().index_dir
    return SearchEngine(directory, weights)


def _whole(value: object, lowest: int, highest: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and lowest <= value <= highest


def _counter(
    arrays: IndexArrays, reader: IndexReader, fields: tuple[str, ...], within: np.ndarray
) -> Callable[[str], int]:
    """How many documents of ``within`` have a given (normalized) word in any of ``fields``."""

    def count(word: str) -> int:
        docs = np.concatenate([arrays.postings(name, word)[0] for name in fields])
        return int(np.count_nonzero(within[docs]))  # a document with it in both fields counts once

    return count


def _checked_filters(filters: Mapping[str, str | Sequence[str]]) -> dict[str, list[str]]:
    """Filters given beside the query, checked: collection, id and date, each one or more texts."""
    checked: dict[str, list[str]] = {}
    for name, values in filters.items():
        if name not in ("collection", "id", "date"):
            raise BadQueryError(
                f"cannot filter on {name!r}: filters are collection, id and date",
                "لا تصفية إلا بالمجموعة (collection) والمعرّف (id) والتاريخ (date).",
            )
        values = [values] if isinstance(values, str) else values
        if not isinstance(values, list | tuple) or not all(isinstance(v, str) and v.strip() for v in values):
            raise BadQueryError(
                f"the {name} filter takes one or more non-empty texts",
                "تأخذ هذه التصفية نصًا واحدًا أو أكثر غير فارغ.",
            )
        for value in values:
            check_text(value, f"{name} filter")
        checked[name] = list(values)
    return checked


def _with_filters(parsed: ParsedQuery, filters: dict[str, list[str]]) -> ParsedQuery:
    for name, values in filters.items():
        parsed.filters.setdefault(name, []).extend(values)
    return parsed


def _check_page(page: object, per_page: object) -> None:
    if not _whole(page, 1, MAX_PAGE):
        raise BadQueryError(
            f"page must be a whole number from 1 to {MAX_PAGE}",
            f"يجب أن يكون رقم الصفحة عددًا صحيحًا من 1 إلى {MAX_PAGE:,}.",
        )
    if not _whole(per_page, 1, MAX_PER_PAGE):
        raise BadQueryError(
            f"per_page must be a whole number from 1 to {MAX_PER_PAGE}",
            f"يجب أن يكون عدد النتائج في الصفحة عددًا صحيحًا من 1 إلى {MAX_PER_PAGE}.",
        )


def _facets(docs: np.ndarray, arrays: IndexArrays) -> list[dict[str, Any]]:
    """Documents per collection among ``docs``, most first."""
    counts = np.bincount(arrays.codes[docs], minlength=len(arrays.collections))
    order = sorted(np.flatnonzero(counts), key=lambda c: (-counts[c], arrays.collections[c]))
    return [{"value": arrays.collections[c], "count": int(counts[c])} for c in order]


def _matcher(terms: MatchTerms, chains: Chains) -> Remembered:
    """How a document word matched: the word as the index's own chains (pickled in
    its schema) made it in each view, so highlights agree with what was found."""
    views = chains.views
    stemmed = bool(terms.stems) or any(slot.stems for phrase in terms.phrases for slot in phrase)

    def matches(word: str) -> Verdict:
        exact, stems, lemmas = views(word)
        # Without stems in the query, the stem view gives no word a phrase place.
        return terms.verdict(exact, stems if stemmed else (), lemmas)

    return Remembered(matches, tuple(len(phrase) for phrase in terms.phrases))


def _public(stored: dict[str, Any]) -> dict[str, Any]:
    """Stored fields as the API shows them (internal bookkeeping left out)."""
    result = {k: v for k, v in stored.items() if k not in ("content_hash", "source", "metadata")}
    result.setdefault("collection", "")
    result["metadata"] = stored.get("metadata", {})
    return result


def _hit(searcher: Searcher, docnum: int, score: float, matches: Matcher | None) -> dict[str, Any]:
    stored = searcher.stored_fields(docnum)
    hit = _public(stored)
    text = hit.pop("text")
    hit["score"] = round(score, 4)
    hit["title_html"] = highlight(hit["title"], matches) if matches else html.escape(hit["title"])
    hit["snippet"] = snippet(text, matches) if matches else ""
    return hit


def _interpretation(meaning: Interpretation, mode: str, filters: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "mode": mode,
        "words": meaning.words,
        "ignored_stop_words": meaning.ignored,
        "expansions": meaning.expansions,
        "filters": filters,
        "notes": [note.english for note in meaning.notes],
        "notes_ar": [note.arabic for note in meaning.notes],
        "parsed": str(meaning.query),
    }
