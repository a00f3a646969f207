"""The arabic-search command line, through click's runner."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from arabic_search import cli
from arabic_search.cli import main
from conftest import search_ids
from indexer import SCHEMA_VERSION
from indexer.storage import current_generation


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args, env=None):
        return runner.invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)

    return invoke


def test_index_with_no_sources_indexes_the_bundled_sample(run, index_dir):
    result = run("index", "--index-dir", index_dir)
    assert result.exit_code == 0, result.output
    assert "indexed 1,511 documents" in result.stdout
    assert "صحيح البخاري: 1,000" in result.stdout
    assert "0 skipped" in result.stdout
    assert "indexing" not in result.stderr  # no progress bar when not on a terminal
    assert search_ids(index_dir, "الاعمال بالنيات")[:1] == ["bukhari-1"]
    assert "corpus/news/iraq-us-defence-ministers.txt" not in search_ids(index_dir, "اوستن")
    assert "news/iraq-us-defence-ministers.txt" in search_ids(index_dir, "اوستن")


def test_index_reports_skipped_inputs_with_file_and_line(run, corpus, index_dir):
    (corpus / "bad.jsonl").write_text('{"text": "سليم"}\n{oops\n', encoding="utf-8")
    result = run("index", corpus, "--index-dir", index_dir)
    assert result.exit_code == 0
    assert "indexed 7 documents" in result.stdout and "1 skipped" in result.stdout
    assert "bad.jsonl:2: malformed JSON" in result.stderr


def test_strict_index_fails_with_exit_code_2(run, corpus, index_dir):
    (corpus / "bad.jsonl").write_text("{oops\n", encoding="utf-8")
    result = run("index", corpus, "--index-dir", index_dir, "--strict")
    assert result.exit_code == 2
    assert "bad.jsonl:1: malformed JSON" in result.stderr
    assert not (index_dir / "CURRENT").exists()


def test_missing_source_is_a_usage_error(run, tmp_path, index_dir):
    result = run("index", tmp_path / "nope", "--index-dir", index_dir)
    assert result.exit_code == 2
    assert "no such file or folder" in result.stderr


def test_field_mapping_for_csv(run, tmp_path, index_dir):
    data = tmp_path / "books.csv"
    data.write_text("رقم,matn\nb1,بابُ العِلْمِ قبلَ القولِ والعمل\n", encoding="utf-8")
    result = run("index", data, "--index-dir", index_dir, "--field", "text=matn", "--field", "id=رقم")
    assert result.exit_code == 0, result.output
    assert search_ids(index_dir, "علم") == ["b1"]
    bad = run("index", data, "--index-dir", index_dir, "--field", "text")
    assert bad.exit_code == 2 and "FIELD=COLUMN" in bad.stderr


def test_update_then_stats(run, corpus, index_dir):
    assert run("index", corpus, "--index-dir", index_dir).exit_code == 0
    (corpus / "news" / "new.txt").write_text("خبر\n\nمكتبة جديدة", encoding="utf-8")
    (corpus / "news" / "security.txt").unlink()
    result = run("update", corpus, "--index-dir", index_dir, "--prune")
    assert result.exit_code == 0
    assert "added 1, changed 0, unchanged 5, deleted 1" in result.stdout
    stats = run("stats", "--index-dir", index_dir, "--json")
    info = json.loads(stats.stdout)
    assert info["documents"] == 6
    assert info["collections"] == {"corpus": 3, "حديث": 3}
    assert info["schema_version"] == SCHEMA_VERSION
    text = run("stats", "--index-dir", index_dir).stdout
    assert "documents:      6" in text and f"schema version: {SCHEMA_VERSION}" in text


def test_commands_without_an_index_say_what_to_do(run, tmp_path):
    for command in (["stats"], ["update", tmp_path]):
        result = run(*command, "--index-dir", tmp_path / "none")
        assert result.exit_code == 2
        assert "no index at" in result.stderr and "arabic-search index" in result.stderr


def test_index_dir_from_environment(run, corpus, tmp_path):
    env = {"ARABIC_SEARCH_INDEX": str(tmp_path / "env-index")}
    assert run("index", corpus, env=env).exit_code == 0
    assert json.loads(run("stats", "--json", env=env).stdout)["index_dir"] == str(tmp_path / "env-index")


def test_bad_setting_in_environment_is_a_clear_error(run, corpus, tmp_path):
    result = run("index", corpus, "--index-dir", tmp_path / "i", env={"ARABIC_SEARCH_PROCS": "many"})
    assert result.exit_code == 2
    assert "ARABIC_SEARCH_PROCS='many' is not a valid int" in result.stderr


def test_analyze_shows_each_word(run):
    result = run("analyze", "وقال وزيرُ الدفاعِ في العـراق", "--json")
    rows = json.loads(result.stdout)
    assert [r["original"] for r in rows] == ["وقال", "وزيرُ", "الدفاعِ", "في", "العـراق"]
    assert rows[2] == {
        "original": "الدفاعِ",
        "normalized": ["الدفاع"],
        "start": 11,
        "end": 18,
        "stems": ["دفاع"],
        "lemmas": ["دفاع"],
        "stop_word": False,
    }
    assert rows[3]["stop_word"] is True
    table = run("analyze", "الدفاعِ في").stdout
    assert "الدفاع" in table and "(stop word)" in table and "0-7" in table


def test_analyze_with_nothing_to_analyze(run):
    result = run("analyze", "؟!،")
    assert result.exit_code == 0
    assert "no words" in result.stderr


def test_search_prints_ranked_results_and_exits_0(run, corpus, index_dir):
    run("index", corpus, "--index-dir", index_dir)
    result = run("search", "الدفاع", "--index-dir", index_dir)
    assert result.exit_code == 0
    assert "1-1 of 1 result (" in result.stdout
    assert "1. وزير الدفاع يلتقي نظيره الأمريكي  [corpus]  (corpus/news/defence.txt)" in result.stdout
    assert "الدِّفَاعِ" in result.stdout  # the snippet shows the original text
    assert "<mark>" not in result.stdout


def test_search_json_is_the_api_structure(run, corpus, index_dir):
    run("index", corpus, "--index-dir", index_dir)
    result = run("search", "المسلم", "--json", "--per-page", "5", "--index-dir", index_dir)
    data = json.loads(result.stdout)
    assert data["total"] == 1 and data["per_page"] == 5
    assert data["hits"][0]["id"] == "h3"
    assert "<mark>الْمُسْلِمُ</mark>" in data["hits"][0]["snippet"]


def test_search_without_results_exits_1_and_suggests(run, corpus, index_dir):
    run("index", corpus, "--index-dir", index_dir)
    result = run("search", "النصيحت", "--no-correct", "--index-dir", index_dir)
    assert result.exit_code == 1
    assert "0 results" in result.stdout
    assert "did you mean: النصيحة" in result.stdout


def test_search_shows_the_corrected_results_and_says_so(run, corpus, index_dir):
    run("index", corpus, "--index-dir", index_dir)
    result = run("search", "النصيحت", "--index-dir", index_dir)
    assert result.exit_code == 0
    assert "showing results for: النصيحة" in result.stdout
    assert "search instead for: النصيحت (with --no-correct)" in result.stdout
    assert "1-1 of 1 result (" in result.stdout and "(h2)" in result.stdout


def test_search_errors_exit_2_with_a_message(run, corpus, index_dir, tmp_path):
    result = run("search", "وزير", "--index-dir", tmp_path / "nothing")
    assert result.exit_code == 2 and "no index at" in result.stderr
    run("index", corpus, "--index-dir", index_dir)
    result = run("search", "nofield:x", "--index-dir", index_dir)
    assert result.exit_code == 2 and "unknown field 'nofield'" in result.stderr
    result = run("search", "وزير", "--per-page", "500", "--index-dir", index_dir)
    assert result.exit_code == 2 and "per_page" in result.stderr


def test_a_query_in_bytes_that_are_not_utf8_is_one_line_exit_2(run, corpus, index_dir):
    run("index", corpus, "--index-dir", index_dir)
    typed = b"\xff" + "وزير".encode()  # a terminal set to another encoding
    for command in ("search", "analyze"):
        options = ["--index-dir", str(index_dir)] if command == "search" else []
        result = subprocess.run(
            [sys.executable, "-m", "arabic_search", command, typed, *options],
            capture_output=True,
            text=True,
        )
        if command == "search":
            assert result.returncode == 2, result.stderr
            assert result.stderr.strip() == (
                "Error: the query holds a broken character (U+DCFF, a lone surrogate, at position 1):"
                " send it as UTF-8 text"
            )
        else:  # analyze shows the words it found around the broken byte
            assert result.returncode == 0 and "وزير" in result.stdout, result.stderr


def test_search_into_a_pipe_closed_early_ends_quietly(run, corpus, index_dir):
    run("index", corpus, "--index-dir", index_dir)
    reader = subprocess.Popen(
        [sys.executable, "-m", "arabic_search", "search", "وزير", "--index-dir", str(index_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    reader.stdout.close()  # as `| head -0` would
    assert reader.wait(timeout=60) == 141
    assert reader.stderr.read() == ""  # not "unexpected error ... this is a bug"


def test_search_collection_option(run, corpus, index_dir):
    run("index", corpus, "--index-dir", index_dir)
    everywhere = run("search", "المسلم OR الدفاع", "--json", "--index-dir", index_dir)
    assert json.loads(everywhere.stdout)["total"] == 2
    only = run("search", "المسلم OR الدفاع", "--collection", "حديث", "--json", "--index-dir", index_dir)
    assert [h["id"] for h in json.loads(only.stdout)["hits"]] == ["h3"]


def test_counts_are_in_the_singular_or_the_plural(run, tmp_path, index_dir):
    folder = tmp_path / "one"
    folder.mkdir()
    (folder / "a.txt").write_text("نص أول عن الزيتون", encoding="utf-8")
    assert "indexed 1 document (one: 1)" in run("index", folder, "--index-dir", index_dir).stdout
    assert "1-1 of 1 result (" in run("search", "الزيتون", "--index-dir", index_dir).stdout
    (folder / "b.txt").write_text("نص ثان عن الزيتون", encoding="utf-8")
    assert "; 2 documents in the index" in run("update", folder, "--index-dir", index_dir).stdout
    assert "1-2 of 2 results (" in run("search", "الزيتون", "--index-dir", index_dir).stdout
    assert "0 results (" in run("search", "التفاح", "--index-dir", index_dir).stdout
    (folder / "b.txt").unlink()
    assert "; 1 document in the index" in run("update", folder, "--prune", "--index-dir", index_dir).stdout


def test_search_json_prints_errors_in_the_api_shape(run, corpus, index_dir, tmp_path):
    result = run("search", "وزير", "--json", "--index-dir", tmp_path / "nothing")
    assert result.exit_code == 2 and not result.stderr
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "no_index" and "no index at" in error["message"]
    run("index", corpus, "--index-dir", index_dir)
    result = run("search", "وزير", "--json", "--per-page", "500", "--index-dir", index_dir)
    assert result.exit_code == 2
    assert json.loads(result.stdout) == {
        "error": {"code": "bad_query", "message": "per_page must be a whole number from 1 to 100"}
    }


def _log_of(message: str) -> Path:
    """The log file an unexpected error's one line points to."""
    return Path(re.search(r"the traceback is in (\S+)", message).group(1))


