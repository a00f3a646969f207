"""From the parsed query to what is searched: analysis of each word with the
index's own chains, stop words, expansion of wildcards and fuzzy words within
limits, filters, and the record of it all that the response shows."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from itertools import islice

from whoosh import query as wq
from whoosh.analysis import Analyzer
from whoosh.reading import IndexReader

from indexer.analysis.lemmas import lemmas_of_root
from indexer.analysis.normalize import fold_digits, normalize
from indexer.analysis.tokenizer import MAX_TOKEN_CHARS
from indexer.errors import BadQueryError
from indexer.schema import LEMMA_SUFFIX, TEXT_FIELDS

from .highlight import Verdict
from .query import AllOf, AnyOf, Node, Note, ParsedQuery, Phrase, Word
from .ranking import (
    Weights,
    exact_query,
    lemma_query,
    phrase_query,
    proximity_query,
    typed_order_query,
    word_query,
)
from .suggest import WordList

MAX_PREFIX_TERMS = 500
MIN_PREFIX_CHARS = 2
MAX_FUZZY_TERMS = 50
MIN_FUZZY_CHARS = 3


@dataclass(frozen=True)
class Slot:
    """One word of a phrase: its forms as written, and its stems when the phrase
    is also matched through the stem view (empty when it is not)."""

    exact: frozenset[str]
    stems: frozenset[str] = frozenset()


@dataclass
class MatchTerms:
    """What a document word must become in the index's views to count as matched,
    for highlighting: alone (``exact``, ``stems``, ``lemmas``, ``prefixes``) or at its
    place in one of the ``phrases`` (a word matched only inside a phrase is not marked alone)."""

    exact: set[str] = field(default_factory=set)
    stems: set[str] = field(default_factory=set)
    lemmas: set[str] = field(default_factory=set)
    prefixes: set[str] = field(default_factory=set)
    phrases: list[tuple[Slot, ...]] = field(default_factory=list)

    def verdict(self, exact: Collection[str], stems: Collection[str], lemmas: Collection[str] = ()) -> Verdict:
        """How a document word with these forms (as written), stems and lemmas (none
        for a stop word) matched the query."""
        prefixes = tuple(self.prefixes)
        alone = (
            not self.exact.isdisjoint(exact)
            or not self.stems.isdisjoint(stems)
            or not self.lemmas.isdisjoint(lemmas)
            or (bool(prefixes) and any(form.startswith(prefixes) for form in exact))
        )
        if not self.phrases:
            return Verdict(alone)
        return Verdict(
            alone, (self._places(exact, lambda slot: slot.exact), self._places(stems, lambda slot: slot.stems))
        )

    def _places(
        self, forms: Collection[str], of: Callable[[Slot], frozenset[str]]
    ) -> frozenset[tuple[int, int]] | None:
        """The (phrase, word) places these forms fill in one view; None when the
        view gives the word no position (a stop word has none in the stem view)."""
        if not forms:
            return None
        return frozenset(
            (k, j)
            for k, slots in enumerate(self.phrases)
            for j, slot in enumerate(slots)
            if not of(slot).isdisjoint(forms)
        )


@dataclass
class Interpretation:
    query: wq.Query  # what matches, and its BM25 scores
    bonus: wq.Query | None  # words close together: added to the best documents' scores (second phase)
    every: bool  # no words, only exclusions or filters: every document matches
    fallback: wq.Query | None  # any-word query, when all words find nothing
    terms: MatchTerms
    words: list[str]  # the searched words as typed, for spelling suggestions
    ignored: list[str] = field(default_factory=list)  # stop words left out
    expansions: dict[str, list[str]] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)


@dataclass
class _Piece:
    query: wq.Query
    stop_word: bool = False
    typed: str = ""
    stem_positions: list[list[str]] = field(default_factory=list)


class Interpreter:
    """Turns one parsed query into Whoosh queries for one index."""

    def __init__(
        self, reader: IndexReader, exact: Analyzer, stem: Analyzer, lemma: Analyzer, weights: Weights, words: WordList
    ) -> None:
        self.reader = reader
        self.words_list = words
        self.exact = exact
        self.stem = stem
        self.lemma = lemma
        self.weights = weights
        self.terms = MatchTerms()
        self.words: list[str] = []
        self.ignored: list[str] = []
        self.expansions: dict[str, list[str]] = {}
        self.notes: list[Note] = []

    def interpret(self, parsed: ParsedQuery) -> Interpretation:
        self.notes.extend(parsed.notes)
        required, excluded = self.all_of(parsed.root)
        pieces = [p for p in required if p is not None]
        match = _conjunction([p.query for p in pieces])
        bonus = fallback = None
        if len(pieces) > 1:
            fallback = _exclude(wq.Or([p.query for p in pieces]), excluded)
            positions = [pos for p in pieces for pos in p.stem_positions]
            if len(positions) > 1 and all(p.stem_positions for p in pieces):
                bonus = proximity_query(positions, self.weights)
            order = self.typed_order(parsed.root)
            if order and self.weights.typed_order:
                in_order = typed_order_query(order, self.weights)
                bonus = in_order if bonus is None else wq.Or([bonus, in_order])
        if not pieces and not parsed.root.required and (excluded or parsed.filters):
            self.notes.append(_every(bool(excluded), bool(parsed.filters)))
        elif not pieces:
            why = self.notes or [Note("the query has no words", "ليس في البحث كلمات")]
            raise BadQueryError(
                "nothing to search for: " + "; ".join(n.english for n in why),
                "لا شيء يُبحث عنه: " + "؛ ".join(n.arabic.rstrip(".") for n in why) + ".",
            )
        return Interpretation(
            query=_exclude(match, excluded),
            bonus=bonus,
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

    def typed_order(self, node: AllOf) -> list[list[str]]:
        """The exact forms of a query of plain words in the order typed, stop words
        included (none for anything else: a quoted phrase is already in order)."""
        words = node.required
        if len(words) < 2 or not all(isinstance(w, Word) and w.kind == "word" and not w.field for w in words):
            return []
        return [forms for word in words for forms in _by_position(self.exact, word.text)]

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
        if len(positions) > 1:  # punctuation inside, as in 2021م: the parts must stand together
            return self.phrase(Phrase(word.text, word.field))
        too_long = _too_long(word.text)
        self.notes.extend(too_long or ([] if positions else [_no_letters(word.text)]))
        if not positions:
            return None
        forms = positions[0]  # one form, or two spellings of an Uthmani word
        form = forms[0]
        if word.kind == "exact":
            self.terms.exact.update(forms)
            self.words.append(word.text)
            return _Piece(exact_query(fields, forms, self.weights), typed=word.text)
        if word.kind == "prefix":
            return self.prefix(word, fields, form)
        if word.kind == "fuzzy":
            return self.fuzzy(word, fields, forms)
        if word.kind == "root":
            return self.root_word(word, fields)
        stems = [t.text for t in self.stem(word.text, mode="query")]
        lemmas = self.lemmas(word.text)
        self.words.append(word.text)
        self.terms.stems.update(stems)
        self.terms.exact.update(forms)
        self.terms.lemmas.update(lemmas)
        return _Piece(
            word_query(fields, forms, stems, lemmas, self.weights),
            stop_word=not stems,
            typed=word.text,
            stem_positions=[stems] if stems else [],
        )

    def phrase(self, phrase: Phrase) -> _Piece | None:
        fields = (phrase.field,) if phrase.field else TEXT_FIELDS
        exact_positions = _by_position(self.exact, phrase.text)
        too_long = _too_long(phrase.text)
        if not exact_positions:
            self.notes.extend(too_long or [_no_letters(phrase.text)])
            return None
        if len(exact_positions) == 1:  # one quoted word: that exact form
            return self.word(Word(phrase.text.strip(), "exact", field=phrase.field))
        self.notes.extend(too_long)
        stem_positions = _by_position(self.stem, phrase.text)
        if len(stem_positions) != len(exact_positions):
            # A stop word inside has no place in the stem view: its neighbours would
            # match anywhere near each other ("رب العالمين" would find العالم alone).
            stem_positions = []
        stems = stem_positions or [[] for _ in exact_positions]
        self.terms.phrases.append(
            tuple(Slot(frozenset(forms), frozenset(s)) for forms, s in zip(exact_positions, stems, strict=True))
        )
        return _Piece(phrase_query(fields, exact_positions, stem_positions, self.weights), typed=phrase.text)

    def lemmas(self, text: str) -> list[str]:
        """The word's lemmas, when the ranking uses the lemma view at all."""
        return [t.text for t in self.lemma(text, mode="query")] if self.weights.lemma else []

    def root_word(self, word: Word, fields: tuple[str, ...]) -> _Piece | None:
        """``root:كتب``: every word of the root, through the lemmas the lexicon
        derives from it that the index holds; ``root:مكتبة`` stands for its root."""
        derived = lemmas_of_root(word.text)
        if not derived:
            self.notes.append(
                Note(
                    f"'root:{word.text}': no root or word of the dictionary, so it was ignored",
                    f"«root:{word.text}»: ليس جذرًا ولا كلمة في المعجم، فأُهمل.",
                )
            )
            return None
        reader = self.reader
        found = [x for x in derived if any(reader.doc_frequency(name + LEMMA_SUFFIX, x) for name in fields)]
        self.terms.lemmas.update(found)
        self.expansions[f"root:{word.text}"] = found
        query = lemma_query(fields, found, self.weights.exact) if found else wq.NullQuery
        return _Piece(query, typed=word.text)

    def prefix(self, word: Word, fields: tuple[str, ...], form: str) -> _Piece:
        if len(form) < MIN_PREFIX_CHARS:
            raise BadQueryError(
                f"'{word.text}*': type at least {MIN_PREFIX_CHARS} letters before '*'",
                f"«{word.text}*»: اكتب قبل «*» حروفًا لا يقل عددها عن {MIN_PREFIX_CHARS}.",
            )
        found: set[str] = set()
        for name in fields:
            found.update(t.decode("utf-8") for t in islice(self.reader.expand_prefix(name, form), MAX_PREFIX_TERMS + 1))
            if len(found) > MAX_PREFIX_TERMS:
                raise BadQueryError(
                    f"'{word.text}*' matches more than {MAX_PREFIX_TERMS} different words; type more letters",
                    f"«{word.text}*» يطابق أكثر من {MAX_PREFIX_TERMS} كلمة مختلفة؛ اكتب حروفًا أكثر.",
                )
        terms = sorted(found)
        self.terms.prefixes.add(form)
        self.expansions[word.text + "*"] = terms
        return _Piece(exact_query(fields, terms, self.weights), typed=word.text)

    def fuzzy(self, word: Word, fields: tuple[str, ...], forms: list[str]) -> _Piece:
        """The word as a plain word would find it (its forms and stems), or a word
        near it: a fuzzy word never finds less than the word itself."""
        form = forms[0]
        if len(form) < MIN_FUZZY_CHARS:
            raise BadQueryError(
                f"'{word.text}~': a fuzzy search needs a word of at least {MIN_FUZZY_CHARS} letters",
                f"«{word.text}~»: البحث التقريبي يحتاج كلمة من {MIN_FUZZY_CHARS} أحرف على الأقل.",
            )
        # Nearest first, then the most frequent: a rare neighbour of a rare word is rarely what was meant.
        near = [w for w, _ in self.words_list.near(form, word.distance)[:MAX_FUZZY_TERMS] if w not in forms]
        stems = [t.text for t in self.stem(word.text, mode="query")]
        self.terms.exact.update(forms, near)
        self.terms.stems.update(stems)
        self.words.append(word.text)
        self.expansions[f"{word.text}~{word.distance}"] = [f for f in forms if f in self.words_list] + near
        query = word_query(fields, forms, stems, [], self.weights)
        if near:
            query = wq.Or([query, exact_query(fields, near, self.weights)])
        return _Piece(query, typed=word.text)


