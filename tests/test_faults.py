"""A damaged index: each kind of damage gives one clear line (exit 2 in the CLI,
503 with the error shape on the server), never a traceback; a running engine
keeps serving the generation it has open; what is derived is derived again."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from arabic_search.cli import main
from conftest import ROOT, write_corpus
from indexer import build_index
from indexer.errors import IndexDamagedError, IndexNotFoundError
from indexer.storage import CURRENT, current_generation, write_lock
from search.engine import open_index
from web import create_app


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("faults")
    build_index([write_corpus(root / "corpus")], root / "index")
    return root / "index"


@pytest.fixture
def index_dir(pristine: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "index"
    shutil.copytree(pristine, copy)
    return copy


def _segment_file(generation: Path, suffix: str) -> Path:
    return sorted(generation.glob(f"MAIN_*{suffix}"))[0]


def _write_binary_current(index_dir: Path, generation: Path) -> None:
    (index_dir / CURRENT).write_bytes(b"\xff\xfe\x00\x01")


# (damage, what the one line says)
DAMAGE = {
    "CURRENT deleted": (lambda d, g: (d / CURRENT).unlink(), "CURRENT (which names the live generation) is missing"),
    "CURRENT a folder": (
        lambda d, g: ((d / CURRENT).unlink(), (d / CURRENT).mkdir()),
        "cannot read CURRENT: Is a directory",
    ),
    "CURRENT binary": (_write_binary_current, "CURRENT does not hold a generation's name"),
    "CURRENT names a missing generation": (
        lambda d, g: (d / CURRENT).write_text("gen-20200101T000000-000000\n"),
        "CURRENT names gen-20200101T000000-000000, which is missing",
    ),
    "meta.json deleted": (lambda d, g: (g / "meta.json").unlink(), "which has no meta.json"),
    "table of contents deleted": (
        lambda d, g: next(g.glob("_MAIN_*.toc")).unlink(),
        "has no table of contents (_MAIN_*.toc)",
    ),
    "table of contents overwritten": (
        lambda d, g: next(g.glob("_MAIN_*.toc")).write_bytes(b"garbage\n" * 10),
        "the table of contents of gen-",
    ),
    "a segment's terms deleted": (
        lambda d, g: _segment_file(g, ".trm").unlink(),
        "cannot be read (No such file or directory: MAIN_",
    ),
    "vocabulary overwritten": (lambda d, g: (g / "vocabulary.json").write_text("{bad"), "cannot be read (Expecting"),
}


@pytest.mark.parametrize("kind", DAMAGE)
def test_each_damage_is_one_line_in_the_cli_and_a_503_on_the_server(index_dir, kind):
    damage, says = DAMAGE[kind]
    damage(index_dir, current_generation(index_dir))
    for command in ("search", "stats"):
        args = [command, "وزير"] if command == "search" else [command]
        result = CliRunner().invoke(main, [*args, "--index-dir", str(index_dir)])
        if command == "stats" and kind == "vocabulary overwritten":
            assert result.exit_code == 0  # stats does not read the words
            continue
        assert result.exit_code == 2, result.output
        [line] = result.stderr.strip().splitlines()
        assert line.startswith(f"Error: the index at {index_dir} is damaged: ") and says in line, line
        assert "arabic-search check --repair" in line and "Traceback" not in result.output
    client = create_app({"index_dir": index_dir, "rate_limit": 0}).test_client()
    response = client.get("/api/search?q=وزير")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "index_damaged"
    page = client.get("/?q=وزير")
    assert page.status_code == 503 and "الفهرس تالف" in page.get_data(as_text=True)


def test_an_index_folder_without_generations_is_still_no_index(tmp_path):
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / CURRENT).write_bytes(b"\xff\xfe")
    with pytest.raises(IndexNotFoundError, match="arabic-search index"):
        open_index(tmp_path / "index")


@pytest.mark.parametrize(
    "damage",
    [
        lambda d, g: (d / CURRENT).unlink(),
        lambda d, g: (d / CURRENT).write_text("gen-20200101T000000-000000\n"),
        lambda d, g: (g / "meta.json").unlink(),
    ],
    ids=["CURRENT deleted", "CURRENT names a missing generation", "meta.json deleted"],
)
def test_a_running_engine_keeps_serving_the_generation_it_has_open(index_dir, damage, caplog):
    with open_index(index_dir) as engine:
        engine.recheck_seconds = 0
        before = engine.search("وزير")
        damage(index_dir, current_generation(index_dir))
        with caplog.at_level(logging.ERROR, logger="search.engine"):
            for _ in range(3):
                after = engine.search("وزير")
                assert [h["id"] for h in after["hits"]] == [h["id"] for h in before["hits"]]
        [logged] = caplog.records  # once, not at every search
        assert f"the index at {index_dir} is damaged" in logged.getMessage()
        assert "still serving gen-" in logged.getMessage()


def test_a_newer_generation_that_cannot_be_opened_leaves_the_open_one_serving(index_dir, tmp_path, caplog):
    with open_index(index_dir) as engine:
        engine.recheck_seconds = 0
        before = engine.search("وزير")["total"]
        build_index([write_corpus(tmp_path / "corpus")], index_dir)  # a new generation...
        _segment_file(current_generation(index_dir), ".trm").unlink()  # ...damaged
        with caplog.at_level(logging.ERROR, logger="search.engine"):
            assert engine.search("وزير")["total"] == before
        assert "cannot be read (No such file or directory" in caplog.text
    with pytest.raises(IndexDamagedError):
        open_index(index_dir)  # nothing open to fall back on


def test_a_damaged_arrays_file_is_derived_again_in_memory(index_dir, caplog):
    with open_index(index_dir) as engine:
        expected = engine.search("وزير")
    arrays = _segment_file(current_generation(index_dir), ".arrays")
    arrays.write_bytes(arrays.read_bytes()[:100])
    with caplog.at_level(logging.WARNING), open_index(index_dir) as engine:
        found = engine.search("وزير")
    assert [h["id"] for h in found["hits"]] == [h["id"] for h in expected["hits"]] and found["total"] == expected[
        "total"
    ]
    assert f"{arrays} cannot be read" in caplog.text and "check --repair" in caplog.text


def test_a_build_mends_a_broken_pointer_and_leaves_no_generation_behind(index_dir, tmp_path):
    _write_binary_current(index_dir, current_generation(index_dir))
    build_index([write_corpus(tmp_path / "corpus")], index_dir)
    generations = sorted(p.name for p in index_dir.glob("gen-*"))
    assert generations == [current_generation(index_dir).name]
    with open_index(index_dir) as engine:
        assert engine.search("وزير")["total"] > 0


# -- arabic-search check [--repair] ------------------------------------------------------


def _check(index_dir: Path, *options: str):
    return CliRunner().invoke(main, ["check", *options, "--index-dir", str(index_dir)])


def test_check_says_ok_on_a_whole_index(index_dir):
    result = _check(index_dir)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"ok: {index_dir} ({current_generation(index_dir).name}), 6 documents in 1 segment"


def _truncate_arrays(d: Path, g: Path) -> None:
    path = _segment_file(g, ".arrays")
    path.write_bytes(path.read_bytes()[:100])


def _leave_leftovers(d: Path, g: Path) -> None:
    (d / ".building-20261203T000000-abcdef").mkdir()
    (d / "CURRENT.tmp").write_text("gen-x")
    (g / "MAIN_x.arrays.123.partial").write_bytes(b"half")


REPAIRABLE = {
    "arrays cut short": (_truncate_arrays, "MAIN_", ".arrays differs from its segment"),
    "arrays deleted": (lambda d, g: _segment_file(g, ".arrays").unlink(), ".arrays is missing"),
    "vocabulary overwritten": (
        lambda d, g: (g / "vocabulary.json").write_text("[]"),
        "vocabulary.json is not in step with the documents",
    ),
    "vocabulary unreadable": (
        lambda d, g: (g / "vocabulary.json").write_text("{bad"),
        "vocabulary.json cannot be read",
    ),
    "lexicon deleted": (lambda d, g: (g / "lexicon.marshal").unlink(), "lexicon.marshal is missing"),
    "lexicon overwritten": (
        lambda d, g: (g / "lexicon.marshal").write_bytes(b"\x00" * 64),
        "lexicon.marshal cannot be read",
        "searches read the dictionary as they start",
    ),
    "CURRENT binary": (_write_binary_current, "CURRENT does not hold a generation's name"),
    "CURRENT a folder": (
        lambda d, g: ((d / CURRENT).unlink(), (d / CURRENT).mkdir()),
        "cannot read CURRENT: Is a directory",
    ),
    "CURRENT deleted": (lambda d, g: (d / CURRENT).unlink(), "CURRENT (which names the live generation) is missing"),
    "leftovers": (_leave_leftovers, ".building-20261203T000000-abcdef is left over"),
}


@pytest.mark.parametrize("kind", REPAIRABLE)
def test_check_finds_what_can_be_derived_again_and_repair_mends_it(index_dir, kind):
    with open_index(index_dir) as engine:
        expected = engine.search("وزير")
    damage, *says = REPAIRABLE[kind]
    damage(index_dir, current_generation(index_dir) if (index_dir / CURRENT).is_file() else None)
    found = _check(index_dir)
    assert found.exit_code == 1
    assert all(part in found.stderr for part in says), found.stderr
    assert found.stderr.splitlines()[-1].endswith("`arabic-search check --repair` mends what can be derived again")
    repaired = _check(index_dir, "--repair")
    assert repaired.exit_code == 0, repaired.output
    assert repaired.stdout.startswith("repaired: ") and repaired.stdout.splitlines()[-1].startswith("ok: ")
    assert _check(index_dir).exit_code == 0
    with open_index(index_dir) as engine:
        again = engine.search("وزير")
    assert [h["id"] for h in again["hits"]] == [h["id"] for h in expected["hits"]]
    assert again["suggestion"] == expected["suggestion"]


def test_check_reports_what_only_a_rebuild_mends(index_dir):
    postings = _segment_file(current_generation(index_dir), ".pst")
    postings.write_bytes(postings.read_bytes()[:200])
    for options in ((), ("--repair",)):
        result = _check(index_dir, *options)
        assert result.exit_code == 1
        assert "cannot be read" in result.stderr and "rebuild with `arabic-search index`" in result.stderr


def test_check_compares_the_document_count_with_the_metadata(index_dir):
    meta = current_generation(index_dir) / "meta.json"
    meta.write_text(meta.read_text().replace('"documents": 6', '"documents": 7'))
    result = _check(index_dir)
    assert result.exit_code == 1
    assert "problem: meta.json counts 7 documents, the index holds 6" in result.stderr


def test_check_finds_documents_that_cannot_be_found(index_dir, monkeypatch):
    from whoosh.reading import SegmentReader

    real = SegmentReader.first_id
    monkeypatch.setattr(SegmentReader, "first_id", lambda self, name, text: real(self, name, text) + 1)
    result = _check(index_dir)
    assert result.exit_code == 1
    assert "problem: 6 documents cannot be found: " in result.stderr and "(by its id)" in result.stderr


def test_check_leaves_the_folder_of_a_running_build_alone(index_dir):
    (index_dir / ".building-20261203T000000-abcdef").mkdir()
    with write_lock(index_dir):  # as a running build holds it
        assert _check(index_dir).exit_code == 0
        assert "another process is writing the index" in _check(index_dir, "--repair").stderr
    assert (index_dir / ".building-20261203T000000-abcdef").is_dir()


# -- the machine refuses to write -----------------------------------------------------------

_FULL_DISK = r"""
import json, os, subprocess, sys
disk, corpus, more = sys.argv[1:4]
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", disk], check=True)
def run(*args):
    done = subprocess.run([sys.executable, "-m", "arabic_search", *args, "--index-dir", disk + "/ix"],
                          capture_output=True, text=True)
    return [done.returncode, done.stderr.strip().splitlines()[-1:], done.stdout]
