"""Speed and scale on the six hadith collections, this engine and the plain Whoosh
baseline measured side by side in the same run.

    python bench/speed.py [--sizes 5000 10000 20000 34178] [--repeats 3] [--no-http]

1. indexing: seconds, documents/s, MB/s, peak memory, index size, per corpus size;
   at the largest size also this engine without stemming and with the exact
   view alone, to show what the stem view costs;
2. query latency on a warm searcher: p50/p95/p99 over a fixed mix of 300+
   queries (one to three words, phrases, exclusions, prefixes, fuzzy words), with
   and without snippets;
3. HTTP: requests/s and latency under 8 concurrent connections from wrk
   (Debian's package) against `arabic-search serve`, bounded in time;
4. cold start: from launching `serve` to the first answered query.

Each figure is the median of --repeats runs, with min and max. Writes
bench/results/speed.{json,md,png}. Machines are shared and noisy: compare the
ratios against the baseline, measured in the same run, more than the absolutes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from whoosh.fields import Schema

BENCH = Path(__file__).parent
sys.path.insert(0, str(BENCH.parent))

import baseline  # noqa: E402
import corpora  # noqa: E402

from indexer import build, build_index  # noqa: E402
from indexer.analysis.normalize import clean  # noqa: E402
from indexer.analysis.stopwords import is_stop_word  # noqa: E402
from indexer.analysis.tokenizer import iter_words  # noqa: E402
from indexer.schema import STEM_SUFFIX, TEXT_FIELDS  # noqa: E402
from indexer.settings import Settings  # noqa: E402
from search import open_index  # noqa: E402

RESULTS = BENCH / "results"
SYSTEMS = ("ours", "baseline")
# This engine with less analysis, indexed at the largest size only: what each part costs.
VARIANTS = {
    "ours-nostem": "both views, stemming off (the stem view holds the normalized word)",
    "ours-exact": "the exact view alone (no stem fields)",
}
HTTP_SECONDS = 10
HTTP_CONNECTIONS = 8


# -- indexing, one build per child process so that its peak memory is its own ------------


def _index_child(system: str, source: str, target: str) -> None:
    if system == "ours":
        build_index([source], target)
    elif system == "ours-nostem":
        build_index([source], target, settings=Settings.load().with_(stemmer="none"))
    elif system == "ours-exact":
        _without_stem_view()
        build_index([source], target)
    else:
        baseline.build(Path(source), Path(target), procs=min(os.cpu_count() or 1, 4))
    # Not getrusage(RUSAGE_SELF): Linux keeps its peak across exec, so it would
    # report the benchmark's own memory, which grows as it runs. The workers,
    # forked after exec, start their count afresh.
    rss_kb = max(_own_peak_rss_kb(), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    print(json.dumps({"peak_rss_mb": rss_kb / 1024}))


def _own_peak_rss_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def _without_stem_view() -> None:
    """Leave the stem fields out of this process's builds. Not a setting of the
    engine, whose search needs both views: only this measurement uses it."""
    full_schema, full_fields = build.build_schema, build.document_fields
    stem_fields = {name + STEM_SUFFIX for name in TEXT_FIELDS}

    def schema(stemmer: str) -> Schema:
        found = full_schema(stemmer)
        for name in stem_fields:
            found.remove(name)
        return found

    build.build_schema = schema
    build.document_fields = lambda doc: {k: v for k, v in full_fields(doc).items() if k not in stem_fields}


def index_once(system: str, source: Path, target: Path) -> dict[str, float]:
    shutil.rmtree(target, ignore_errors=True)
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "_index", system, str(source), str(target)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    seconds = time.perf_counter() - started
    size = sum(f.stat().st_size for f in target.rglob("*") if f.is_file())
    return {"seconds": seconds, "index_mb": size / 2**20, **json.loads(out.splitlines()[-1])}


# -- the query mix ----------------------------------------------------------------------------


def query_mix(source: Path, count: int = 320, seed: int = 11) -> list[tuple[str, str]]:
    """(kind, query) pairs drawn from the corpus's own words, seeded: what people
    would search for in it."""
    rng = random.Random(seed)
    texts = []
    with source.open(encoding="utf-8") as lines:
        for n, line in enumerate(lines):
            if n % 7 == 0:
                texts.append(json.loads(line)["text"])
    frequency: dict[str, int] = {}
    bigrams: list[str] = []
    for text in texts:
        words = [clean(m.group()) for m in iter_words(text)]
        words = [w for w in words if len(w) > 2]
        for w in words:
            frequency[w] = frequency.get(w, 0) + 1
        bigrams.extend(f"{a} {b}" for a, b in zip(words, words[1:], strict=False) if not is_stop_word(a))
    ranked = [w for w, _ in sorted(frequency.items(), key=lambda kv: -kv[1]) if not is_stop_word(w)]
    common, middle = ranked[:200], ranked[200:3000]

    def word() -> str:
        return rng.choice(common if rng.random() < 0.3 else middle)

    kinds = {
        "one word": lambda: word(),
        "two words": lambda: f"{word()} {word()}",
        "three words": lambda: f"{word()} {word()} {word()}",
        "phrase": lambda: f'"{rng.choice(bigrams)}"',
        "exclusion": lambda: f"{word()} -{word()}",
        "prefix": lambda: rng.choice([w for w in middle if len(w) >= 5])[:4] + "*",
        "fuzzy": lambda: _typo(rng, rng.choice([w for w in middle if len(w) >= 5])) + "~",
    }
    weights = {"one word": 3, "two words": 3, "three words": 2, "phrase": 2, "exclusion": 1, "prefix": 1, "fuzzy": 1}
    names = [name for name, weight in weights.items() for _ in range(weight)]
    return [(kind, kinds[kind]()) for kind in (names * (count // len(names) + 1))[:count]]


def _typo(rng: random.Random, word: str) -> str:
    i = rng.randrange(1, len(word))
    return word[:i] + rng.choice("ابتثجحخدذرزسشصضطظعغفقكلمنهوي") + word[i + 1 :]


def _baseline_syntax(q: str) -> str:
    """The same query in Whoosh's default syntax."""
    return " ".join(f"NOT {part[1:]}" if part.startswith("-") else part for part in q.split(" "))


