"""Scale: the engine at 1, 4, 10 and 30 times the hadith corpus (34,178 to
1,025,340 documents), with Lucene 8's ArabicAnalyzer measured in the same run.

    python bench/scale.py [--copies 1 4 10 30] [--repeats 3] [--queries 500] [--no-http] [--no-lucene]

The larger corpora are the hadith repeated (``corpora.hadith_scaled``: each copy
with its own ids and its words rotated), generated into ``bench/.cache/``. Per size:

1. indexing: seconds, documents/s, the build's peak RSS, the index on disk; Lucene's
   seconds for the same file (the whole process, JVM start included);
2. warm latency through the Python API, 10 hits with snippets: p50/p95/p99 over
   casually typed 3-word queries (words of one hadith, diacritics dropped, alef
   forms and the article as people type them), and the searching process's peak
   RSS; Lucene's p50/p95/p99 for the same queries (OR of the words, top 10, no
   snippets);
3. ``serve`` (gunicorn, one worker per core): seconds from launch to the first
   answer; requests/s and p95 with 8 connections (wrk); each worker's private
   (USS) and proportional (PSS) memory, read from /proc/PID/smaps_rollup at the
   end of the load.

Each figure is the median of --repeats runs (min–max beside it). Writes
bench/results/scale.{json,md,png}. Needs wrk and a JDK (``../shared/lucene-bench``
builds Lucene from Debian's packages).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).parent
sys.path.insert(0, str(BENCH.parent))

import corpora  # noqa: E402
import speed  # noqa: E402

from indexer.analysis.normalize import clean  # noqa: E402
from indexer.analysis.stopwords import is_stop_word  # noqa: E402
from indexer.analysis.tokenizer import iter_words  # noqa: E402

RESULTS = BENCH / "results"
LUCENE = BENCH.parent.parent / "shared" / "lucene-bench" / "run.sh"
HADITH_DOCUMENTS = 34_178
_ALEFS = str.maketrans("أإآ", "ااا")


# -- queries as people type them ---------------------------------------------------------------


def casual_queries(source: Path, count: int, seed: int = 5) -> list[str]:
    """``count`` 3-word queries, each three content words of one hadith, typed
    casually: no diacritics, a bare alef for any hamza seat half the time, the
    article dropped a third of the time."""
    rng = random.Random(seed)
    with source.open(encoding="utf-8") as lines:
        texts = [json.loads(line)["text"] for line in lines]
    queries: list[str] = []
    while len(queries) < count:
        words = [clean(m.group()) for m in iter_words(rng.choice(texts))]
        words = list(dict.fromkeys(w for w in words if len(w) > 3 and not is_stop_word(w)))
        if len(words) < 3:
            continue
        typed = []
        for word in rng.sample(words, 3):
            if rng.random() < 0.5:
                word = word.translate(_ALEFS)
            if word.startswith("ال") and len(word) > 4 and rng.random() < 0.33:
                word = word[2:]
            typed.append(word)
        queries.append(" ".join(typed))
    return queries


# -- our engine --------------------------------------------------------------------------------


def _latency_child(index: str, queries_file: str, repeats: str) -> None:
    """In its own process, so that its peak memory is the searching process's own."""
    queries = json.loads(Path(queries_file).read_text(encoding="utf-8"))
    runs = speed.latency("ours", Path(index), [("three words", q) for q in queries], True, int(repeats))
    print(json.dumps({**runs, "peak_rss_mb": speed._own_peak_rss_kb() / 1024}))


def our_latency(index: Path, queries_file: Path, repeats: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "_latency", str(index), str(queries_file), str(repeats)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.splitlines()[-1])