steps = {"first": run("index", corpus)}
free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
with open(disk + "/fill", "wb") as fill:  # leave 40 KB: less than the index takes
    fill.write(bytes(free - 40_000))
steps["index"] = run("index", corpus)
steps["update"] = run("update", more)
steps["files"] = sorted(os.listdir(disk + "/ix"))
steps["check"] = run("check")
steps["search"] = run("search", "الأمن")
os.remove(disk + "/fill")
steps["update after"] = run("update", more)
print(json.dumps(steps))
"""


def test_a_full_disk_leaves_the_live_index_untouched_and_says_so(tmp_path):
    """On a real 24 MB tmpfs (mounted in a user and mount namespace of its own),
    filled but for 40 KB: a build and an update fail with one line, leave no
    file behind, and the index still answers; with space again, the update runs."""
    corpus = write_corpus(tmp_path / "corpus")
    more = tmp_path / "more.jsonl"
    more.write_text(
        "".join(f'{{"id": "m{i}", "text": "{"خبر جديد عن الأمن رقم " * 40}{i}"}}\n' for i in range(2000)),
        encoding="utf-8",
    )
    (tmp_path / "disk").mkdir()
    script = tmp_path / "full_disk.py"
    script.write_text(_FULL_DISK, encoding="utf-8")
    steps = json.loads(_in_namespace(script, tmp_path / "disk", corpus, more).stdout)
    assert steps["first"][0] == 0
    disk = tmp_path / "disk" / "ix"
    for step in ("index", "update"):
        assert steps[step][:2] == [
            2,
            [f"Error: no space left on {disk}: nothing was changed, the live index at {disk} is as it was"],
        ], steps[step]
    assert [f for f in steps["files"] if not f.startswith("gen-")] == ["CURRENT", "write.lock"]
    assert len([f for f in steps["files"] if f.startswith("gen-")]) == 1
    assert steps["check"][0] == 0 and steps["search"][0] == 0 and "الأمن" in steps["search"][2]
    assert steps["update after"][0] == 0 and "added 2,000" in steps["update after"][2]


_READ_ONLY = r"""
import json, subprocess, sys
index, corpus = sys.argv[1:3]
subprocess.run(["mount", "--bind", index, index], check=True)
subprocess.run(["mount", "-o", "remount,ro,bind", index], check=True)
def run(*args):
    done = subprocess.run([sys.executable, "-m", "arabic_search", *args, "--index-dir", index],
                          capture_output=True, text=True)
    return [done.returncode, done.stderr.strip().splitlines()[-1:], done.stdout]
