"""Every kind of update, then everything a user does with the index: through the
command line, the Python API and a server that keeps running across the update.

Each document of the corpus is one line "نص ... عن FRUIT": the fruit finds that
document alone, "نص" finds them all.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from test_server import get

from arabic_search.cli import main
from conftest import ROOT, live_server
from indexer import build_index, update_index
from indexer.check import check as check_index
from indexer.storage import current_generation
from search import SearchEngine, open_index

FIRST = {"a.txt": "نص أول عن الزيتون", "b.txt": "نص ثان عن البرتقال", "c.txt": "نص ثالث عن التفاح"}

# Each update: the files written (None: deleted) and whether it prunes.
ADD = ({"d.txt": "نص رابع عن الرمان"}, False)
CHANGE = ({"a.txt": "نص معدل عن المشمش"}, False)
PRUNE = ({"c.txt": None}, True)
ALL_THREE = ({"d.txt": "نص رابع عن الرمان", "a.txt": "نص معدل عن المشمش", "c.txt": None}, True)
CHANGE_AGAIN = ({"a.txt": "نص معدل ثانية عن الخوخ"}, False)

SCENARIOS = {
    "add": [ADD],
    "change": [CHANGE],
    "prune": [PRUNE],
    "add-change-prune": [ALL_THREE],
    "twice": [CHANGE, CHANGE_AGAIN],
}


def fruit(text: str) -> str:
    return text.split()[-1]


def doc_id(name: str) -> str:
    return f"corpus/{name}"


def write(root: Path, files: dict[str, str | None]) -> None:
    for name, text in files.items():
        if text is None:
            (root / name).unlink()
        else:
            (root / name).write_text(text, encoding="utf-8")


def expected(steps: list[tuple[dict[str, str | None], bool]]) -> tuple[dict[str, str], set[str]]:
    """The documents after ``steps``, and the fruits no document has any more."""
    documents: dict[str, str] = dict(FIRST)
    ever = {fruit(t) for t in FIRST.values()}
    for files, _ in steps:
        for name, text in files.items():
            if text is None:
                documents.pop(name)
            else:
                documents[name] = text
                ever.add(fruit(text))
    return documents, ever - {fruit(t) for t in documents.values()}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    write(root, dict(FIRST))
    return root


class Cli:
    """The command line: search --json and stats --json (it has no suggest or document command)."""

    complete = document = None

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir

    def run(self, *args: Any) -> Any:
        result = CliRunner().invoke(main, [str(a) for a in args] + ["--index-dir", str(self.index_dir)])
        assert result.exit_code in (0, 1), result.output
        return json.loads(result.stdout)

    def search(self, q: str) -> tuple[int, list[str], str]:
        data = self.run("search", q, "--json", "--per-page", "100")
        return data["total"], [h["id"] for h in data["hits"]], " ".join(h["snippet"] for h in data["hits"])

    def count(self) -> int:
        return self.run("stats", "--json")["documents"]


class Api:
    """The Python API, through one engine."""

    def __init__(self, engine: SearchEngine) -> None:
        self.engine = engine

    def search(self, q: str) -> tuple[int, list[str], str]:
        data = self.engine.search(q, per_page=100)
        return data["total"], [h["id"] for h in data["hits"]], " ".join(h["snippet"] for h in data["hits"])

    def complete(self, prefix: str) -> list[str]:
        return self.engine.complete(prefix)

    def document(self, identifier: str) -> str:
        return self.engine.document(identifier)["text"]

    def count(self) -> int:
        return self.engine.info()["documents"]


class Http:
    """A running server: the JSON API and the results page."""

    def __init__(self, base: str) -> None:
        self.base = base

    def json(self, path: str, **params: Any) -> dict[str, Any]:
        status, _, body = get(self.base + path + ("?" + urllib.parse.urlencode(params) if params else ""))
        assert status == 200, body
        return json.loads(body)

    def search(self, q: str) -> tuple[int, list[str], str]:
        data = self.json("/api/search", q=q, per_page=100)
        status, _, page = get(self.base + "/?" + urllib.parse.urlencode({"q": q}))
        assert status == 200
        return data["total"], [h["id"] for h in data["hits"]], page.decode("utf-8")

    def complete(self, prefix: str) -> list[str]:
        return self.json("/api/suggest", q=prefix)["suggestions"]

    def document(self, identifier: str) -> str:
        return self.json(f"/api/documents/{identifier}")["text"]

    def count(self) -> int:
        return self.json("/api/health")["documents"]


def check(ask: Cli | Api | Http, documents: dict[str, str], gone: set[str]) -> None:
    """What the user sees is the sources after the update: each document once, in its new text."""
    total, ids, shown = ask.search("نص")
    assert total == len(documents) == len(ids)
    assert sorted(ids) == sorted(doc_id(name) for name in documents)
    assert ask.count() == len(documents)
    for name, text in documents.items():
        assert ask.search(fruit(text))[:2] == (1, [doc_id(name)])
        assert fruit(text) in shown
        if ask.document:
            assert ask.document(doc_id(name)) == text
        if ask.complete:
            assert fruit(text) in ask.complete(fruit(text)[:4])
    for word in gone:
        assert ask.search(word)[:2] == (0, [])
        assert word not in shown
        if ask.complete:
            assert word not in ask.complete(word[:4])


@pytest.mark.parametrize("steps", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_cli_searches_after_an_update(steps, corpus, tmp_path):
    index_dir = tmp_path / "index"
    runner = CliRunner()
    assert runner.invoke(main, ["index", str(corpus), "--index-dir", str(index_dir)]).exit_code == 0
    for files, prune in steps:
        write(corpus, files)
        args = ["update", str(corpus), "--index-dir", str(index_dir)] + (["--prune"] if prune else [])
        result = runner.invoke(main, args)
        assert result.exit_code == 0, result.output
    check(Cli(index_dir), *expected(steps))


@pytest.mark.parametrize("steps", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_python_api_searches_after_an_update(steps, corpus, tmp_path):
    index_dir = tmp_path / "index"
    build_index([corpus], index_dir)
    # An engine that stays open across the updates (checking the disk at every call) ...
    with SearchEngine(index_dir, recheck_seconds=0) as running:
        check(Api(running), *expected([]))
        for files, prune in steps:
            write(corpus, files)
            update_index([corpus], index_dir, prune=prune)
        check(Api(running), *expected(steps))
    # ... and one opened afterwards see the same.
    with open_index(index_dir) as fresh:
        check(Api(fresh), *expected(steps))


@pytest.mark.parametrize("steps", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_running_server_follows_an_update(steps, corpus, tmp_path):
    index_dir = tmp_path / "index"
    build_index([corpus], index_dir)
    with live_server(index_dir, cwd=tmp_path) as base:
        server = Http(base)
        check(server, *expected([]))
        for files, prune in steps:
            write(corpus, files)
            update_index([corpus], index_dir, prune=prune)
        time.sleep(1)  # every worker looks at the disk again after half a second
        check(server, *expected(steps))


# Where an update is killed: a patch that ends the process after a step, and
# whether the update was already live by then.
KILLS = {
    "after-linking": ("import indexer.update as m; die_after(m, 'link_generation')", False),
    "while-writing": ("from whoosh.writing import SegmentWriter as m; die_after(m, 'add_document')", False),
    "after-whoosh-commit": ("from whoosh.writing import SegmentWriter as m; die_after(m, 'commit')", False),
    "after-vocabulary": ("from indexer.vocabulary import Vocabulary as m; die_after(m, 'save')", False),
    "after-meta": ("from indexer.storage import IndexMeta as m; die_after(m, 'save')", False),
    "after-rename": ("from pathlib import Path as m; die_after(m, 'rename')", False),
    "after-current": ("die_after(os, 'replace', lambda src, dst: Path(dst).name == 'CURRENT')", True),
}

KILLER = """
import os, sys
from pathlib import Path

