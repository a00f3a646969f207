"""The evaluator (search/vectors.py, search/matching.py, search/spans.py) against
Whoosh itself: for random query trees of every kind, over an index of several
segments with deleted documents, the documents it finds are those that Whoosh's
own ``query.docs(searcher)`` finds, and its scores are those of a plain BM25
written here from Whoosh's public API. Both ways of evaluating a part are
checked: run over the whole index, and probed with chosen documents."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from whoosh import query as wq

from conftest import write_jsonl
from indexer import Settings, build_index, update_index
from indexer.storage import current_generation, open_generation
from search.ranking import DEFAULT_WEIGHTS
from search.vectors import Evaluator, IndexArrays

# Few words, so that random documents share them and every operator matches something.
WORDS = "قال رسول الله صلى عليه وسلم الصلاة صلاة والصلاة الزكاة العلم علم".split()
FIELDS = ("text", "text_stem", "title", "title_stem")
TREES = 300


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    root = tmp_path_factory.mktemp("oracle")
    rng = random.Random(11)
    docs = [
        {
            "id": f"d{n:04}",
            "title": " ".join(rng.choices(WORDS, k=rng.randint(1, 4))),
            "text": " ".join(rng.choices(WORDS, k=rng.randint(1, 30))),
        }
        for n in range(600)
    ]
    source = write_jsonl(root / "src" / "docs.jsonl", docs)
    build_index([source], root / "index", settings=Settings.load(procs=2, limitmb=16))
    # Changed and dropped documents: deletions in the bulk-written segments, a segment of Whoosh's writer.
    write_jsonl(source, [d if n % 5 else {**d, "text": "الله " + d["text"]} for n, d in enumerate(docs) if n % 9])
    update_index([source.parent], root / "index", prune=True)
    ix, _, _ = open_generation(root / "index")
    with ix.searcher() as searcher:
        reader = searcher.reader()
        assert len(reader.leaf_readers()) > 2 and reader.has_deletions()
        searcher.generation_dir = current_generation(root / "index")
        yield searcher
    ix.close()


@pytest.fixture(scope="module")
def evaluator(searcher):
    return Evaluator(IndexArrays(searcher.reader(), searcher.generation_dir), searcher, DEFAULT_WEIGHTS)


class Trees:
    """Random query trees over the index's own terms (and a few it lacks)."""

    def __init__(self, searcher, seed: int) -> None:
        self.rng = random.Random(seed)
        reader = searcher.reader()
        self.terms = {name: [t.decode("utf-8") for t in reader.lexicon(name)] + ["غائب"] for name in FIELDS}

    def word(self, field: str) -> str:
        return self.rng.choice(self.terms[field])

    def group(self, field: str) -> wq.Query:
        if self.rng.random() < 0.3:
            return wq.Or([wq.Term(field, self.word(field)) for _ in range(2)])
        return wq.Term(field, self.word(field))

    def tree(self, depth: int = 3) -> wq.Query:
        rng = self.rng
        field = rng.choice(FIELDS)
        kinds = ["term", "phrase", "sequence", "prefix", "every", "null"]
        if depth > 0:
            kinds += ["or", "and", "andnot", "andmaybe"] * 3
        kind = rng.choice(kinds)
        boost = rng.choice([1.0, 1.0, 0.5, 2.5])
        if kind == "term":
            return wq.Term(field, self.word(field), boost=boost)
        if kind == "phrase":
            words = [self.word(field) for _ in range(rng.randint(2, 3))]
            return wq.Phrase(field, words, slop=rng.choice([1, 1, 2, 3]), boost=boost)
        if kind == "sequence":
            groups = [self.group(field) for _ in range(rng.randint(2, 4))]
            return wq.Sequence(groups, slop=rng.randint(1, 4), ordered=rng.random() < 0.5, boost=boost)
        if kind == "prefix":
            return wq.Prefix(field, self.word(field)[:2], boost=boost)
        if kind == "every":
            return wq.Every()
        if kind == "null":
            return wq.NullQuery
        if kind in ("or", "and"):
            parts = [self.tree(depth - 1) for _ in range(rng.randint(2, 3))]
            return (wq.Or if kind == "or" else wq.And)(parts, boost=boost)
        a, b = self.tree(depth - 1), self.tree(depth - 1)
        binary = wq.AndNot(a, b) if kind == "andnot" else wq.AndMaybe(a, b)
        binary.boost = boost
        return binary


