"""Relevance, judged by linguists' annotation and by the data, not by any engine.

On the Qur'an, queries are what a user would type for a word: a lemma's citation
form without diacritics ("lemma" set) or one of its inflected forms as printed in
modern spelling ("inflected" set). A verse is relevant when any of its words has
that lemma in the Quranic Arabic Corpus morphology. 300 content-word lemmas found
in 3 to 80 verses, drawn with a fixed seed. Three more sets (bench/judged.py):
broken plurals on the Qur'an, known items and narrators' names on the hadith.

    python bench/relevance.py [--queries 300] [--seed 7] [--sets lemma,inflected,broken-plural,known-item,names]

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
from indexer.analysis import DEFAULT_STRATEGY, STRATEGIES  # noqa: E402
from indexer.analysis.normalize import clean  # noqa: E402
from search import Weights, open_index  # noqa: E402

CONTENT_POS = {"اسم", "فعل", "اسم علم", "صفة"}
MIN_VERSES, MAX_VERSES = 3, 80
RESULTS = BENCH / "results"
DEFAULT = f"default ({DEFAULT_STRATEGY})"
BEFORE_LEMMAS = "default without the lemma view (as before it)"
QURAN_SETS = ("lemma", "inflected", "broken-plural")
HADITH_SETS = ("known-item", "names")
# The measure each set's p-value and plot use.
HEADLINE = {"known-item": "MRR@10", "names": "P@10"}
# Lucene 8 ArabicAnalyzer + BM25 on a set built this way (the benchmark issue's figures).
LUCENE = {"lemma": {"MAP": 0.48, "R@100": 0.53}, "inflected": {"MAP": 0.55}}


def queries(count: int, seed: int) -> dict[str, list[Query]]:
    """The Qur'an's query sets, built from the gold annotation alone."""
    verses: dict[str, set[str]] = defaultdict(set)
    occurrences: dict[str, list[dict]] = defaultdict(list)
    with corpora.quran_words().open(encoding="utf-8") as lines:
        for line in lines:
            word = json.loads(line)
            if word["lemma"] and word["pos"] in CONTENT_POS:
                verses[word["lemma"]].add(f"q-{word['surah']}-{word['ayah']}")
                occurrences[word["lemma"]].append(word)
    modern = _modern_words()
    eligible = sorted(lemma for lemma, found in verses.items() if MIN_VERSES <= len(found) <= MAX_VERSES)
    rng = random.Random(seed)
    chosen = rng.sample(eligible, count)
    sets: dict[str, list[Query]] = {"lemma": [], "inflected": []}
    for lemma in chosen:
        relevant = frozenset(verses[lemma])
        sets["lemma"].append(Query(clean(lemma), relevant))
        word = rng.choice(occurrences[lemma])
        printed = modern.get((word["surah"], word["ayah"], word["word_position"]), word["word_plain"])
        sets["inflected"].append(Query(printed, relevant))
    with corpora.quran_words().open(encoding="utf-8") as lines:
        sets["broken-plural"] = judged.broken_plurals([json.loads(line) for line in lines], modern)
    return sets


def _modern_words() -> dict[tuple[int, int, int], str]:
    """Each word of the modern-spelling Qur'an by (surah, ayah, position), where the
    verse has as many words as the annotation gives it."""
    counts: dict[tuple[int, int], int] = defaultdict(int)
    with corpora.quran_words().open(encoding="utf-8") as lines:
        for line in lines:
            word = json.loads(line)
            counts[word["surah"], word["ayah"]] += 1
    words = {}
    with corpora.quran("modern").open(encoding="utf-8") as lines:
        for line in lines:
            verse = json.loads(line)
            printed = verse["text"].split()
            if len(printed) == counts[verse["surah"], verse["ayah"]]:
                for position, text in enumerate(printed, 1):
                    words[verse["surah"], verse["ayah"], position] = text
    return words


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


Ranker = Callable[[str], list[str]]


def systems(work: Path, docs: Path) -> dict[str, Ranker]:
    """Every system compared, each a function from a query to the ids of its 100 best verses."""
    found: dict[str, Ranker] = {}
    engines = {}
    for stemmer in STRATEGIES:
        target = work / f"index-{stemmer}"
        build_index([docs], target, settings=Settings.load(index_dir=target, stemmer=stemmer))
        engines[stemmer] = open_index(target)

    def ours(stemmer: str, weights: Weights | None = None) -> Ranker:
        engine = engines[stemmer] if weights is None else open_index(work / f"index-{stemmer}", weights=weights)
        return lambda q: [hit["id"] for hit in engine.search(q, per_page=100)["hits"]]

    found[DEFAULT] = ours(DEFAULT_STRATEGY)
    found[BEFORE_LEMMAS] = ours(DEFAULT_STRATEGY, Weights(lemma=0))
    found["anchored tashaphyne"] = ours("anchored")
    found["tashaphyne alone"] = ours("tashaphyne")
    found["light10 rules"] = ours("light")
    found["normalization, no stemming"] = ours("none")
    for exact in (1.0, 3.0):
        found[f"{DEFAULT_STRATEGY}, exact weight {exact}"] = ours(DEFAULT_STRATEGY, Weights(exact=exact))
    found[f"{DEFAULT_STRATEGY}, BM25 b=0.75 (the usual)"] = ours(DEFAULT_STRATEGY, Weights(bm25_b=0.75))
    found[f"{DEFAULT_STRATEGY}, BM25 b=0.2"] = ours(DEFAULT_STRATEGY, Weights(bm25_b=0.2))
    plain = work / "index-baseline"
    baseline.build(docs, plain)
    whoosh = baseline.Searcher(plain)
    found["plain Whoosh baseline"] = lambda q: whoosh.search(q, limit=100)
    return found


def hadith_systems(work: Path) -> dict[str, Ranker]:
    """The default and the default without the lemma view, on the 34,178 hadith."""
    target = work / "index-hadith"
    build_index([corpora.hadith()], target, settings=Settings.load(index_dir=target))
    found: dict[str, Ranker] = {}
    for name, weights in ((DEFAULT, Weights()), (BEFORE_LEMMAS, Weights(lemma=0))):
        engine = open_index(target, weights=weights)
        found[name] = lambda q, engine=engine: [
            hit["id"] for hit in engine.search(q, per_page=100, snippets=False)["hits"]
        ]
    return found


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
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sets", default=",".join(QURAN_SETS + HADITH_SETS), help="the query sets to run")
    args = parser.parse_args()
    wanted = args.sets.split(",")
    unknown = set(wanted) - set(QURAN_SETS + HADITH_SETS)
    if unknown:
        parser.error(f"unknown sets: {', '.join(sorted(unknown))}")
    work = corpora.CACHE / "relevance"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    started = time.perf_counter()
    query_sets: dict[str, list[Query]] = {}
    ranked: dict[str, dict[str, Ranker]] = {}
    if set(wanted) & set(QURAN_SETS):
        quran = systems(work, documents(work))
        for name, query_set in queries(args.queries, args.seed).items():
            query_sets[name], ranked[name] = query_set, quran
    if set(wanted) & set(HADITH_SETS):
        hadith = hadith_systems(work)
        query_sets["known-item"], ranked["known-item"] = judged.known_items(corpora.hadith(), seed=args.seed), hadith
        query_sets["names"], ranked["names"] = judged.names(corpora.hadith()), hadith
    report: dict[str, dict[str, dict[str, float]]] = {}
    lines = [
        f"Relevance ({args.queries} Qur'an lemmas in {MIN_VERSES}-{MAX_VERSES} verses, seed {args.seed};"
        " bench/judged.py for the other sets)",
        "",
    ]
    for set_name in wanted:
        query_set = query_sets[set_name]
        headline = HEADLINE.get(set_name, "MAP")
        per_system = {name: evaluate(rank, query_set) for name, rank in ranked[set_name].items()}
        default = per_system[DEFAULT][headline]
        report[set_name] = {}
        lines += [
            f"### {set_name} queries ({len(query_set)})",
            "",
            f"| system | MAP | nDCG@10 | P@10 | R@100 | MRR@10 | p ({headline} vs default) |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, scores in per_system.items():
            means = {metric: sum(values) / len(values) for metric, values in scores.items()}
            p = randomization_test(default, scores[headline]) if name != DEFAULT else None
            report[set_name][name] = {**means, "p_vs_default": p}
            p_text = "" if p is None else f"{p:.4f}"
            lines.append(
                f"| {name} | {means['MAP']:.3f} | {means['nDCG@10']:.3f} | {means['P@10']:.3f} | {means['R@100']:.3f}"
                f" | {means['MRR@10']:.3f} | {p_text} |"
            )
        if set_name in LUCENE:
            lucene = LUCENE[set_name]
            lines.append(
                f"| Lucene 8 ArabicAnalyzer (reported) | {lucene['MAP']:.2f} | | | {lucene.get('R@100', '')} | | |"
            )
        lines.append("")
    lines.append(f"({time.perf_counter() - started:.0f} s)")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "relevance.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    (RESULTS / "relevance.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    quran_maps = {name: report[name] for name in ("lemma", "inflected") if name in report}
    if quran_maps:
        _plot(quran_maps, RESULTS / "relevance.png")
    print("\n".join(lines))


def _plot(report: dict[str, dict[str, dict[str, float]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(next(iter(report.values())))
    fig, ax = plt.subplots(figsize=(9, 4.5))
    width = 0.38
    for i, (set_name, scores) in enumerate(report.items()):
        ax.barh(
            [y + i * width for y in range(len(names))],
            [scores[n]["MAP"] for n in names],
            height=width,
            label=f"{set_name} queries",
        )
    for lucene in LUCENE.values():
        ax.axvline(lucene["MAP"], linestyle="--", linewidth=1, color="grey")
    ax.set_yticks([y + width / 2 for y in range(len(names))], names)
    ax.invert_yaxis()
    ax.set_xlabel("MAP (dashed: Lucene ArabicAnalyzer, reported)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