def die_after(owner, name, when=lambda *args: True):
    real = getattr(owner, name)
    def wrapper(*args, **kwargs):
        result = real(*args, **kwargs)
        if when(*args):
            os._exit(9)
        return result
    setattr(owner, name, wrapper)

{patch}
from indexer import update_index
update_index([sys.argv[1]], sys.argv[2], prune=True)
"""


def consistent(index_dir: Path) -> None:
    """`arabic-search check` finds nothing wrong but what a killed run left over
    (the live generation opens; its arrays, vocabulary and count agree with its
    documents; each document is found by its id and its first word)."""
    assert [p for p in check_index(index_dir).problems if "is left over" not in p] == []


@pytest.mark.parametrize("patch, live", KILLS.values(), ids=KILLS.keys())
def test_a_killed_update_leaves_the_old_index_or_the_new_one(patch, live, corpus, tmp_path):
    index_dir = tmp_path / "index"
    build_index([corpus], index_dir)
    before = current_generation(index_dir)
    write(corpus, ALL_THREE[0])
    killed = subprocess.run(
        [sys.executable, "-c", KILLER.format(patch=patch), str(corpus), str(index_dir)], cwd=ROOT, timeout=120
    )
    assert killed.returncode == 9  # it died where it was told to
    steps = [ALL_THREE] if live else []
    with open_index(index_dir) as engine:
        check(Api(engine), *expected(steps))
    consistent(index_dir)
    assert (current_generation(index_dir) == before) is not live
    # The next update completes the change and clears what the killed one left.
    stats = update_index([corpus], index_dir, prune=True)
    assert (stats.added, stats.changed, stats.deleted) == ((0, 0, 0) if live else (1, 1, 1))
    with open_index(index_dir) as engine:
        check(Api(engine), *expected([ALL_THREE]))
    consistent(index_dir)
    assert not list(index_dir.glob(".building-*")) and len(list(index_dir.glob("gen-*"))) <= 2
