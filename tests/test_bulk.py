"""The bulk writer makes the very index Whoosh's own writer makes, in one
process or several, in one segment or many."""

from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.util.numeric import length_to_byte

from conftest import ROOT, write_corpus
from indexer import Settings, build_index
from indexer.bulk import _LENGTH_BYTES, BulkWriter, SegmentBuilder, _Segments
from indexer.report import IngestReport
from indexer.schema import build_schema, document_fields
from indexer.sources import iter_documents
from indexer.storage import CURRENT, open_generation
from indexer.vocabulary import Vocabulary

# Several stems at one position: the hardest case for the writer's fast path.
STEMMER = "union"

# Harder cases than the shared corpus: Uthmani spellings with superscript alef
# (two forms at one position), stop words (gaps in the stem view), a word
# repeated (several positions), Latin words, digits, and a text of stop words only.
EXTRA = [
    {"id": "q1", "title": "الفاتحة", "text": "ٱلْحَمْدُ لِلَّهِ رَبِّ ٱلْعَٰلَمِينَ ٱلرَّحْمَٰنِ ٱلرَّحِيمِ"},
    {"id": "r1", "text": "قال الرجل: قال لي إن الكتاب في البيت، والكتاب جديد. Python 3.11 و٢٠٢٣"},
    {"id": "s1", "title": "في من على", "text": "في من إلى على عن"},
    {"id": "m1", "collection": "أخبار", "date": "2023-08-01", "url": "https://example.org/1", "text": "وزير الدفاع"},
    # Stop words before the first word with a form: it keeps its place among all the words.
    {"id": "g1", "title": "في الأرض", "text": "إن في ذلك لآيات لقوم يتفكرون في في الأرض الأرض"},
]