class Reference:
    """BM25 as the evaluator means it, from Whoosh's public API: live documents
    only; a compound's score the sum of its parts'; positional queries scored by
    their words, matched as Whoosh matches them."""

    def __init__(self, searcher) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self.live = [d for d in range(self.reader.doc_count_all()) if not self.reader.is_deleted(d)]
        self.averages = {}
        for name in FIELDS:
            lengths = [self.reader.doc_field_length(d, name) or 0 for d in self.live]
            self.averages[name] = (sum(lengths) / len(lengths)) or 1.0

    def matches(self, q: wq.Query) -> set[int]:
        """Whoosh's documents for each leaf (terms, prefixes, phrases,
        sequences), combined as sets: Whoosh's own AndNot keeps documents that
        Every() also matches, and ``q.docs(searcher)`` over several segments
        trips on MultiMatcher.max_quality of no matchers (whoosh-reloaded 2.7.5)."""
        if isinstance(q, wq.Or):
            return set().union(*(self.matches(part) for part in q.subqueries))
        if isinstance(q, wq.And):
            return set.intersection(*(self.matches(part) for part in q.subqueries))
        if isinstance(q, wq.AndNot):
            return self.matches(q.a) - self.matches(q.b)
        if isinstance(q, wq.AndMaybe):
            return self.matches(q.a)
        return set(self.searcher.docs_for_query(q))

    def scores(self, q: wq.Query, boost: float = 1.0) -> dict[int, float]:
        boost *= getattr(q, "boost", 1.0)
        if isinstance(q, wq.Term):
            return self.term(q.fieldname, q.text, boost)
        if isinstance(q, wq.Or):
            return _sum([self.scores(part, boost) for part in q.subqueries], all_of=False)
        if isinstance(q, wq.And):
            return _sum([self.scores(part, boost) for part in q.subqueries], all_of=True)
        if isinstance(q, wq.AndNot):
            excluded = self.matches(q.b)
            return {d: s for d, s in self.scores(q.a, boost).items() if d not in excluded}
        if isinstance(q, wq.AndMaybe):
            extra = self.scores(q.b, boost)
            return {d: s + extra.get(d, 0.0) for d, s in self.scores(q.a, boost).items()}
        if isinstance(q, wq.Every):
            return dict.fromkeys(self.live, 0.0)
        if isinstance(q, wq.Prefix):
            terms = [t.decode("utf-8") for t in self.reader.expand_prefix(q.fieldname, q.text)]
            return _sum([self.term(q.fieldname, t, boost) for t in terms], all_of=False)
        if isinstance(q, (wq.Phrase, wq.Sequence)):
            if isinstance(q, wq.Phrase):
                groups = [wq.Term(q.fieldname, w) for w in q.words]
            else:
                groups = [wq.Or([part]) if isinstance(part, wq.Term) else part for part in q.subqueries]
            words = _sum([self.scores(group, boost) for group in groups], all_of=True)
            found = self.matches(q)
            return {d: s for d, s in words.items() if d in found}
        assert q is wq.NullQuery
        return {}

    def term(self, field: str, text: str, boost: float) -> dict[int, float]:
        frequencies = {}
        if (field, text) in self.reader:
            matcher = self.reader.postings(field, text)
            while matcher.is_active():
                frequencies[matcher.id()] = matcher.weight()
                matcher.next()
        frequencies = {d: f for d, f in frequencies.items() if not self.reader.is_deleted(d)}
        n, df = len(self.live), len(frequencies)
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        k1, b = DEFAULT_WEIGHTS.bm25_k1, DEFAULT_WEIGHTS.bm25_b
        scores = {}
        for d, f in frequencies.items():
            norm = k1 * (1 - b + b * (self.reader.doc_field_length(d, field) or 0) / self.averages[field])
            scores[d] = boost * idf * f * (k1 + 1) / (f + norm)
        return scores