def worker_memory(server: subprocess.Popen) -> dict[str, float]:
    """USS and PSS of each gunicorn worker (the children of the serving process),
    and its heap (anonymous memory: what is the worker's own, where USS also
    counts the pages of the mapped index that no other process has read), in MB."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    uss, pss, heap = [], [], []
    for pid in children:
        fields = {}
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
            name, value = line.split(":", 1)
            fields[name] = int(value.split()[0])
        uss.append((fields["Private_Clean"] + fields["Private_Dirty"]) / 1024)
        pss.append(fields["Pss"] / 1024)
        heap.append(fields["Anonymous"] / 1024)
    return {"workers": len(children), "worker_uss_mb": max(uss), "worker_pss_mb": max(pss), "worker_heap_mb": max(heap)}


# -- Lucene 8, the anchor ------------------------------------------------------------------------


def lucene_index(source: Path, target: Path) -> float:
    shutil.rmtree(target, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run([str(LUCENE), "index", str(source), str(target)], check=True, capture_output=True)
    return time.perf_counter() - started


def lucene_latency(index: Path, queries: list[str]) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        tsv = Path(folder) / "queries.tsv"
        tsv.write_text("".join(f"{n}\t{q}\n" for n, q in enumerate(queries)), encoding="utf-8")
        timings = Path(folder) / "ms.txt"
        env = {**os.environ, "JAVA_OPTS": f"-Xmx4g -Dlatencies={timings}"}
        subprocess.run(
            [str(LUCENE), "search", str(index), str(tsv), "10", "2"], check=True, capture_output=True, env=env
        )
        return speed.percentiles([float(x) for x in timings.read_text().split()])


# -- the run -------------------------------------------------------------------------------------


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def measure(copies: int, work: Path, queries: list[str], args: argparse.Namespace) -> dict:
    source = corpora.hadith_scaled(copies)
    documents = HADITH_DOCUMENTS * copies
    index = work / f"ours-x{copies}"
    queries_file = work / "queries.json"
    builds = [speed.index_once("ours", source, index) for _ in range(args.repeats)]
    seconds = summary([b["seconds"] for b in builds])
    row: dict = {
        "documents": documents,
        "index_seconds": seconds,
        "docs_per_s": documents / seconds["median"],
        "build_peak_rss_mb": summary([b["peak_rss_mb"] for b in builds]),
        "index_mb": builds[-1]["index_mb"],
    }
    print(f"x{copies}: indexed in {seconds['median']:.1f} s", flush=True)
    runs = [our_latency(index, queries_file, 1) for _ in range(args.repeats)]
    row["latency_ms"] = {k: summary([r[k][0] for r in runs]) for k in ("p50", "p95", "p99")}
    row["search_peak_rss_mb"] = summary([r["peak_rss_mb"] for r in runs])
    print(f"x{copies}: p95 {row['latency_ms']['p95']['median']:.1f} ms", flush=True)
    row["cold_start_s"] = summary([speed.cold_start(index, queries[0]) for _ in range(args.repeats)])
    if not args.no_http:
        mix = [("three words", q) for q in queries]
        loads = [speed.http_load(index, mix, probe=worker_memory) for _ in range(args.repeats)]
        row["http"] = {key: summary([load[key] for load in loads]) for key in loads[0]}
    if not args.no_lucene:
        lucene_dir = work / f"lucene-x{copies}"
        row["lucene_index_seconds"] = summary([lucene_index(source, lucene_dir) for _ in range(args.repeats)])
        timed = [lucene_latency(lucene_dir, queries) for _ in range(args.repeats)]
        row["lucene_latency_ms"] = {k: summary([t[k] for t in timed]) for k in ("p50", "p95", "p99")}
        shutil.rmtree(lucene_dir, ignore_errors=True)
    shutil.rmtree(index, ignore_errors=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, nargs="+", default=[1, 4, 10, 30])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--no-http", action="store_true")
    parser.add_argument("--no-lucene", action="store_true")
    parser.add_argument("--render", action="store_true", help="only rewrite scale.md and scale.png from scale.json")
    args = parser.parse_args()
    if args.render:
        return _write(json.loads((RESULTS / "scale.json").read_text(encoding="utf-8")))
    work = corpora.CACHE / "scale"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    queries = casual_queries(corpora.hadith(), args.queries)
    (work / "queries.json").write_text(json.dumps(queries, ensure_ascii=False), encoding="utf-8")
    report: dict = {
        "machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]},
        "date": time.strftime("%Y-%m-%d"),
        "queries": len(queries),
        "repeats": args.repeats,
        "sizes": {},
    }
    for copies in args.copies:
        report["sizes"][copies] = measure(copies, work, queries, args)
        _write(report)  # a long run keeps what it has measured


def _write(report: dict) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scale.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    text = _markdown(report)
    (RESULTS / "scale.md").write_text(text, encoding="utf-8")
    _plot(report, RESULTS / "scale.png")
    print(text, flush=True)


def _fmt(s: dict[str, float] | None, digits: int = 1) -> str:
    if not s:
        return "–"
    return f"{s['median']:,.{digits}f} ({s['min']:,.{digits}f}–{s['max']:,.{digits}f})"


def _markdown(report: dict) -> str:
    lines = [
        f"{report['date']}, {report['machine']['cores']} cores, Python {report['machine']['python']}; "
        f"{report['queries']} casually typed 3-word queries, 10 hits with snippets; "
        f"median (min–max) of {report['repeats']} runs.",
        "",
        "| documents | index s | Lucene s | ratio | docs/s | build peak RSS MB | index MB | "
        "p50 ms | p95 ms | p99 ms | Lucene p50 / p95 / p99 ms | search process peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in report["sizes"].values():
        lucene = row.get("lucene_index_seconds")
        ratio = f"{row['index_seconds']['median'] / lucene['median']:.1f}" if lucene else "–"
        lat = row.get("lucene_latency_ms")
        lucene_lat = " / ".join(f"{lat[k]['median']:.1f}" for k in ("p50", "p95", "p99")) if lat else "–"
        lines.append(
            f"| {row['documents']:,} | {_fmt(row['index_seconds'])} | {_fmt(lucene)} | {ratio} | "
            f"{row['docs_per_s']:,.0f} | {row['build_peak_rss_mb']['median']:,.0f} | {row['index_mb']:,.0f} | "
            f"{_fmt(row['latency_ms']['p50'])} | {_fmt(row['latency_ms']['p95'])} | {_fmt(row['latency_ms']['p99'])} | "
            f"{lucene_lat} | {row['search_peak_rss_mb']['median']:,.0f} |"
        )
    lines += [
        "",
        "`serve` (gunicorn, one worker per core; wrk, 8 connections):",
        "",
        "| documents | cold start s | requests/s | p95 ms | errors | workers | worker USS MB | worker PSS MB "
        "| worker heap MB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in report["sizes"].values():
        http = row.get("http")
        cells = (
            [
                _fmt(http["requests_per_s"], 0),
                _fmt(http["p95_ms"]),
                f"{http['errors']['max']:.0f}",
                f"{http['workers']['median']:.0f}",
                _fmt(http["worker_uss_mb"], 0),
                _fmt(http["worker_pss_mb"], 0),
                _fmt(http["worker_heap_mb"], 0) if "worker_heap_mb" in http else "–",
            ]
            if http
            else ["–"] * 7
        )
        lines.append(f"| {row['documents']:,} | {_fmt(row['cold_start_s'], 2)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _plot(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = list(report["sizes"].values())
    sizes = [r["documents"] for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for key, style in (("p50", "--"), ("p95", "-"), ("p99", ":")):
        left.plot(sizes, [r["latency_ms"][key]["median"] for r in rows], style, marker="o", label=f"ours {key}")
        lucene = [r["lucene_latency_ms"][key]["median"] for r in rows if "lucene_latency_ms" in r]
        if len(lucene) == len(rows):
            left.plot(sizes, lucene, style, marker="s", color="tab:gray", label=f"Lucene 8 {key}")
    right.plot(sizes, [r["build_peak_rss_mb"]["median"] for r in rows], marker="o", label="build peak RSS")
    right.plot(sizes, [r["search_peak_rss_mb"]["median"] for r in rows], marker="o", label="searching process peak RSS")
    if all("http" in r for r in rows):
        right.plot(sizes, [r["http"]["worker_uss_mb"]["median"] for r in rows], marker="o", label="serve worker USS")
    left.set(title="Warm query latency, 10 snippets", xlabel="documents", ylabel="ms", xscale="log", yscale="log")
    right.set(title="Memory", xlabel="documents", ylabel="MB", xscale="log", yscale="log")
    left.legend(fontsize=8)
    right.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_latency":
        _latency_child(*sys.argv[2:5])
    else:
        main()
