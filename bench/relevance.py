"""Relevance, judged by linguists' annotation and by the data, never by an engine's output.

The query sets (bench/judged.py builds the last five):

* lemma, inflected (Qur'an, MAP): 300 content-word lemmas of the Quranic Arabic
  Corpus found in 3 to 80 verses, drawn with a fixed seed. The query is the
  lemma's citation form without diacritics (lemma) or one of its occurrences as
  printed in modern spelling (inflected); relevant, every verse with a word of the lemma.
* broken-plural, broken-singular (Qur'an, MAP): a singular and its broken plural
  from arramooz's dictionary (رجل / رجال), kept when the gold morphology confirms
  the pair: a lemma whose citation form normalizes to the singular has an
  occurrence whose stem segment normalizes to the plural. The query is that
  occurrence as printed (broken-plural) or the citation form (broken-singular),
  two sets because they test two directions (plural to singular and back) that
  one mean would blur; relevant as in the lemma set.
* known-item (hadith, MRR@10): 300 hadith drawn with a fixed seed; from each, 3 or 4
  consecutive words of 3 letters or more, from the matn where it is found (after
  the first قال or يقول not followed by حدثنا, عن ...), typed without diacritics
  and with one slip drawn with the seed: another hamza seat, the article dropped or
  added, ة typed ه, ى typed ي. Kept when the words, normalized, occur in that
  hadith alone (the six collections share many texts): the one relevant document.
* names (hadith, P@10, MAP beside it): the 50 words most often after بن ابن أبو أبي
  أم عن, less stop words, words under 3 letters and a few kinship and title words
  (عبد، أبيه، النبي); the query is the name as the hadith most often write it.
  Relevant, the hadith holding it as a word, alone or after one of و ف ب ل (عمر is
  not in عمرو or يعمر).
* full-names (hadith, P@10): the 50 most frequent names in full, "[عبد|عبيد] A بن B",
  whose B has a sibling one letter away after the same A (عبد الله بن عمر and عبد
  الله بن عمرو are two men); the query is the name as most often written, relevant
  the hadith holding it word for word (its first word alone or after و).

A system is one line of SYSTEMS (a stemmer, weights, the corpora it runs on); each
corpus is indexed once per stemmer. Each table gives the p-value of the set's
headline metric against the default (paired randomization test).

    python bench/relevance.py [--queries 300] [--seed 7] [--sets broken-plural,known-item,names]

Prints a table per query set and writes bench/results/relevance.{json,md,png}.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).parent
sys.path.insert(0, str(BENCH.parent))

import baseline  # noqa: E402
import corpora  # noqa: E402
import judged  # noqa: E402
from judged import Query  # noqa: E402
from metrics import (  # noqa: E402
    average_precision,
    ndcg_at,
    precision_at,
    randomization_test,
    recall_at,
    reciprocal_rank,
)

from indexer import Settings, build_index  # noqa: E402
from indexer.analysis import DEFAULT_STRATEGY  # noqa: E402
from indexer.analysis.normalize import clean  # noqa: E402
from search import Weights, open_index  # noqa: E402

CONTENT_POS = {"اسم", "فعل", "اسم علم", "صفة"}
MIN_VERSES, MAX_VERSES = 3, 80
RESULTS = BENCH / "results"
QURAN, HADITH = "quran", "hadith"
# Each set's corpus and headline metric (the one its p-values and the plot use).
SETS = {
    "lemma": (QURAN, "MAP"),
    "inflected": (QURAN, "MAP"),
    "broken-plural": (QURAN, "MAP"),
    "broken-singular": (QURAN, "MAP"),
    "known-item": (HADITH, "MRR@10"),
    "names": (HADITH, "P@10"),
    "full-names": (HADITH, "P@10"),
}
# Lucene 8 ArabicAnalyzer + BM25 on a set built this way (the benchmark issue's figures).
LUCENE = {"lemma": {"MAP": 0.48, "R@100": 0.53}, "inflected": {"MAP": 0.55}}


@dataclass(frozen=True)
class System:
    """One row of the tables: the engine with a stemmer and weights, or, with no
    stemmer, the plain Whoosh baseline; run on the sets of the corpora it names."""

    name: str
    stemmer: str | None
    weights: Weights = Weights()
    corpora: tuple[str, ...] = (QURAN,)


DEFAULT = f"default ({DEFAULT_STRATEGY})"
BOTH = (QURAN, HADITH)
# On the hadith, three stemmers only: each is a 34,178-document build.
SYSTEMS = (
    System(DEFAULT, DEFAULT_STRATEGY, corpora=BOTH),
    System("default without the typed-order bonus", DEFAULT_STRATEGY, Weights(typed_order=0), BOTH),
    System("union stems (the default before 2026-12-04)", "union", corpora=BOTH),
    System("before lemmas: union, no lemma view, no typed order", "union", Weights(lemma=0, typed_order=0), BOTH),
    System("tashaphyne alone", "tashaphyne"),
    System("light10 rules", "light", corpora=BOTH),
    System("normalization, no stemming", "none", corpora=BOTH),
    System(f"{DEFAULT_STRATEGY}, exact weight 1.0", DEFAULT_STRATEGY, Weights(exact=1.0)),
    System(f"{DEFAULT_STRATEGY}, exact weight 3.0", DEFAULT_STRATEGY, Weights(exact=3.0)),
    System(f"{DEFAULT_STRATEGY}, BM25 b=0.75 (the usual)", DEFAULT_STRATEGY, Weights(bm25_b=0.75)),
    System(f"{DEFAULT_STRATEGY}, BM25 b=0.2", DEFAULT_STRATEGY, Weights(bm25_b=0.2)),
    System("plain Whoosh baseline", None),
)

Ranker = Callable[[str], list[str]]


def query_sets(wanted: list[str], count: int, seed: int) -> dict[str, list[Query]]:
    """The wanted query sets, built from the gold annotation and the corpora alone."""
    found: dict[str, list[Query]] = {}
    if any(SETS[name][0] == QURAN for name in wanted):
        with corpora.quran_words().open(encoding="utf-8") as lines:
            words = [json.loads(line) for line in lines]
        modern = _modern_words(words)
        found |= lemma_sets(words, modern, count, seed)
        found |= judged.broken_plurals(words, modern)
    if "known-item" in wanted:
        found["known-item"] = judged.known_items(corpora.hadith(), seed=seed)
    if "names" in wanted:
        found["names"] = judged.names(corpora.hadith())
    if "full-names" in wanted:
        found["full-names"] = judged.full_names(corpora.hadith())
    return {name: found[name] for name in wanted}


def lemma_sets(
    words: list[dict], modern: dict[tuple[int, int, int], str], count: int, seed: int
) -> dict[str, list[Query]]:
    """The lemma and inflected sets: ``count`` lemmas, each queried as its citation
    form and as one of its occurrences."""
    verses: dict[str, set[str]] = defaultdict(set)
    occurrences: dict[str, list[dict]] = defaultdict(list)
    for word in words:
        if word["lemma"] and word["pos"] in CONTENT_POS:
            verses[word["lemma"]].add(f"q-{word['surah']}-{word['ayah']}")
            occurrences[word["lemma"]].append(word)
    eligible = sorted(lemma for lemma, found in verses.items() if MIN_VERSES <= len(found) <= MAX_VERSES)
    rng = random.Random(seed)
    sets: dict[str, list[Query]] = {"lemma": [], "inflected": []}
    for lemma in rng.sample(eligible, count):
        relevant = frozenset(verses[lemma])
        sets["lemma"].append(Query(clean(lemma), relevant))
        word = rng.choice(occurrences[lemma])
        printed = modern.get((word["surah"], word["ayah"], word["word_position"]), word["word_plain"])
        sets["inflected"].append(Query(printed, relevant))
    return sets


def _modern_words(words: list[dict]) -> dict[tuple[int, int, int], str]:
    """Each word of the modern-spelling Qur'an by (surah, ayah, position), where the
    verse has as many words as the annotation gives it."""
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for word in words:
        counts[word["surah"], word["ayah"]] += 1
    printed_words = {}
    with corpora.quran("modern").open(encoding="utf-8") as lines:
        for line in lines:
            verse = json.loads(line)
            printed = verse["text"].split()
            if len(printed) == counts[verse["surah"], verse["ayah"]]:
                for position, text in enumerate(printed, 1):
                    printed_words[verse["surah"], verse["ayah"], position] = text
    return printed_words


def documents(work: Path) -> Path:
    """The verses in modern spelling, titled by number only: a title of words
    (the sura's name) would make every verse of سورة البقرة match بقرة."""
    path = work / "verses.jsonl"
    with corpora.quran("modern").open(encoding="utf-8") as source, path.open("w", encoding="utf-8") as out:
        for line in source:
            verse = json.loads(line)
            out.write(
                json.dumps(
                    {"id": verse["id"], "title": f"{verse['surah']}:{verse['ayah']}", "text": verse["text"]},
                    ensure_ascii=False,
                )
                + "\n"
            )
    return path


class Rankers:
    """A function from a query to the ids of its 100 best documents, per system and
    corpus; each corpus is indexed once per stemmer, when first needed."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.sources = {QURAN: documents(work), HADITH: corpora.hadith()}

    def __call__(self, system: System, corpus: str) -> Ranker:
        target = self.work / f"{corpus}-{system.stemmer or 'whoosh'}"
        if not target.exists():
            self._build(corpus, system.stemmer, target)
        if system.stemmer is None:
            whoosh = baseline.Searcher(target)
            return lambda q: whoosh.search(q, limit=100)
        engine = open_index(target, weights=system.weights)
        return lambda q: [hit["id"] for hit in engine.search(q, per_page=100, snippets=False)["hits"]]

    def _build(self, corpus: str, stemmer: str | None, target: Path) -> None:
        if stemmer is None:
            baseline.build(self.sources[corpus], target)
        else:
            build_index([self.sources[corpus]], target, settings=Settings.load(index_dir=target, stemmer=stemmer))


def evaluate(rank: Ranker, query_set: list[Query]) -> dict[str, list[float]]:
    scores: dict[str, list[float]] = defaultdict(list)
    for query in query_set:
        ranking = rank(query.text)
        scores["MAP"].append(average_precision(ranking, query.relevant))
        scores["nDCG@10"].append(ndcg_at(ranking, query.relevant, 10))
        scores["P@10"].append(precision_at(ranking, query.relevant, 10))
        scores["R@100"].append(recall_at(ranking, query.relevant, 100))
        scores["MRR@10"].append(reciprocal_rank(ranking, query.relevant, 10))
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", type=int, default=300, help="Qur'an lemmas drawn")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sets", default=",".join(SETS), help=f"the query sets to run, of {', '.join(SETS)}")
    args = parser.parse_args()
    wanted = args.sets.split(",")
    unknown = set(wanted) - set(SETS)
    if unknown:
        parser.error(f"unknown sets: {', '.join(sorted(unknown))}")
    work = corpora.CACHE / "relevance"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    started = time.perf_counter()
    rankers = Rankers(work)
    report: dict[str, dict[str, dict[str, float]]] = {}
    lines = [
        f"Relevance ({args.queries} Qur'an lemmas in {MIN_VERSES}-{MAX_VERSES} verses, seed {args.seed};"
        " bench/relevance.py says how each set is built)",
        "",
    ]
    for set_name, query_set in query_sets(wanted, args.queries, args.seed).items():
        corpus, headline = SETS[set_name]
        per_system = {s.name: evaluate(rankers(s, corpus), query_set) for s in SYSTEMS if corpus in s.corpora}
        report[set_name] = _summary(per_system, headline)
        lines += _table(set_name, len(query_set), headline, report[set_name])
    lines.append(f"({time.perf_counter() - started:.0f} s)")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "relevance.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    (RESULTS / "relevance.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    maps = {name: report[name] for name in wanted if SETS[name][1] == "MAP"}
    if maps:
        _plot(maps, RESULTS / "relevance.png")
    print("\n".join(lines))


def _summary(per_system: dict[str, dict[str, list[float]]], headline: str) -> dict[str, dict[str, float]]:
    """Each system's mean of each metric and the p-value of its headline metric against the default's."""
    default = per_system[DEFAULT][headline]
    summary = {}
    for name, scores in per_system.items():
        means = {metric: sum(values) / len(values) for metric, values in scores.items()}
        summary[name] = {
            **means,
            "p_vs_default": None if name == DEFAULT else randomization_test(default, scores[headline]),
        }
    return summary


def _table(set_name: str, size: int, headline: str, summary: dict[str, dict[str, float]]) -> list[str]:
    lines = [
        f"### {set_name} queries ({size})",
        "",
        f"| system | MAP | nDCG@10 | P@10 | R@100 | MRR@10 | p ({headline} vs default) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, means in summary.items():
        p = means["p_vs_default"]
        lines.append(
            f"| {name} | {means['MAP']:.3f} | {means['nDCG@10']:.3f} | {means['P@10']:.3f} | {means['R@100']:.3f}"
            f" | {means['MRR@10']:.3f} | {'' if p is None else f'{p:.4f}'} |"
        )
    if set_name in LUCENE:
        lucene = LUCENE[set_name]
        lines.append(
            f"| Lucene 8 ArabicAnalyzer (reported) | {lucene['MAP']:.2f} | | | {lucene.get('R@100', '')} | | |"
        )
    return [*lines, ""]


def _plot(report: dict[str, dict[str, dict[str, float]]], path: Path) -> None:
    """MAP per system, one bar per Qur'an set; dashed, Lucene's reported MAP in its set's colour."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(next(iter(report.values())))
    width = 0.8 / len(report)
    fig, ax = plt.subplots(figsize=(9, 1.5 + 0.12 * len(names) * len(report)))
    for i, (set_name, scores) in enumerate(report.items()):
        bars = ax.barh(
            [y + i * width for y in range(len(names))],
            [scores[n]["MAP"] for n in names],
            height=width,
            label=f"{set_name} queries",
        )
        if set_name in LUCENE:
            ax.axvline(LUCENE[set_name]["MAP"], linestyle="--", linewidth=1, color=bars.patches[0].get_facecolor())
    ax.set_yticks([y + 0.4 - width / 2 for y in range(len(names))], names)
    ax.invert_yaxis()
    ax.set_xlabel("MAP (dashed: Lucene ArabicAnalyzer, reported)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
