"""The arabic-search command line, through click's runner."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from arabic_search.cli import main
from conftest import search_ids


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
    assert info["schema_version"] == 1
    text = run("stats", "--index-dir", index_dir).stdout
    assert "documents:      6" in text and "schema version: 1" in text


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
        "stop_word": False,
    }
    assert rows[3]["stop_word"] is True
    table = run("analyze", "الدفاعِ في").stdout
    assert "الدفاع" in table and "(stop word)" in table and "0-7" in table


def test_analyze_with_nothing_to_analyze(run):
    result = run("analyze", "؟!،")
    assert result.exit_code == 0
    assert "no words" in result.stderr