def _sum(parts: list[dict[int, float]], all_of: bool) -> dict[int, float]:
    if not parts:
        return {}
    docs = set(parts[0]).intersection(*parts[1:]) if all_of else set().union(*parts)
    return {d: sum(part.get(d, 0.0) for part in parts) for d in docs}


def _has(q: wq.Query, kinds: tuple[type, ...]) -> bool:
    return isinstance(q, kinds) or any(_has(child, kinds) for child in q.children())


def _trees(searcher, seed: int, count: int) -> list[wq.Query]:
    trees = Trees(searcher, seed)
    return [trees.tree() for _ in range(count)]


def test_random_trees_find_what_whoosh_finds_with_the_reference_scores(searcher, evaluator):
    reference = Reference(searcher)
    kinds = set()
    for q in _trees(searcher, 1, TREES):
        kinds.add(type(q).__name__)
        if not _has(q, (wq.AndNot, wq.AndMaybe)):  # Whoosh's own, where it is right
            assert reference.matches(q) == set(searcher.docs_for_query(q)), q
        result = evaluator.evaluate(q)
        docs = result.docs().tolist()
        assert docs == sorted(reference.matches(q)), q
        expected = reference.scores(q)
        assert sorted(expected) == docs, q
        assert result.scores().tolist() == pytest.approx([expected[d] for d in docs], rel=1e-9, abs=1e-12), q
    # Every kind of node was drawn at the root.
    assert kinds >= {"Term", "Or", "And", "AndNot", "AndMaybe", "Every", "Prefix", "Phrase", "Sequence", "_NullQuery"}


def test_probing_chosen_documents_agrees_with_running_the_whole_tree(searcher, evaluator):
    reference = Reference(searcher)
    rng = np.random.default_rng(5)
    live = np.array(reference.live)
    for q in _trees(searcher, 2, TREES // 2):
        expected = reference.scores(q)
        for share in (0.02, 0.3):
            chosen = np.sort(rng.choice(live, size=max(1, int(len(live) * share)), replace=False))
            found, scores = evaluator.plan(q).probe(chosen)
            assert chosen[found].tolist() == sorted(d for d in chosen.tolist() if d in expected), q
            assert scores.tolist() == pytest.approx([expected.get(d, 0.0) for d in chosen.tolist()], abs=1e-9), q


def test_unordered_sequences_match_as_whoosh_matches_them(searcher, evaluator):
    """The proximity bonus of "الدفاع وزير": words within the slop in either order."""
    field = "text"
    for a, b, c in [("الله", "رسول", "قال"), ("الصلاه", "عليه", "وسلم")]:
        for slop in (1, 2, 4):
            for groups in ([a, b], [b, a], [a, b, c], [c, a, b]):
                q = wq.Sequence([wq.Term(field, w) for w in groups], slop=slop, ordered=False)
                assert evaluator.evaluate(q).docs().tolist() == sorted(searcher.docs_for_query(q)), q
                ordered = wq.Sequence([wq.Term(field, w) for w in groups], slop=slop, ordered=True)
                assert evaluator.evaluate(ordered).docs().tolist() == sorted(searcher.docs_for_query(ordered))


def test_rescoring_a_window_holding_every_match_adds_the_bonus_where_it_matches(searcher, evaluator):
    reference = Reference(searcher)
    trees = Trees(searcher, 3)
    for _ in range(60):
        required, bonus = trees.tree(2), trees.tree(2)
        result = evaluator.evaluate(required)
        evaluator.rescore(result, bonus, window=searcher.reader().doc_count_all())
        base, extra = reference.scores(required), reference.scores(bonus)
        docs = result.docs().tolist()
        assert result.scores().tolist() == pytest.approx([base[d] + extra.get(d, 0.0) for d in docs], abs=1e-9)