# -- latency ----------------------------------------------------------------------------------


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    return {"p50": at(50), "p95": at(95), "p99": at(99)}


def latency(
    system: str, index: Path, mix: list[tuple[str, str]], snippets: bool, repeats: int
) -> dict[str, list[float]]:
    if system == "ours":
        engine = open_index(index)

        def run(q: str) -> None:
            engine.search(q, snippets=snippets)
    else:
        searcher = baseline.Searcher(index)

        def run(q: str) -> None:
            searcher.search(_baseline_syntax(q), snippets=snippets)

    for _, q in mix:  # warm up: caches filled, as on a server that has been running
        run(q)
    runs: dict[str, list[float]] = {"p50": [], "p95": [], "p99": []}
    for _ in range(repeats):
        samples = []
        for _, q in mix:
            started = time.perf_counter()
            run(q)
            samples.append((time.perf_counter() - started) * 1000)
        for key, value in percentiles(samples).items():
            runs[key].append(value)
    return runs


# -- HTTP and cold start ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(index: Path, settings: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """`serve` on a free port, the rate limit off, ``settings`` as environment variables."""
    port = _free_port()
    env = {**os.environ, "ARABIC_SEARCH_RATE_LIMIT": "0", "PYTHONPATH": str(BENCH.parent), **(settings or {})}
    process = subprocess.Popen(
        [sys.executable, "-m", "arabic_search", "serve", "--index-dir", str(index), "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return process, f"http://127.0.0.1:{port}"


def cold_start(index: Path, query: str) -> float:
    """Seconds from launching `serve` to the first answered search."""
    started = time.perf_counter()
    process, base = _serve(index)
    url = base + "/api/search?" + urllib.parse.urlencode({"q": query})
    try:
        while time.perf_counter() - started < 60:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    response.read()
                    return time.perf_counter() - started
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("the server did not answer within 60 s")
    finally:
        process.terminate()
        process.wait()


WRK_SCRIPT = """
local paths = {%s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%f %%f %%f\\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout, e.status, latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def http_load(
    index: Path, mix: list[tuple[str, str]], probe: Callable[[subprocess.Popen], dict[str, float]] | None = None
) -> dict[str, float]:
    """wrk with 8 connections for HTTP_SECONDS against the production server;
    ``probe`` reads the server process's figures (its workers' memory) before it stops."""
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk (or run with --no-http)")
    process, base = _serve(index)
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(base + "/api/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.05)
        paths = ", ".join(json.dumps("/api/search?" + urllib.parse.urlencode({"q": q})) for _, q in mix)
        for _, q in mix:  # warm, as a running server is
            with urllib.request.urlopen(base + "/api/search?" + urllib.parse.urlencode({"q": q})) as response:
                response.read()
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(WRK_SCRIPT % paths)
        out = subprocess.run(
            ["wrk", "-t2", f"-c{HTTP_CONNECTIONS}", f"-d{HTTP_SECONDS}s", "-s", script.name, base],
            capture_output=True,
            text=True,
            timeout=HTTP_SECONDS + 30,
        ).stdout
        os.unlink(script.name)
        probed = probe(process) if probe else {}
    finally:
        process.terminate()
        process.wait()
    fields = next(line for line in out.splitlines() if line.startswith("RESULT")).split()[1:]
    requests, duration_us, socket_errors, status_errors = (int(x) for x in fields[:4])
    p50, p95, p99 = (float(x) / 1000 for x in fields[4:])
    return {
        "requests_per_s": requests / (duration_us / 1e6),
        "p50_ms": p50,
        "p95_ms": p95,
        "p99_ms": p99,
        "errors": socket_errors + status_errors,
        **probed,
    }


# -- the run ----------------------------------------------------------------------------------


def _variants(work: Path, size: int, repeats: int) -> dict[str, dict]:
    """Each variant indexed ``repeats`` times, alternating with the baseline and
    the default, so that the machine's load falls on all of them alike."""
    source = corpora.hadith() if size >= 34178 else corpora.hadith_subset(size)
    names = ["baseline", "ours", *VARIANTS]
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    for _ in range(repeats):
        for name in names:
            runs[name].append(index_once(name, source, work / "variant"))
    shutil.rmtree(work / "variant", ignore_errors=True)
    print(f"{size}: variants indexed", flush=True)
    return {
        name: {
            "index_seconds": summary([r["seconds"] for r in found]),
            "peak_rss_mb": summary([r["peak_rss_mb"] for r in found]),
            "index_mb": found[-1]["index_mb"],
        }
        for name, found in runs.items()
    }


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 10000, 20000, 34178])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-http", action="store_true")
    parser.add_argument("--render", action="store_true", help="only rewrite speed.md and speed.png from speed.json")
    parser.add_argument(
        "--baseline-queries",
        type=int,
        default=105,
        help="queries of the mix (the first N: every kind in proportion) for the baseline, whose highlighting takes seconds",
    )
    args = parser.parse_args()
    if args.render:
        return _write(json.loads((RESULTS / "speed.json").read_text(encoding="utf-8")))
    work = corpora.CACHE / "speed"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    mix = query_mix(corpora.hadith())
    report: dict = {
        "machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]},
        "queries": len(mix),
        "baseline_queries": min(len(mix), args.baseline_queries),
        "sizes": {},
    }
    for size in args.sizes:
        source = corpora.hadith() if size >= 34178 else corpora.hadith_subset(size)
        documents = sum(1 for _ in source.open(encoding="utf-8"))
        megabytes = source.stat().st_size / 2**20
        row: dict = {"documents": documents, "input_mb": megabytes}
        for system in SYSTEMS:
            runs = [index_once(system, source, work / f"{system}-{size}") for _ in range(args.repeats)]
            seconds = summary([r["seconds"] for r in runs])
            row[system] = {
                "index_seconds": seconds,
                "docs_per_s": documents / seconds["median"],
                "mb_per_s": megabytes / seconds["median"],
                "peak_rss_mb": summary([r["peak_rss_mb"] for r in runs]),
                "index_mb": runs[-1]["index_mb"],
            }
            queries = mix if system == "ours" else mix[: args.baseline_queries]
            for snippets in (True, False):
                runs_ms = latency(system, work / f"{system}-{size}", queries, snippets, args.repeats)
                row[system]["snippets" if snippets else "no_snippets"] = {k: summary(v) for k, v in runs_ms.items()}
            print(
                f"{size}: {system} indexed in {seconds['median']:.1f} s, p95 {row[system]['snippets']['p95']['median']:.1f} ms",
                flush=True,
            )
        report["sizes"][size] = row
    report["variants"] = _variants(work, max(args.sizes), args.repeats)
    largest = work / f"ours-{max(args.sizes)}"
    report["cold_start_s"] = summary([cold_start(largest, mix[0][1]) for _ in range(args.repeats)])
    if not args.no_http:
        runs = [http_load(largest, mix) for _ in range(args.repeats)]
        report["http"] = {key: summary([r[key] for r in runs]) for key in runs[0]}
    _write(report)


