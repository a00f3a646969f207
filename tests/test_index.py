"""Building, updating and opening real indexes on disk."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from conftest import search_ids, write_corpus
from indexer import (
    SCHEMA_VERSION,
    IndexBusyError,
    IndexNotFoundError,
    SchemaVersionError,
    SourceError,
    build_index,
    index_stats,
    update_index,
)
from indexer import build as build_module
from indexer.storage import CURRENT, META, current_generation, open_generation, write_lock
from search import open_index


def test_build_indexes_every_document_and_reports(corpus, index_dir):
    stats = build_index([corpus], index_dir)
    assert stats.documents == 6
    assert stats.skipped == 0
    assert stats.collections == {"corpus": 3, "حديث": 3}
    assert stats.index_bytes > 0
    info = index_stats(index_dir)
    assert info["documents"] == 6
    assert info["schema_version"] == SCHEMA_VERSION
    assert {"title", "title_stem", "text", "text_stem", "collection"} <= set(info["fields"])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("الدفاع", ["corpus/news/defence.txt"]),  # undiacritized query, diacritized text
        ("دفاع", ["corpus/news/defence.txt"]),  # without the article
        ("امن", ["corpus/news/defence.txt", "corpus/news/security.txt"]),  # الأمني، الأمن
        ("مسئولية", ["corpus/news/security.txt"]),  # another hamza seat
        ("مدرسه", ["corpus/news/schools.md"]),  # ه for ة
        ("المسلم", ["h3"]),
        ("اعمال", ["h1"]),
    ],
)
def test_queries_find_documents_across_orthography(corpus, index_dir, query, expected):
    build_index([corpus], index_dir)
    assert search_ids(index_dir, query) == expected


def test_exact_view_keeps_forms_apart(corpus, index_dir):
    build_index([corpus], index_dir)
    assert search_ids(index_dir, "المسلمون", field="text") == ["h3"]
    assert search_ids(index_dir, "مسلم", field="text") == []
    assert search_ids(index_dir, "مسلم", field="text_stem") == ["h3"]


def test_phrase_with_a_stop_word_inside(corpus, index_dir):
    build_index([corpus], index_dir)
    assert search_ids(index_dir, '"تنحصر في أفراد"', field="text") == ["corpus/news/security.txt"]
    with open_index(index_dir) as engine:  # the stem view, through the engine's phrase matching
        assert [h["id"] for h in engine.search('"تنحصر أفراد"')["hits"]] == ["corpus/news/security.txt"]
    assert search_ids(index_dir, '"أفراد تنحصر"', field="text") == []


def test_stored_text_is_the_original(corpus, index_dir):
    build_index([corpus], index_dir)
    ix, _, _ = open_generation(index_dir)
    with ix.searcher() as searcher:
        stored = searcher.document(id="h1")
    ix.close()
    assert stored["text"] == "إِنَّمَا الْأَعْمَالُ بِالنِّيَّاتِ، وَإِنَّمَا لِكُلِّ امْرِئٍ مَا نَوَى"
    assert stored["title"].startswith("إِنَّمَا الْأَعْمَالُ")


def test_skipped_inputs_are_counted_and_the_rest_indexed(corpus, index_dir):
    (corpus / "broken.jsonl").write_text('{"id": "ok", "text": "نص سليم"}\n{not json\n{"id": "x"}\n', encoding="utf-8")
    (corpus / "latin1.txt").write_bytes("café".encode("latin-1"))
    stats = build_index([corpus], index_dir)
    assert stats.documents == 7
    assert stats.skipped == 3
    assert {(Path(p.path).name, p.line) for p in stats.problems} == {
        ("broken.jsonl", 2),
        ("broken.jsonl", 3),
        ("latin1.txt", 1),
    }


def test_strict_mode_fails_and_keeps_the_old_index(corpus, index_dir):
    build_index([corpus], index_dir)
    (corpus / "broken.jsonl").write_text("{not json\n", encoding="utf-8")
    with pytest.raises(SourceError, match="broken.jsonl:1"):
        build_index([corpus], index_dir, strict=True)
    assert index_stats(index_dir)["documents"] == 6


def test_nothing_to_index_is_an_error_not_an_empty_index(tmp_path, corpus, index_dir):
    build_index([corpus], index_dir)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SourceError, match="no documents could be read from .*empty: .*no files to index"):
        build_index([empty], index_dir)
    assert index_stats(index_dir)["documents"] == 6


def test_a_failure_in_the_middle_of_a_build_leaves_the_old_index(corpus, index_dir, monkeypatch):
    build_index([corpus], index_dir)
    before = current_generation(index_dir)
    real = build_module.iter_documents

    def failing(*args, **kwargs):
        for n, doc in enumerate(real(*args, **kwargs)):
            if n == 3:
                raise KeyboardInterrupt
            yield doc

    monkeypatch.setattr(build_module, "iter_documents", failing)
    with pytest.raises(KeyboardInterrupt):
        build_index([corpus], index_dir)
    assert current_generation(index_dir) == before
    assert search_ids(index_dir, "دفاع") == ["corpus/news/defence.txt"]
    assert not list(index_dir.glob(".building-*"))


def test_a_killed_build_leaves_the_old_index_searchable(tmp_path, corpus, index_dir):
    build_index([corpus], index_dir)
    big = tmp_path / "big.jsonl"
    line = "وَقَالَ رَسُولُ اللَّهِ صَلَّى اللَّهُ عَلَيْهِ وَسَلَّمَ كَلَامًا كَثِيرًا " * 30
    big.write_text(
        "".join(json.dumps({"text": f"{line} {i}"}, ensure_ascii=False) + "\n" for i in range(20_000)), encoding="utf-8"
    )
    script = textwrap.dedent(
        f"""
        from indexer import build_index
        build_index([{str(big)!r}], {str(index_dir)!r})
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=Path(__file__).parent.parent, start_new_session=True)
    deadline = time.monotonic() + 60
    while not list(index_dir.glob(".building-*/*.toc")) and not list(index_dir.glob(".building-*/*")):
        assert time.monotonic() < deadline and proc.poll() is None, "the build never started writing"
        time.sleep(0.05)
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)  # the build and its indexing workers
    proc.wait()
    assert index_stats(index_dir)["documents"] == 6
    assert search_ids(index_dir, "نصيحه") == ["h2"]
    # The next build clears what the killed one left behind.
    build_index([corpus], index_dir)
    assert not list(index_dir.glob(".building-*"))


