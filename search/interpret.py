"""From the parsed query to what is searched: analysis of each word with the
index's own chains, stop words, expansion of wildcards and fuzzy words within
limits, filters, and the record of it all that the response shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice

from whoosh import query as wq
from whoosh.analysis import Analyzer
from whoosh.reading import IndexReader

from indexer.analysis.normalize import normalize
from indexer.analysis.tokenizer import MAX_TOKEN_CHARS
from indexer.errors import BadQueryError
from indexer.schema import TEXT_FIELDS

from .query import AllOf, AnyOf, Node, ParsedQuery, Phrase, Word
from .ranking import Weights, exact_query, phrase_query, proximity_query, word_query
from .suggest import WordList

MAX_PREFIX_TERMS = 500
MIN_PREFIX_CHARS = 2
MAX_FUZZY_TERMS = 50
MIN_FUZZY_CHARS = 3


@dataclass
class MatchTerms:
    """What a document word must be to count as matched: for highlighting."""

    exact: set[str] = field(default_factory=set)
    stems: set[str] = field(default_factory=set)
    prefixes: set[str] = field(default_factory=set)


@dataclass
class Interpretation:
    query: wq.Query  # what matches, plus (AndMaybe) bonuses for words close together
    every: bool  # no words, only exclusions or filters: every document matches
    fallback: wq.Query | None  # any-word query, when all words find nothing
    terms: MatchTerms
    words: list[str]  # the searched words as typed, for spelling suggestions
    ignored: list[str] = field(default_factory=list)  # stop words left out
    expansions: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class _Piece:
    query: wq.Query
    stop_word: bool = False
    typed: str = ""
    stem_positions: list[list[str]] = field(default_factory=list)


class Interpreter:
    """Turns one parsed query into Whoosh queries for one index."""

    def __init__(self, reader: IndexReader, exact: Analyzer, stem: Analyzer, weights: Weights, words: WordList) -> None:
        self.reader = reader
        self.words_list = words
        self.exact = exact
        self.stem = stem
        self.weights = weights
        self.terms = MatchTerms()
        self.words: list[str] = []
        self.ignored: list[str] = []
        self.expansions: dict[str, list[str]] = {}
        self.notes: list[str] = []

    def interpret(self, parsed: ParsedQuery) -> Interpretation:
        self.notes.extend(parsed.notes)
        required, excluded = self.all_of(parsed.root)
        pieces = [p for p in required if p is not None]
        match = _conjunction([p.query for p in pieces])
        scored = match
        fallback = None
        if len(pieces) > 1:
            fallback = _exclude(wq.Or([p.query for p in pieces]), excluded)
            positions = [pos for p in pieces for pos in p.stem_positions]
            if len(positions) > 1 and all(p.stem_positions for p in pieces):
                scored = wq.AndMaybe(match, proximity_query(positions, self.weights))
        if not pieces and not parsed.root.required and (excluded or parsed.filters):
            self.notes.append("no words to look for: every document is shown, without the excluded ones")
        elif not pieces:
            raise BadQueryError("nothing to search for: " + "; ".join(self.notes or ["the query has no words"]))
        return Interpretation(
            query=_exclude(scored, excluded),
            every=not pieces,
            fallback=fallback,
            terms=self.terms,
            words=self.words,
            ignored=self.ignored,
            expansions=self.expansions,
            notes=self.notes,
        )

    def all_of(self, node: AllOf) -> tuple[list[_Piece | None], list[wq.Query]]:
        """Required pieces (stop words dropped when other words remain) and excluded queries."""
        pieces = [self.node(child) for child in node.required]
        real = [p for p in pieces if p is not None]
        if any(not p.stop_word for p in real):
            for piece in real:
                if piece.stop_word:
                    self.ignored.append(piece.typed)
            pieces = [p for p in real if not p.stop_word]
        excluded = [p.query for p in map(self.node, node.excluded) if p is not None]
        return pieces, excluded

    def node(self, node: Node) -> _Piece | None:
        if isinstance(node, Word):
            return self.word(node)
        if isinstance(node, Phrase):
            return self.phrase(node)
        if isinstance(node, AnyOf):
            items = [p for p in map(self.node, node.items) if p is not None]
            return _Piece(wq.Or([p.query for p in items])) if items else None
        required, excluded = self.all_of(node)
        real = [p for p in required if p is not None]
        if not real and not excluded:
            return None
        return _Piece(_exclude(_conjunction([p.query for p in real]), excluded))

    def word(self, word: Word) -> _Piece | None:
        fields = (word.field,) if word.field else TEXT_FIELDS
        positions = _by_position(self.exact, word.text)
        if not positions:
            self.notes.append(_nothing_in(f"'{word.text}'"))
            return None
        if len(positions) > 1:  # punctuation inside, as in 2021م: the parts must stand together
            return self.phrase(Phrase(word.text, word.field))
        forms = positions[0]  # one form, or two spellings of an Uthmani word
        form = forms[0]
        if word.kind == "exact":
            self.terms.exact.update(forms)
            self.words.append(word.text)
            return _Piece(exact_query(fields, forms, self.weights), typed=word.text)
        if word.kind == "prefix":
            return self.prefix(word, fields, form)
        if word.kind == "fuzzy":
            return self.fuzzy(word, fields, form)
        stems = [t.text for t in self.stem(word.text, mode="query")]
        self.words.append(word.text)
        self.terms.stems.update(stems)
        self.terms.exact.update(forms)
        return _Piece(
            word_query(fields, forms, stems, self.weights),
            stop_word=not stems,
            typed=word.text,
            stem_positions=[stems] if stems else [],
        )

    def phrase(self, phrase: Phrase) -> _Piece | None:
        fields = (phrase.field,) if phrase.field else TEXT_FIELDS
        exact_positions = _by_position(self.exact, phrase.text)
        if not exact_positions:
            self.notes.append(_nothing_in(f'"{phrase.text}"'))
            return None
        if len(exact_positions) == 1:  # one quoted word: that exact form
            return self.word(Word(phrase.text.strip(), "exact", field=phrase.field))
        stem_positions = _by_position(self.stem, phrase.text)
        for forms in exact_positions:
            self.terms.exact.update(forms)
        for stems in stem_positions:
            self.terms.stems.update(stems)
        return _Piece(phrase_query(fields, exact_positions, stem_positions, self.weights), typed=phrase.text)

    def prefix(self, word: Word, fields: tuple[str, ...], form: str) -> _Piece:
        if len(form) < MIN_PREFIX_CHARS:
            raise BadQueryError(f"'{word.text}*': type at least {MIN_PREFIX_CHARS} letters before '*'")
        found: set[str] = set()
        for name in fields:
            found.update(t.decode("utf-8") for t in islice(self.reader.expand_prefix(name, form), MAX_PREFIX_TERMS + 1))
            if len(found) > MAX_PREFIX_TERMS:
                raise BadQueryError(
                    f"'{word.text}*' matches more than {MAX_PREFIX_TERMS} different words; type more letters"
                )
        terms = sorted(found)
        self.terms.prefixes.add(form)
        self.expansions[word.text + "*"] = terms
        return _Piece(exact_query(fields, terms, self.weights), typed=word.text)

    def fuzzy(self, word: Word, fields: tuple[str, ...], form: str) -> _Piece:
        if len(form) < MIN_FUZZY_CHARS:
            raise BadQueryError(f"'{word.text}~': a fuzzy search needs a word of at least {MIN_FUZZY_CHARS} letters")
        # Nearest first, then the most frequent: a rare neighbour of a rare word is rarely what was meant.
        terms = [w for w, _ in self.words_list.near(form, word.distance)[:MAX_FUZZY_TERMS]]
        if form in self.words_list:
            terms.insert(0, form)
        self.terms.exact.update(terms)
        self.words.append(word.text)
        self.expansions[f"{word.text}~{word.distance}"] = terms
        return _Piece(exact_query(fields, terms, self.weights), typed=word.text)


def _nothing_in(text: str) -> str:
    if any(c.isalnum() for c in text):
        return f"{text[:40]}… is too long to be a word ({MAX_TOKEN_CHARS} letters at most) and was ignored"
    return f"{text} has no letters or digits and was ignored"


def _by_position(analyzer: Analyzer, text: str) -> list[list[str]]:
    """The analyzer's terms for ``text``, grouped by position (a word may have several)."""
    positions: dict[int, list[str]] = {}
    for token in analyzer(text, positions=True, mode="query"):
        positions.setdefault(token.pos, []).append(token.text)
    return [positions[p] for p in sorted(positions)]