def test_an_unexpected_error_is_one_line_exit_2_and_a_log(run, corpus, index_dir, monkeypatch):
    run("index", corpus, "--index-dir", index_dir)

    def broken(*args, **kwargs):
        raise ValueError("operands could not be broadcast together")  # as numpy says it: not a user error

    monkeypatch.setattr(cli, "index_stats", broken)
    result = run("stats", "--index-dir", index_dir)
    assert result.exit_code == 2 and not result.stdout
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert "unexpected error (ValueError: operands could not be broadcast together); this is a bug" in result.stderr
    log = _log_of(result.stderr).read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in log and "in broken" in log

    monkeypatch.setattr(cli, "open_index", broken)
    result = run("search", "وزير", "--json", "--index-dir", index_dir)
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "internal_error" and "ValueError" in error["message"]
    assert _log_of(error["message"]).is_file()


def test_an_index_whose_schema_names_a_missing_class_asks_for_a_rebuild(run, corpus, index_dir):
    run("index", corpus, "--index-dir", index_dir)
    (toc,) = current_generation(index_dir).glob("_MAIN_*.toc")
    # The pickled schema names a class this program no longer has (as after renaming one).
    toc.write_bytes(toc.read_bytes().replace(b"filters\nStemStep", b"filters\nStemStap"))
    result = run("search", "وزير", "--index-dir", index_dir)
    assert result.exit_code == 2
    assert "rebuild it with `arabic-search index`" in result.stderr


def test_other_failures_to_open_an_index_are_not_called_another_version(run, corpus, index_dir, monkeypatch):
    from whoosh.filedb.filestore import FileStorage

    run("index", corpus, "--index-dir", index_dir)

    def broken(*args, **kwargs):
        raise AttributeError("a bug while reading the index")

    monkeypatch.setattr(FileStorage, "open_file", broken)
    result = run("search", "وزير", "--index-dir", index_dir)
    assert result.exit_code == 2
    assert "unexpected error (AttributeError: a bug while reading the index)" in result.stderr
    assert "rebuild" not in result.stderr