# What separates words for the purpose of naming one too long to be a word.
_SEPARATORS = re.compile(r"[\s.,;:!?،؛؟«»\"'()\[\]{}]+")


def _too_long(text: str) -> list[Note]:
    """A note for each "word" of ``text`` longer than the index keeps: it was left out."""
    return [
        Note(
            f"'{part[:40]}…' is too long to be a word (at most {MAX_TOKEN_CHARS} letters) and was ignored",
            f"«{part[:40]}…» أطول من أن يكون كلمة (الحد {MAX_TOKEN_CHARS} حرفًا)، فأُهمل.",
        )
        for part in _SEPARATORS.split(text)
        if len(part) > MAX_TOKEN_CHARS and any(c.isalnum() for c in part)
    ]


def _no_letters(text: str) -> Note:
    return Note(f"'{text}' has no letters or digits and was ignored", f"«{text}» ليس فيه حروف ولا أرقام، فأُهمل.")


def _every(excluded: bool, filters: bool) -> Note:
    """The note for a query without words: which documents it lists."""
    if excluded and filters:
        return Note(
            "no words to look for: every document the filters allow is shown, without the excluded ones",
            "لا كلمات يُبحث عنها: تُعرض كل الوثائق التي تستوفي شروط التصفية، عدا المستبعدة.",
        )
    if excluded:
        return Note(
            "no words to look for: every document is shown, without the excluded ones",
            "لا كلمات يُبحث عنها: تُعرض كل الوثائق عدا المستبعدة.",
        )
    return Note(
        "no words to look for: the documents the filters allow are shown, in id order",
        "لا كلمات يُبحث عنها: تُعرض الوثائق التي تستوفي شروط التصفية، مرتبةً حسب معرّفاتها.",
    )


