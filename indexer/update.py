"""Incremental updates: add new documents, re-index changed ones, optionally
prune those whose source is gone; nothing unchanged is re-analyzed."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .report import IngestReport, Problem
from .schema import document_fields
from .settings import Settings
from .sources import iter_documents
from .storage import open_generation, utc_now, write_lock
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
        return len(self.problems)


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
    the index then mirrors exactly what the sources hold. Whoosh commits
    atomically, so a failure leaves the index as it was.
    """
    settings = (settings or Settings.load()).with_(index_dir=Path(index_dir) if index_dir else None)
    started = time.perf_counter()
    report = IngestReport(strict=strict)
    stats = UpdateStats(problems=report.problems)
    with write_lock(settings.index_dir):
        ix, meta, generation = open_generation(settings.index_dir)
        vocabulary = Vocabulary.load(generation)
        try:
            with ix.searcher() as searcher:
                known = {f["id"]: f.get("content_hash") for f in searcher.all_stored_fields()}

                def forget(doc_id: str) -> None:
                    old = searcher.document(id=doc_id) or {}
                    vocabulary.add(old.get("title", ""), times=-1)
                    vocabulary.add(old.get("text", ""), times=-1)

                writer = ix.writer(limitmb=settings.limitmb)
                try:
                    seen: set[str] = set()
                    for doc in iter_documents(sources, report, field_map):
                        seen.add(doc.id)
                        if doc.id in known and known[doc.id] == doc.content_hash():
                            stats.unchanged += 1
                            continue
                        if doc.id in known:
                            forget(doc.id)
                            writer.update_document(**document_fields(doc))
                            stats.changed += 1
                        else:
                            writer.add_document(**document_fields(doc))
                            stats.added += 1
                        vocabulary.add(doc.title)
                        vocabulary.add(doc.text)
                    if prune:
                        for doc_id in sorted(known.keys() - seen):
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
            stats.documents = ix.doc_count()
        finally:
            ix.close()
        if stats.added or stats.changed or stats.deleted:
            vocabulary.save(generation)
            meta.updated_at = utc_now()
            meta.save(generation)
    stats.seconds = time.perf_counter() - started
    return stats