def test_rebuild_swaps_generations_and_keeps_only_the_previous(corpus, index_dir):
    generations = []
    for _ in range(3):
        build_index([corpus], index_dir)
        generations.append(current_generation(index_dir).name)
    assert len(set(generations)) == 3
    assert sorted(p.name for p in index_dir.glob("gen-*")) == sorted(generations[1:])


def test_missing_index_says_how_to_build_one(tmp_path):
    with pytest.raises(IndexNotFoundError, match="arabic-search index"):
        index_stats(tmp_path / "nowhere")


def test_index_of_another_schema_version_asks_for_a_rebuild(corpus, index_dir):
    build_index([corpus], index_dir)
    meta_path = current_generation(index_dir) / META
    meta = json.loads(meta_path.read_text())
    meta["schema_version"] = 0
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(SchemaVersionError, match="version 0.*rebuild it with `arabic-search index`"):
        index_stats(index_dir)


def test_one_writer_at_a_time(corpus, index_dir):
    build_index([corpus], index_dir)
    with write_lock(index_dir):
        with pytest.raises(IndexBusyError, match="another process"):
            build_index([corpus], index_dir)
        with pytest.raises(IndexBusyError):
            update_index([corpus], index_dir)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import time; from indexer.storage import write_lock\nwith write_lock(__import__('pathlib').Path({str(index_dir)!r})):\n    print('locked', flush=True); time.sleep(60)",
        ],
        cwd=Path(__file__).parent.parent,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(IndexBusyError):
            build_index([corpus], index_dir)
    finally:
        holder.kill()
        holder.wait()
    assert build_index([corpus], index_dir).documents == 6