print(json.dumps({"index": run("index", corpus), "update": run("update", corpus), "repair": run("check", "--repair"),
                  "check": run("check"), "search": run("search", "الأمن")}))
"""


def test_a_read_only_index_is_searched_and_writing_it_says_why_not(index_dir, tmp_path):
    script = tmp_path / "read_only.py"
    script.write_text(_READ_ONLY, encoding="utf-8")
    done = _in_namespace(script, index_dir, write_corpus(tmp_path / "corpus"))
    steps = json.loads(done.stdout)
    refused = [
        f"Error: {index_dir} is on a read-only file system: nothing was changed, the live index at {index_dir} is as it was"
    ]
    assert steps["index"][:2] == steps["update"][:2] == steps["repair"][:2] == [2, refused]
    assert steps["check"][0] == 0 and steps["search"][0] == 0 and "الأمن" in steps["search"][2]


def _in_namespace(script: Path, *args: Path) -> subprocess.CompletedProcess:
    """Run ``script`` as root of a user and mount namespace of its own: it can
    mount a file system of its own (a small tmpfs, a read-only bind) on any machine."""
    done = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", sys.executable, str(script), *map(str, args)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done


def test_a_second_writer_is_told_which_process_is_writing(index_dir, tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import time\nfrom indexer.storage import write_lock\nfrom pathlib import Path\n"
         f"with write_lock(Path({str(index_dir)!r})):\n    print('held', flush=True)\n    time.sleep(30)"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        for command in (["index", str(write_corpus(tmp_path / "corpus"))], ["update", str(tmp_path / "corpus")]):
            result = CliRunner().invoke(main, [*command, "--index-dir", str(index_dir)])
            assert result.exit_code == 2
            [line] = result.stderr.strip().splitlines()
            assert line.startswith(f"Error: another process (PID {holder.pid}: ") and "with write_lock(Path(" in line
            assert line.endswith(f") is writing the index at {index_dir}; try again when it has finished")
    finally:
        holder.kill()
        holder.wait()