def _by_position(analyzer: Analyzer, text: str) -> list[list[str]]:
    """The analyzer's terms for ``text``, grouped by position (a word may have several)."""
    positions: dict[int, list[str]] = {}
    for token in analyzer(text, positions=True, mode="query"):
        positions.setdefault(token.pos, []).append(token.text)
    return [positions[p] for p in sorted(positions)]


def keyword_filter(reader: IndexReader, filters: dict[str, list[str]], notes: list[Note]) -> wq.Query | None:
    """Filters on keyword fields, with a note for a filter that no document passes.
    A collection matches when its words contain the typed words in any spelling
    (collection:مسلم finds "صحيح مسلم"); a date when it starts with the typed
    text, in any digits (date:٢٠٢٣ finds 2023-05-01)."""
    clauses: list[wq.Query] = []
    for name, values in filters.items():
        indexed = name in reader.indexed_field_names()
        typed = "، ".join(values)
        if name == "collection":
            known = list(reader.field_terms(name)) if indexed else []
            chosen = sorted({c for v in values for c in known if _words_within(v, c)})
            if not chosen:
                shown = "، ".join(known)
                notes.append(
                    Note(
                        f"no collection matches {typed}; the collections are: {shown or 'none'}",
                        f"لا مجموعة تطابق «{typed}»؛ "
                        + (f"المجموعات هي: {shown}." if known else "ليس في الفهرس مجموعات."),
                    )
                )
        elif name == "date":
            prefixes = {p for v in values for p in (v, fold_digits(v))}
            chosen = (
                sorted({d.decode("utf-8") for p in prefixes for d in reader.expand_prefix(name, p)}) if indexed else []
            )
            if not chosen:
                notes.append(
                    Note(
                        f"no document has a date starting with {typed}"
                        + ("" if indexed else " (the documents of this index have no dates)"),
                        f"لا توجد وثيقة يبدأ تاريخها بـ«{typed}»"
                        + ("." if indexed else "، فوثائق هذا الفهرس بلا تواريخ."),
                    )
                )
        else:
            chosen = [v for v in values if indexed and reader.doc_frequency(name, v)]
            if not chosen:
                notes.append(Note(f"no document has the {name} {typed}", f"لا توجد وثيقة بالمعرّف «{typed}»."))
        clauses.append(wq.Or([wq.Term(name, v) for v in chosen]) if chosen else wq.NullQuery)
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