def test_update_adds_changes_and_prunes(tmp_path, index_dir):
    root = write_corpus(tmp_path / "corpus")
    build_index([root], index_dir)
    generation = current_generation(index_dir)
    commits = whoosh_index.open_dir(str(generation)).latest_generation()
    stats = update_index([root], index_dir)
    assert (stats.added, stats.changed, stats.unchanged, stats.deleted) == (0, 0, 6, 0)
    # Nothing changed, so nothing was written.
    assert current_generation(index_dir) == generation
    assert whoosh_index.open_dir(str(generation)).latest_generation() == commits
    assert not list(index_dir.glob(".building-*"))

    (root / "news" / "defence.txt").write_text("وزير الدفاع\n\nخبر معدل عن الطيران المشترك", encoding="utf-8")
    (root / "news" / "new.txt").write_text("خبر جديد\n\nافتتاح مكتبة في الموصل", encoding="utf-8")
    (root / "news" / "security.txt").unlink()
    stats = update_index([root], index_dir)
    assert (stats.added, stats.changed, stats.unchanged, stats.deleted) == (1, 1, 4, 0)
    assert search_ids(index_dir, "طيران") == ["corpus/news/defence.txt"]
    assert search_ids(index_dir, "تعاون") == []  # the old text is gone
    assert search_ids(index_dir, "مكتبه") == ["corpus/news/new.txt"]
    assert search_ids(index_dir, "مسؤوليه") == ["corpus/news/security.txt"]  # kept without --prune

    stats = update_index([root], index_dir, prune=True)
    assert (stats.added, stats.changed, stats.deleted, stats.documents) == (0, 0, 1, 6)
    assert search_ids(index_dir, "مسؤوليه") == []
    # Each update that changed something published a new generation, like a build.
    assert current_generation(index_dir) != generation
    assert len(list(index_dir.glob("gen-*"))) == 2 and not list(index_dir.glob(".building-*"))


def test_update_shares_the_unchanged_segments_with_the_live_generation(tmp_path, index_dir):
    """An update costs what it changes: the segments it does not touch are hard
    links to the live generation's, not copies."""
    data = tmp_path / "many.jsonl"
    rows = [{"id": f"d{n}", "text": f"نص رقم {n} عن الزيتون والتفاح"} for n in range(2000)]
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    build_index([data], index_dir)
    before = current_generation(index_dir)
    segments = {p.name: p.stat().st_ino for p in before.glob("MAIN_*")}
    rows.append({"id": "new", "text": "نص جديد عن الرمان"})
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert update_index([data], index_dir).added == 1
    after = current_generation(index_dir)
    assert after != before
    shared = {p.name: p.stat().st_ino for p in after.glob("MAIN_*") if p.name in segments}
    assert shared and shared == {name: segments[name] for name in shared}
    assert search_ids(index_dir, "الرمان") == ["new"]
    assert len(search_ids(index_dir, "الزيتون")) == 2000


def test_update_without_an_index_is_a_clear_error(corpus, tmp_path):
    with pytest.raises(IndexNotFoundError):
        update_index([corpus], tmp_path / "nothing")


def test_index_dir_from_the_environment(corpus, tmp_path, monkeypatch):
    target = tmp_path / "from-env"
    monkeypatch.setenv("ARABIC_SEARCH_INDEX", str(target))
    build_index([corpus])
    assert index_stats()["documents"] == 6
    assert (target / CURRENT).is_file()


def test_multiprocess_build_gives_the_same_index(corpus, tmp_path):
    from indexer import Settings

    single = build_index([corpus], tmp_path / "one", settings=Settings.load(procs=1))
    multi = build_index([corpus], tmp_path / "two", settings=Settings.load(procs=2))
    assert single.documents == multi.documents == 6
    for query in ("دفاع", "امن", "المسلم"):
        assert search_ids(tmp_path / "one", query) == search_ids(tmp_path / "two", query)


def test_a_bad_setting_is_our_own_error_with_an_arabic_text():
    from indexer import ArabicSearchError, Settings, SettingsError

    with pytest.raises(SettingsError, match="procs must be >= 0") as caught:
        Settings.load(procs=-1)
    assert isinstance(caught.value, ArabicSearchError) and caught.value.code == "bad_setting"
    assert "الإعدادات" in caught.value.arabic