@pytest.fixture
def sources(tmp_path: Path) -> list[Path]:
    root = write_corpus(tmp_path / "corpus")
    lines = [json.dumps(doc, ensure_ascii=False) for doc in EXTRA]
    (root / "extra.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [root]


def _whoosh_index(sources: list[Path], target: Path) -> Path:
    """The reference: the same documents through Whoosh's own writer."""
    target.mkdir()
    ix = whoosh_index.create_in(str(target), build_schema(STEMMER))
    with ix.writer() as writer:
        for doc in iter_documents(sources, IngestReport()):
            writer.add_document(**document_fields(doc))
    ix.close()
    return target


def _contents(ix: whoosh_index.Index) -> dict[str, object]:
    """Everything a search can read, keyed by document id rather than docnum."""
    with ix.searcher() as searcher:
        reader = searcher.reader()
        ids = {docnum: fields["id"] for docnum, fields in reader.iter_docs()}
        stored = {ids[docnum]: fields for docnum, fields in reader.iter_docs()}
        # Whoosh reads a length of 0 as None or 0, depending on the segment's other documents.
        lengths = {
            (name, ids[docnum]): reader.doc_field_length(docnum, name) or 0
            for docnum in ids
            for name in ("title", "title_stem", "title_lemma", "text", "text_stem", "text_lemma")
        }
        columns = {
            (name, ids[docnum]): reader.column_reader(name)[docnum] for docnum in ids for name in ("id", "collection")
        }
        postings = {}
        for name, term in reader.all_terms():
            matcher = reader.postings(name, term)
            positional = matcher.supports("positions")
            found = {}
            while matcher.is_active():
                value = matcher.value_as("positions") if positional else matcher.value()
                found[ids[matcher.id()]] = (matcher.weight(), value)
                matcher.next()
            postings[name, term.decode("utf-8")] = found
        return {
            "stored": stored,
            "lengths": lengths,
            "columns": columns,
            "postings": postings,
            "total_lengths": {name: reader.field_length(name) for name in ("title", "text", "text_stem", "text_lemma")},
        }


@pytest.mark.parametrize("procs", [1, 2])
def test_build_makes_the_index_whoosh_makes(sources, tmp_path, procs):
    reference = whoosh_index.open_dir(str(_whoosh_index(sources, tmp_path / "whoosh")))
    build_index(sources, tmp_path / "bulk", settings=Settings.load(procs=procs, stemmer=STEMMER))
    built, _, _ = open_generation(tmp_path / "bulk")
    expected, got = _contents(reference), _contents(built)
    assert len(got["stored"]) == len(EXTRA) + 6
    # The harder cases are there: two forms at one position, gaps closed over stop words.
    assert got["postings"]["text", "العالمين"] == {"q1": (1.0, [3])}
    assert got["postings"]["text", "العلمين"] == {"q1": (1.0, [3])}
    assert any(name == "text_lemma" for name, _ in got["postings"])  # frequencies only, as Whoosh writes them
    assert got["postings"]["text", "قال"]["r1"] == (2.0, [0, 2])
    assert got["postings"]["text_stem", "كتاب"]["r1"] == (2.0, [3, 5])
    for key in expected:
        assert got[key] == expected[key], key


def test_small_memory_limit_writes_many_segments_of_the_same_index(sources, tmp_path):
    reference = whoosh_index.open_dir(str(_whoosh_index(sources, tmp_path / "whoosh")))
    target = tmp_path / "bulk"
    target.mkdir()
    whoosh_index.create_in(str(target), build_schema(STEMMER)).close()
    writer = BulkWriter(target, procs=1, limitmb=0)  # a segment after every document
    for doc in iter_documents(sources, IngestReport()):
        writer.add(document_fields(doc))
    writer.commit()
    built = whoosh_index.open_dir(str(target))
    assert len(built._segments()) == len(EXTRA) + 6
    assert _contents(built) == _contents(reference)
    # Nothing but the index is left behind: no scratch folder, no stray files;
    # beside each segment its arrays file (indexer/arrays.py).
    assert [
        path.name for path in target.iterdir() if path.is_dir() or not path.name.startswith(("MAIN_", "_MAIN_"))
    ] == []
    # Separate files, not compound ones, which Whoosh copies into memory at every open.
    assert not list(target.glob("*.seg"))
    assert sorted(path.stem for path in target.glob("*.arrays")) == sorted(s.segment_id() for s in built._segments())


def test_vocabulary_counts_every_written_word_once(sources, tmp_path):
    build_index(sources, tmp_path / "bulk", settings=Settings.load(procs=2))
    _, _, generation = open_generation(tmp_path / "bulk")
    expected = Vocabulary()
    for doc in iter_documents(sources, IngestReport()):
        expected.add(doc.title)
        expected.add(doc.text)
    assert Vocabulary.load(generation).counts == +expected.counts


def _raise(self, fields):
    raise ValueError("the analysis broke")


def _die(self, fields):
    os._exit(3)


@pytest.mark.parametrize("documents", [10, 1500])  # 1,500: more than the job queue holds
@pytest.mark.parametrize(
    ("failure", "message"),
    [(_raise, "indexing process failed: ValueError: the analysis broke"), (_die, "died \\(exit code 3\\)")],
)
def test_a_failing_worker_fails_the_build_and_publishes_nothing(tmp_path, monkeypatch, documents, failure, message):
    lines = [json.dumps({"id": f"d{i}", "text": f"نص رقم {i}"}, ensure_ascii=False) for i in range(documents)]
    (tmp_path / "docs.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    # The workers are forked, so they inherit the broken method.
    monkeypatch.setattr(SegmentBuilder, "add", failure)
    with pytest.raises(RuntimeError, match=message):
        build_index([tmp_path / "docs.jsonl"], tmp_path / "bulk", settings=Settings.load(procs=2))
    assert not (tmp_path / "bulk" / CURRENT).exists()
    assert [p for p in (tmp_path / "bulk").iterdir() if p.is_dir()] == []


def test_after_a_failed_build_the_process_exits(tmp_path):
    # Batches left in the job queue once the workers are gone must not keep the
    # interpreter waiting at exit (multiprocessing joins its queue threads).
    lines = [json.dumps({"id": f"d{i}", "text": f"نص رقم {i}"}, ensure_ascii=False) for i in range(1500)]
    (tmp_path / "docs.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    script = f"""
import sys
from indexer import Settings, build_index
from indexer.bulk import SegmentBuilder
def broken(self, fields):
    raise ValueError("the analysis broke")
SegmentBuilder.add = broken
try:
    build_index([{str(tmp_path / "docs.jsonl")!r}], {str(tmp_path / "ix")!r}, settings=Settings.load(procs=2))
except RuntimeError as error:
    print("failed:", error)
"""
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "failed: an indexing process failed: ValueError: the analysis broke" in result.stdout


@pytest.mark.parametrize("signal_name", ["SIGKILL", "SIGTERM"])
def test_workers_end_when_their_parent_is_killed(tmp_path, signal_name):
    """Killing the indexing process by its PID (not its group) must not leave
    its workers waiting on their queue forever."""
    script = f"""
import time
from whoosh import index as whoosh_index
from whoosh.util.numeric import length_to_byte
from indexer.bulk import BulkWriter
from indexer.schema import build_schema
whoosh_index.create_in({str(tmp_path)!r}, build_schema({STEMMER!r})).close()
writer = BulkWriter(__import__("pathlib").Path({str(tmp_path)!r}), procs=2)
writer.add({{"id": "d1", "text": "نص"}})
print(" ".join(str(worker.pid) for worker in writer.workers), flush=True)
time.sleep(60)
"""
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    workers = [int(pid) for pid in parent.stdout.readline().split()]
    assert len(workers) == 2 and all(_running(pid) for pid in workers)
    parent.send_signal(getattr(signal, signal_name))
    parent.wait(timeout=10)
    deadline = time.monotonic() + 10
    while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_running(pid) for pid in workers), "a worker outlived its parent"


def _running(pid: int) -> bool:
    """Alive and not a zombie (a zombie is only waiting for someone to reap it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def test_a_worker_keeps_no_finished_segment_in_memory(sources, tmp_path):
    """Indexing workers run with the cycle collector off; Whoosh's writers hold
    reference cycles. Each finished segment's builder, with every posting it
    gathered, must be gone before the next one fills: the build's memory stays
    that of one segment however many it writes."""
    target = tmp_path / "bulk"
    target.mkdir()
    whoosh_index.create_in(str(target), build_schema(STEMMER)).close()
    gc.collect()
    gc.disable()
    try:
        series = _Segments(whoosh_index.open_dir(str(target)), limitmb=0)  # a segment after every document
        for doc in iter_documents(sources, IngestReport()):
            series.add(document_fields(doc))
        segments, _ = series.finish()
        alive = [o for o in gc.get_objects() if isinstance(o, SegmentBuilder)]
    finally:
        gc.enable()
    assert len(segments) == len(EXTRA) + 6
    assert alive == []


def test_field_lengths_take_whooshs_byte_for_any_length():
    """The writer turns lengths into Whoosh's byte through a table; past its end
    (106,374 words) every length is the last byte, as Whoosh says."""
    for length in [0, 1, 2, 7, 100, 1_000, 54_321, 106_373, 106_374, 106_375, 5_000_000]:
        assert _LENGTH_BYTES[min(length, len(_LENGTH_BYTES) - 1)] == length_to_byte(length), length
