"""Ranking: the parsed query turned into a weighted Whoosh query.

BM25F scores each field; these weights then say what counts for more:

* a match in the title over one in the body (``title``);
* the exact written form (normalized) over a match through the stem only
  (``exact`` versus ``stem``): a document with the word as typed gets both;
  and a match through the stem over one through the lemma only (``lemma``):
  the lemma view adds broken plurals and weak verbs without pushing closer forms down;
* words next to each other (a phrase) or near each other over scattered words
  (``phrase``, ``proximity`` within ``proximity_slop`` words), and the words of
  an unquoted query side by side as typed (``typed_order``).

They are named settings; ``bench/relevance.py`` measures the alternatives.
Weighting the exact form 1.0, 1.5 or 3.0 times the stem changes MAP by under
0.001 there; 1.5 keeps the typed form first when both match.
"""

from __future__ import annotations

from dataclasses import dataclass

from whoosh import query as wq

from indexer.schema import LEMMA_SUFFIX, STEM_SUFFIX


@dataclass(frozen=True)
class Weights:
    title: float = 2.0
    exact: float = 1.5
    stem: float = 1.0
    # 0.15 to 0.6 measure the same MAP on the Qur'an (within 0.002); 0.3 cost known
    # items drawn anywhere in a hadith 0.010 MRR@10 (p = 0.01), 0.15 cost 0.002 (p = 0.54);
    # on those drawn after the chain of narrators neither costs anything.
    lemma: float = 0.15
    phrase: float = 2.0
    proximity: float = 1.0
    proximity_slop: int = 5
    # Hadith full names P@10 / known-item MRR@10: 0.560 / 0.819 without it; 0.988 /
    # 0.916 at 1.0, 0.994 / 0.921 at 2.0 and 4.0.
    typed_order: float = 2.0
    # Two-phase ranking: the proximity and typed-order bonuses are computed for this
    # many of the best documents by BM25 (see Evaluator.rescore).
    rescore_window: int = 100
    # Measured on bench/relevance.py: b=0.4 beats the usual 0.75 (MAP 0.613 -> 0.616,
    # p = 0.02; inflected 0.745 -> 0.751, p < 0.001); 0.2 gains 0.003 more, not
    # significantly, and would favour long documents.
    bm25_b: float = 0.4
    bm25_k1: float = 1.2

    def field(self, name: str) -> float:
        return self.title if name == "title" else 1.0


DEFAULT_WEIGHTS = Weights()


def word_query(
    fields: tuple[str, ...], forms: list[str], stems: list[str], lemmas: list[str], weights: Weights
) -> wq.Query:
    """A word in its exact form(s), through its stems and through its lemmas, in each field."""
    subqueries: list[wq.Query] = []
    for name in fields:
        subqueries.extend(wq.Term(name, form, boost=weights.field(name) * weights.exact) for form in forms)
        if stems:
            stem_terms = [wq.Term(name + STEM_SUFFIX, s) for s in stems]
            subqueries.append(wq.Or(stem_terms, boost=weights.field(name) * weights.stem))
        if lemmas and weights.lemma:
            subqueries.append(lemma_query((name,), lemmas, weights.field(name) * weights.lemma))
    return wq.Or(subqueries)


def lemma_query(fields: tuple[str, ...], lemmas: list[str], boost: float) -> wq.Query:
    """Any of these lemmas, in each field's lemma view."""
    return wq.Or([wq.Term(name + LEMMA_SUFFIX, lemma) for name in fields for lemma in lemmas], boost=boost)


def exact_query(fields: tuple[str, ...], terms: list[str], weights: Weights) -> wq.Query:
    """Any of these normalized forms, with no stemming (=word, prefix and fuzzy expansions)."""
    if not terms:
        return wq.NullQuery
    return wq.Or([wq.Term(name, term, boost=weights.field(name) * weights.exact) for name in fields for term in terms])


def phrase_query(
    fields: tuple[str, ...], exact_positions: list[list[str]], stem_positions: list[list[str]], weights: Weights
) -> wq.Query:
    """The words in order: as written (stop words included) and through stems."""
    subqueries: list[wq.Query] = []
    for name in fields:
        boost = weights.field(name) * weights.phrase
        subqueries.append(_sequence(name, exact_positions, slop=1, boost=boost * weights.exact))
        if stem_positions:
            subqueries.append(_sequence(name + STEM_SUFFIX, stem_positions, slop=1, boost=boost * weights.stem))
    return wq.Or(subqueries)


def proximity_query(stem_positions: list[list[str]], weights: Weights) -> wq.Query:
    """An optional bonus for documents where the query's words stand close together."""
    return wq.Or(
        [
            _sequence(name + STEM_SUFFIX, stem_positions, slop=weights.proximity_slop, boost=weights.field(name))
            for name in ("title", "text")
        ],
        boost=weights.proximity,
    )


def typed_order_query(exact_positions: list[list[str]], weights: Weights) -> wq.Query:
    """An optional bonus for documents holding the words as typed, side by side and
    in order, stop words included: a name in full (عثمان بن عمر) over its words
    apart or over another man's (عثمان بن عمرو, the same stems)."""
    return wq.Or(
        [
            _sequence(name, exact_positions, slop=1, boost=weights.field(name) * weights.exact)
            for name in ("title", "text")
        ],
        boost=weights.typed_order,
    )


def _sequence(fieldname: str, positions: list[list[str]], slop: int, boost: float) -> wq.Query:
    """Terms at consecutive positions (within ``slop``); each position may offer
    several terms. A plain phrase when it does not: Whoosh matches those faster."""
    if slop == 1 and all(len(terms) == 1 for terms in positions):
        return wq.Phrase(fieldname, [terms[0] for terms in positions], boost=boost)
    groups = [wq.Or([wq.Term(fieldname, t) for t in terms]) for terms in positions]
    return wq.Sequence(groups, slop=slop, ordered=slop <= 1, boost=boost)