def keyword_filter(reader: IndexReader, filters: dict[str, list[str]], notes: list[str]) -> wq.Query | None:
    """Filters on keyword fields. A collection matches when its words contain the
    typed words in any spelling (collection:مسلم finds "صحيح مسلم")."""
    clauses: list[wq.Query] = []
    for name, values in filters.items():
        if name == "collection":
            known = list(reader.field_terms("collection")) if "collection" in reader.indexed_field_names() else []
            chosen = {c for v in values for c in known if _words_within(v, c)}
            if not chosen:
                shown = "، ".join(known) or "none"
                notes.append(f"no collection matches {'، '.join(values)}; the collections are: {shown}")
            clauses.append(wq.Or([wq.Term("collection", c) for c in sorted(chosen)]) if chosen else wq.NullQuery)
        elif name == "date":
            clauses.append(wq.Or([wq.Prefix("date", v) for v in values]))
        else:
            clauses.append(wq.Or([wq.Term(name, v) for v in values]))
    return _conjunction(clauses) if clauses else None


def _words_within(typed: str, value: str) -> bool:
    wanted = {normalize(w) for w in typed.split()}
    return bool(wanted) and wanted <= {normalize(w) for w in value.split()}


def _conjunction(queries: list[wq.Query]) -> wq.Query:
    if not queries:
        return wq.Every()
    return queries[0] if len(queries) == 1 else wq.And(queries)


def _exclude(query: wq.Query, excluded: list[wq.Query]) -> wq.Query:
    return wq.AndNot(query, wq.Or(excluded)) if excluded else query
