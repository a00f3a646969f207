"""Reliability: what was tried, how many times, how many failed, peak memory.

    python bench/reliability.py [--kills 20] [--hostile 10000] [--soak 50000] [--only kills hostile soak load]

1. **kills**: `arabic-search index` and `update` killed (SIGKILL to the main
   process, not its group) at a random moment of their run; after each, `check`
   finds nothing wrong but what the killed run left over, the index answers with
   all the old documents or all the new ones (never a mix), no indexing worker
   outlives its parent, and the same command run again completes and leaves an
   index that `check` calls whole.
2. **hostile**: generated hostile queries (Arabic with presentation forms and
   marks, marks alone, bidi and zero-width controls, control characters, quotes and
   parentheses unbalanced or nested, operator soup, 1,000 and 10,000 characters,
   emoji, broken percent-escapes) to a running `serve`, through the API (GET and
   POST) and the page: a failure is a 5xx, an API answer that is not our JSON
   error shape, or an answer slower than 2 s.
3. **soak**: varied queries (casually typed ones and words no one has typed
   before, which fill the word caches) to `serve`; each worker's RSS every tenth
   of the run: it must level off within 20% of its value after the first 5,000.
4. **load**: 8 clients query `serve` while the index is rebuilt and then updated
   (documents added, changed and pruned): failed requests, a document twice on a
   page, a total that is neither the old nor the new one, and the seconds until
   the update shows.

Writes bench/results/reliability.{md,json}. The tests run the kills 3 times
each (tests/test_reliability.py) through :func:`kill_trial`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date
from pathlib import Path

BENCH = Path(__file__).parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(BENCH)]

import scale  # noqa: E402
import speed  # noqa: E402

from indexer.bundled import sample_sources  # noqa: E402
from indexer.check import check  # noqa: E402
from search.engine import open_index  # noqa: E402

RESULTS = BENCH / "results"
# A word that only the changed and added documents hold.
MARKER = "قرطاسيونة"


# -- kills ------------------------------------------------------------------------------------


def change_file(path: Path, added: int = 300, changed: int = 200) -> Path:
    """New documents and new versions of existing ones (the bundled hadith), all
    holding MARKER: after an update, either every one of them is found or none."""
    with (sample_sources()[1]).open(encoding="utf-8") as lines:
        old = [json.loads(line) for _, line in zip(range(changed), lines, strict=False)]
    records = [{**doc, "text": f"{MARKER} {doc['text']}"} for doc in old]
    records += [{"id": f"new-{i}", "text": f"{MARKER} حديث جديد رقم {i} عن الصلاة والصيام"} for i in range(added)]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


_ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def _command(kind: str, index: Path, change: Path) -> list[str]:
    """`arabic-search index` (the sample and the change) or `update` (the change)."""
    sources = [] if kind == "update" else [str(s) for s in sample_sources()]
    return [kind, *sources, str(change), "--index-dir", str(index)]


def _run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    """`arabic-search ARGS`, run to its end."""
    command = [sys.executable, "-m", "arabic_search", *args]
    return subprocess.run(command, env=_ENV, check=check, capture_output=True, text=True)


def _index_sample(index: Path) -> None:
    _run("index", *(str(s) for s in sample_sources()), "--index-dir", str(index))


def _state(index: Path) -> tuple[int, int]:
    """(documents, documents holding MARKER) as a search sees them."""
    with open_index(index) as engine:
        return engine.info()["documents"], engine.search(MARKER, per_page=1, correct=False)["total"]


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return False


def kill_trial(kind: str, base: Path, change: Path, work: Path, delay: float, expected: dict) -> str | None:
    """Kill `arabic-search KIND` on a copy of ``base`` after ``delay`` seconds and
    check what it left (see the module's doc); returns what was wrong, or None.
    ``expected``: {"before": (documents, marked), "after": (documents, marked)}."""
    index = work / "index"
    shutil.rmtree(index, ignore_errors=True)
    shutil.copytree(base, index)
    process = subprocess.Popen(
        [sys.executable, "-m", "arabic_search", *_command(kind, index, change)],
        env=_ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(delay)
    workers = _children(process.pid)
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 5
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    if any(_alive(w) for w in workers):
        return f"{kind} killed after {delay:.2f} s: a worker outlived its parent"
    report = check(index)
    wrong = [p for p in report.problems if "is left over" not in p]
    if wrong:
        return f"{kind} killed after {delay:.2f} s: check says {wrong}"
    state = _state(index)
    if state not in (expected["before"], expected["after"]):
        return f"{kind} killed after {delay:.2f} s: the index shows {state}, neither {expected['before']} nor {expected['after']}"
    again = _run(*_command(kind, index, change), check=False)
    if again.returncode != 0:
        return f"{kind} after a kill at {delay:.2f} s failed: {again.stderr.strip()[-300:]}"
    report = check(index)
    if report.problems or _state(index) != expected["after"]:
        return f"{kind} after a kill at {delay:.2f} s: check says {report.problems}, the index shows {_state(index)}"
    return None


def prepare_kills(work: Path) -> tuple[Path, Path, dict[str, tuple[float, dict]]]:
    """The base index, the change, and per kind the seconds of an unkilled run and the expected states."""
    base = work / "base"
    change = change_file(work / "change.jsonl")
    _index_sample(base)
    runs = {}
    for kind in ("index", "update"):
        index = work / f"full-{kind}"
        shutil.copytree(base, index)
        started = time.perf_counter()
        _run(*_command(kind, index, change))
        runs[kind] = (time.perf_counter() - started, {"before": _state(base), "after": _state(index)})
        shutil.rmtree(index)
    return base, change, runs


def kills(trials: int, seed: int = 7) -> dict:
    rng = random.Random(seed)
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        base, change, runs = prepare_kills(work)
        for kind, (seconds, expected) in runs.items():
            failures = [
                failure
                for _ in range(trials)
                if (failure := kill_trial(kind, base, change, work, rng.uniform(0.05, seconds), expected))
            ]
            rows[f"kill -9 during `{kind}` ({seconds:.1f} s run)"] = {
                "tried": trials,
                "failed": len(failures),
                "notes": failures[:3],
            }
    return rows


# -- a running server ---------------------------------------------------------------------------


class Server:
    """`arabic-search serve` on a free port, with the rate limit off."""

    def __init__(self, index: Path, **env: str) -> None:
        self.process, self.base = speed._serve(index, env)
        for _ in range(600):
            try:
                self.get("/api/health")
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("serve did not answer")

    def get(self, path: str, data: bytes | None = None) -> tuple[int, str, bytes, float]:
        headers = {"Content-Type": "application/json"} if data is not None else {}
        request = urllib.request.Request(self.base + path, data=data, headers=headers)
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return (
                    response.status,
                    response.headers.get("Content-Type", ""),
                    response.read(),
                    time.perf_counter() - started,
                )
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Content-Type", ""), error.read(), time.perf_counter() - started

    def worker_rss_mb(self) -> list[float]:
        rss = []
        for pid in _children(self.process.pid):
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss.append(int(line.split()[1]) / 1024)
        return rss

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()


PIECES = [
    "(",
    ")",
    '"',
    "-",
    "*",
    "~",
    "~2",
    "OR",
    "AND",
    "NOT",
    "title:",
    "text:",
    "id:",
    "collection:",
    "date:",
    "الصلاة",
    "الأعمال",
    "بالنيات",
    "\u064e",
    "\u0651",
    "\u0640",
    "\u200f",
    "\u202e",
    "\u200d",
    "\ufeff",
    "\ufefb",
    "\ufe8d",
    "ﷲ",
    "😀",
    "\x00",
    "\x1b",
    "\n",
    "%",
    "%ED%B0%80",
    "<script>",
    "&amp;",
    "١٢٣",
    " ",
]


def hostile_query(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.05:
        return rng.choice(["ا", "(", "\u064e"]) * rng.choice([1_000, 10_000])
    if kind < 0.1:
        return "(" * rng.randint(5, 400) + "الصلاة" + ")" * rng.randint(0, 400)
    if kind < 0.15:
        return (
            "".join(chr(rng.randint(0x20, 0x10FFFF)) for _ in range(rng.randint(1, 40)))
            .encode("utf-8", "replace")
            .decode("utf-8", "replace")
        )
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 30)))


def hostile(index: Path, count: int, seed: int = 3) -> dict:
    rng = random.Random(seed)
    server = Server(index)
    failures, slowest = [], 0.0
    try:
        for n in range(count):
            q = hostile_query(rng)
            way = n % 3
            if way == 0:
                status, kind, body, seconds = server.get("/api/search?" + urllib.parse.urlencode({"q": q}))
            elif way == 1:
                status, kind, body, seconds = server.get("/api/search", json.dumps({"q": q}).encode())
            else:
                status, kind, body, seconds = server.get("/?" + urllib.parse.urlencode({"q": q}))
            slowest = max(slowest, seconds)
            api = way < 2
            shaped = not api or (kind.startswith("application/json") and (status == 200 or "error" in json.loads(body)))
            if status >= 500 or not shaped or seconds > 2:
                failures.append(f"{status} in {seconds:.1f} s for {q[:60]!r}")
    finally:
        server.stop()
    return {
        "hostile queries over HTTP (API GET, API POST, page)": {
            "tried": count,
            "failed": len(failures),
            "notes": failures[:3] + [f"slowest {slowest:.2f} s"],
        }
    }


def soak(index: Path, count: int, seed: int = 5) -> dict:
    rng = random.Random(seed)
    typed = scale.casual_queries(sample_sources()[1], 2_000)
    server = Server(index, ARABIC_SEARCH_MAX_REQUESTS="0")  # the caches alone must hold memory, not recycling
    samples: list[tuple[int, float]] = []
    errors = 0
    lock = threading.Lock()
    done = 0

    def client(share: int, seed: int) -> None:
        nonlocal done, errors
        local = random.Random(seed)
        for _ in range(share):
            if local.random() < 0.5:
                q = local.choice(typed)
            else:  # a word no one has typed before
                q = "".join(local.choice("ابتثجحخدذرزسشصضطظعغفقكلمنهوي") for _ in range(local.randint(3, 9)))
            status = server.get("/api/search?" + urllib.parse.urlencode({"q": q}))[0]
            with lock:
                done += 1
                errors += status != 200

    try:
        threads = [threading.Thread(target=client, args=(count // 8, rng.random())) for _ in range(8)]
        for thread in threads:
            thread.start()
        step = max(count // 10, 1)
        while any(t.is_alive() for t in threads):
            time.sleep(0.2)
            if done >= (len(samples) + 1) * step:
                samples.append((done, max(server.worker_rss_mb())))
        samples.append((done, max(server.worker_rss_mb())))
    finally:
        server.stop()
    after_5k = next((rss for n, rss in samples if n >= 5_000), samples[0][1])
    peak = max(rss for _, rss in samples)
    level = peak <= after_5k * 1.2
    return {
        "soak: queries to serve, half of them new words": {
            "tried": done,
            "failed": errors + (0 if level else 1),
            "notes": [
                f"worker RSS (MB) by queries: {', '.join(f'{n:,}: {rss:.0f}' for n, rss in samples)}",
                f"peak {peak:.0f} MB is {peak / after_5k:.2f}x the RSS after 5,000 queries (limit 1.2x)",
            ],
            "peak_mb": peak,
        }
    }


def load(work: Path, seconds_between: float = 2.0) -> dict:
    """8 clients querying while the served index is rebuilt, then updated."""
    index = work / "served"
    change = change_file(work / "change.jsonl")
    _index_sample(index)
    before = _state(index)
    server = Server(index)
    stop = threading.Event()
    seen: list[tuple[float, int, int]] = []  # (time, status, total of MARKER)
    problems: list[str] = []
    lock = threading.Lock()

    def client() -> None:
        while not stop.is_set():
            for q in (MARKER, "الصلاة", "الأعمال بالنيات"):
                status, _, body, _ = server.get(
                    "/api/search?" + urllib.parse.urlencode({"q": q, "per_page": 50, "correct": "false"})
                )
                with lock:
                    if status != 200:
                        problems.append(f"{status} for {q}")
                        continue
                    data = json.loads(body)
                    ids = [h["id"] for h in data["hits"]]
                    if len(ids) != len(set(ids)):
                        problems.append(f"a document twice on a page for {q}")
                    if q == MARKER:
                        seen.append((time.monotonic(), status, data["total"]))

    threads = [threading.Thread(target=client) for _ in range(8)]
    try:
        for thread in threads:
            thread.start()
        time.sleep(seconds_between)
        _index_sample(index)  # a rebuild
        time.sleep(seconds_between)
        _run("update", str(change), "--index-dir", str(index))
        published = time.monotonic()
        time.sleep(seconds_between)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        server.stop()
    after = _state(index)
    totals = {total for _, _, total in seen}
    if not totals <= {before[1], after[1]}:
        problems.append(f"totals {sorted(totals)} for the marker, expected {before[1]} or {after[1]}")
    shown = next((t for t, _, total in seen if t >= published and total == after[1]), None)
    late = [t for t, _, total in seen if shown is not None and t > shown and total != after[1]]
    if shown is None or late:
        problems.append("the update did not stay visible")
    return {
        "8 clients during a rebuild and an update": {
            "tried": len(seen) * 3,
            "failed": len(problems),
            "notes": problems[:3]
            + ([f"the update showed {max(0.0, shown - published):.2f} s after it finished"] if shown else []),
        }
    }


# -- the run ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--hostile", type=int, default=10_000)
    parser.add_argument("--soak", type=int, default=50_000)
    parser.add_argument("--only", nargs="*", default=["kills", "hostile", "soak", "load"])
    args = parser.parse_args()
    rows: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if "kills" in args.only:
            rows.update(kills(args.kills))
        index = work / "sample"
        _index_sample(index)
        if "hostile" in args.only:
            rows.update(hostile(index, args.hostile))
        if "soak" in args.only:
            rows.update(soak(index, args.soak))
        if "load" in args.only:
            rows.update(load(work))
    report = {"date": date.today().isoformat(), "rows": rows}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "reliability.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (RESULTS / "reliability.md").write_text(_markdown(report), encoding="utf-8")
    print(_markdown(report))


def _markdown(report: dict) -> str:
    lines = [
        f"Reliability, {report['date']} (bench/reliability.py)",
        "",
        "| what was tried | times | failed | notes |",
        "|---|---|---|---|",
    ]
    for name, row in report["rows"].items():
        notes = "; ".join(row["notes"]).replace("|", "\\|")
        lines.append(f"| {name} | {row['tried']:,} | {row['failed']} | {notes} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
