"""Incremental updates: add new documents, re-index changed ones, optionally
prune those whose source is gone; nothing unchanged is re-analyzed."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from whoosh.index import FileIndex
from whoosh.searching import Searcher

from . import arrays
from .analysis import memo
from .analysis.lemmas import save_lexicon, use_lexicon
from .documents import Document
from .report import IngestReport, Problem, count_skipped
from .schema import document_fields
from .settings import Settings
from .sources import iter_documents
from .storage import (
    current_generation,
    link_generation,
    machine_refusals,
    new_building_dir,
    open_generation,
    publish,
    utc_now,
    write_lock,
)
from .vocabulary import Vocabulary


@dataclass
class UpdateStats:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0
    documents: int = 0
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return count_skipped(self.problems)


def update_index(
    sources: Iterable[str | os.PathLike[str]],
    index_dir: str | os.PathLike[str] | None = None,
    *,
    prune: bool = False,
    settings: Settings | None = None,
    strict: bool = False,
    field_map: Mapping[str, str] | None = None,
) -> UpdateStats:
    """Bring the live index in line with ``sources``.

    With ``prune``, documents that these sources no longer produce are deleted:
    the index then mirrors exactly what the sources hold. All or nothing, like a
    build: the changes go into a new generation (hard links to the live one's
    segments, plus what changed) that is made live only once its index,
    vocabulary and metadata are all written.
    """
    settings = (settings or Settings.load()).with_(index_dir=Path(index_dir) if index_dir else None)
    started = time.perf_counter()
    report = IngestReport(strict=strict)
    stats = UpdateStats(problems=report.problems)
    with machine_refusals(settings.index_dir), write_lock(settings.index_dir), memo.budget(settings.build_cache_mb):
        live = current_generation(settings.index_dir)
        building = new_building_dir(settings.index_dir)
        try:
            link_generation(live, building)
            use_lexicon(building)  # changed documents are read as the live index read its own
            save_lexicon(building)  # the one read with (an index built before lexicons were kept gets one)
            ix, meta, _ = open_generation(settings.index_dir, building)
            try:
                vocabulary = Vocabulary.load(building)
                _apply(ix, vocabulary, iter_documents(sources, report, field_map), prune, settings, stats)
                stats.documents = ix.doc_count()
                with ix.reader() as reader:  # the segments Whoosh's writer added get their arrays
                    arrays.write_missing(building, (leaf for leaf, _ in reader.leaf_readers()))
            finally:
                ix.close()
            if stats.added or stats.changed or stats.deleted:
                vocabulary.save(building)
                meta.updated_at = utc_now()
                meta.documents = stats.documents
                meta.save(building)
                publish(settings.index_dir, building)
            else:
                shutil.rmtree(building)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
    stats.seconds = time.perf_counter() - started
    return stats


def _apply(
    ix: FileIndex,
    vocabulary: Vocabulary,
    documents: Iterable[Document],
    prune: bool,
    settings: Settings,
    stats: UpdateStats,
) -> None:
    """Add, re-index and (with ``prune``) delete documents in ``ix``, keeping
    ``vocabulary`` in step, and commit if anything changed."""
    with ix.searcher() as searcher:

        def stored_hash(doc_id: str) -> str | None:
            """The content hash of the live document with this id (None: there is
            none), found through the id's postings: an update reads the documents
            it is given, not the whole index."""
            docnum = searcher.document_number(id=doc_id)
            return None if docnum is None else searcher.stored_fields(docnum).get("content_hash", "")

        def forget(doc_id: str) -> None:
            old = searcher.document(id=doc_id) or {}
            vocabulary.add(old.get("title", ""), times=-1)
            vocabulary.add(old.get("text", ""), times=-1)

        writer = ix.writer(limitmb=settings.limitmb, compound=False)  # as the bulk writer's: see indexer/bulk.py
        try:
            seen: set[str] = set()
            for doc in documents:
                seen.add(doc.id)
                old_hash = stored_hash(doc.id)
                if old_hash == doc.content_hash():
                    stats.unchanged += 1
                    continue
                if old_hash is not None:
                    forget(doc.id)
                    writer.update_document(**document_fields(doc))
                    stats.changed += 1
                else:
                    writer.add_document(**document_fields(doc))
                    stats.added += 1
                vocabulary.add(doc.title)
                vocabulary.add(doc.text)
            if prune:
                for doc_id in sorted(_live_ids(searcher) - seen):
                    forget(doc_id)
                    writer.delete_by_term("id", doc_id)
                    stats.deleted += 1
            if stats.added or stats.changed or stats.deleted:
                writer.commit()
            else:
                writer.cancel()
        except BaseException:
            writer.cancel()
            raise


def _live_ids(searcher: Searcher) -> set[str]:
    """The ids of the live documents, from the id column."""
    reader = searcher.reader()
    column = reader.column_reader("id")
    ids = (column[docnum] for docnum in reader.all_doc_ids())
    return {value.decode("utf-8") if isinstance(value, bytes) else value for value in ids}