def _write(report: dict) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "speed.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    text = _markdown(report)
    (RESULTS / "speed.md").write_text(text, encoding="utf-8")
    _plot(report, RESULTS / "speed.png")
    print(text)


def _fmt(s: dict[str, float], digits: int = 1) -> str:
    return f"{s['median']:.{digits}f} ({s['min']:.{digits}f}–{s['max']:.{digits}f})"


def _markdown(report: dict) -> str:
    lines = [
        f"Machine: {report['machine']['cores']} cores, Python {report['machine']['python']}; "
        f"{report['queries']} queries ({report['baseline_queries']} of them for the baseline); "
        "median (min–max) of the repeated runs.",
        "",
        "### Indexing",
        "",
        "| documents | MB | ours: s | docs/s | MB/s | peak RSS MB | index MB | baseline: s | peak RSS MB | index MB | time ratio |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in report["sizes"].values():
        ours, base = row["ours"], row["baseline"]
        ratio = ours["index_seconds"]["median"] / base["index_seconds"]["median"]
        lines.append(
            f"| {row['documents']:,} | {row['input_mb']:.1f} | {_fmt(ours['index_seconds'])} | {ours['docs_per_s']:.0f} | "
            f"{ours['mb_per_s']:.2f} | {ours['peak_rss_mb']['median']:.0f} | {ours['index_mb']:.0f} | "
            f"{_fmt(base['index_seconds'])} | {base['peak_rss_mb']['median']:.0f} | {base['index_mb']:.0f} | {ratio:.2f} |"
        )
    if "variants" in report:
        variants = report["variants"]
        base = variants["baseline"]["index_seconds"]["median"]
        labels = {"baseline": "plain Whoosh baseline", "ours": "this engine (default: both views, stemmed)", **VARIANTS}
        lines += [
            "",
            f"### What the stem view costs ({max(int(d) for d in report['sizes']):,} documents, runs alternated)",
            "",
            "| build | s | ratio to baseline | peak RSS MB | index MB |",
            "|---|---|---|---|---|",
        ]
        for name, found in variants.items():
            lines.append(
                f"| {labels[name]} | {_fmt(found['index_seconds'])} | {found['index_seconds']['median'] / base:.2f} | "
                f"{found['peak_rss_mb']['median']:.0f} | {found['index_mb']:.0f} |"
            )
    lines += [
        "",
        "### Query latency, warm (ms)",
        "",
        "| documents | ours p50 | p95 | p99 | no snippets p95 | baseline p50 | p95 | p99 | no snippets p95 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in report["sizes"].values():
        o, b = row["ours"], row["baseline"]
        lines.append(
            f"| {row['documents']:,} | {_fmt(o['snippets']['p50'])} | {_fmt(o['snippets']['p95'])} | {_fmt(o['snippets']['p99'])} | "
            f"{_fmt(o['no_snippets']['p95'])} | {_fmt(b['snippets']['p50'])} | {_fmt(b['snippets']['p95'])} | "
            f"{_fmt(b['snippets']['p99'])} | {_fmt(b['no_snippets']['p95'])} |"
        )
    lines += ["", f"Cold start (serve to first answer, largest index): {_fmt(report['cold_start_s'], 2)} s"]
    if "http" in report:
        h = report["http"]
        lines += [
            "",
            f"HTTP, {HTTP_CONNECTIONS} connections, {HTTP_SECONDS} s per run (wrk): {_fmt(h['requests_per_s'], 0)} requests/s, "
            f"p50 {_fmt(h['p50_ms'])} ms, p95 {_fmt(h['p95_ms'])} ms, p99 {_fmt(h['p99_ms'])} ms, errors {h['errors']['max']:.0f}",
        ]
    return "\n".join(lines) + "\n"


def _plot(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [row["documents"] for row in report["sizes"].values()]
    rows = list(report["sizes"].values())
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for system, label, color in (("ours", "this engine", "tab:blue"), ("baseline", "plain Whoosh", "tab:orange")):
        left.plot(sizes, [r[system]["index_seconds"]["median"] for r in rows], marker="o", color=color, label=label)
        p95 = [r[system]["snippets"]["p95"]["median"] for r in rows]
        right.plot(sizes, p95, marker="o", color=color, label=f"{label}, p95")
        right.plot(
            sizes,
            [r[system]["snippets"]["p50"]["median"] for r in rows],
            color=color,
            marker=".",
            linestyle="--",
            label=f"{label}, p50",
        )
    left.set(title="Indexing time", xlabel="documents", ylabel="seconds")
    right.set(title="Query latency with snippets (warm)", xlabel="documents", ylabel="ms", yscale="log")
    left.legend()
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_index":
        _index_child(*sys.argv[2:5])
    else:
        main()
