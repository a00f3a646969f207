"""Building a new index from sources: file on disk -> documents -> analysis -> index."""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm
from whoosh import index as whoosh_index

from .analysis import memo
from .analysis.lemmas import save_lexicon
from .bulk import BulkWriter
from .bundled import sample_sources
from .errors import SourceError
from .report import IngestReport, Problem, count_skipped
from .schema import SCHEMA_VERSION, build_schema, document_fields
from .settings import Settings
from .sources import iter_documents, total_bytes
from .storage import IndexMeta, directory_size, machine_refusals, new_building_dir, publish, utc_now, write_lock
from .vocabulary import Vocabulary

# From about this much input, worker processes pay for their start (measured on
# 2 cores: 800 hadith, 1 MB, 1.98 s in one process, 1.48 s in two; 3,000
# hadith, 3.8 MB, 6.1 s and 3.8 s).
MULTIPROCESS_MIN_BYTES = 1024 * 1024


@dataclass
class BuildStats:
    index_dir: Path
    documents: int
    seconds: float
    index_bytes: int
    input_bytes: int
    collections: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return count_skipped(self.problems)


def build_index(
    sources: Iterable[str | os.PathLike[str]] | None = None,
    index_dir: str | os.PathLike[str] | None = None,
    *,
    settings: Settings | None = None,
    strict: bool = False,
    field_map: Mapping[str, str] | None = None,
    progress: bool = False,
) -> BuildStats:
    """Index ``sources`` (default: the bundled sample) into a new generation of
    ``index_dir`` and make it live only once it is complete."""
    settings = (settings or Settings.load()).with_(index_dir=Path(index_dir) if index_dir else None)
    paths = [Path(s) for s in sources] if sources else sample_sources()
    target = settings.index_dir
    started = time.perf_counter()
    report = IngestReport(strict=strict)
    input_bytes = total_bytes(paths)
    with machine_refusals(target), write_lock(target), memo.budget(settings.build_cache_mb):
        building = new_building_dir(target)
        try:
            vocabulary = Vocabulary()
            save_lexicon(building)  # read now, before indexing processes fork, so they share it
            documents, collections = _write(
                building, paths, settings, report, field_map, input_bytes, progress, vocabulary
            )
            if documents == 0:
                raise SourceError(_nothing_read(paths, report))
            seconds = time.perf_counter() - started
            now = utc_now()
            sources_read = [str(p) for p in paths]
            IndexMeta(SCHEMA_VERSION, settings.stemmer, now, now, round(seconds, 3), sources_read, documents).save(
                building
            )
            vocabulary.save(building)
            generation = publish(target, building)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
    return BuildStats(
        index_dir=target,
        documents=documents,
        seconds=seconds,
        index_bytes=directory_size(generation),
        input_bytes=input_bytes,
        collections=dict(collections.most_common()),
        problems=report.problems,
    )


def _write(
    building: Path,
    paths: list[Path],
    settings: Settings,
    report: IngestReport,
    field_map: Mapping[str, str] | None,
    input_bytes: int,
    progress: bool,
    vocabulary: Vocabulary,
) -> tuple[int, Counter[str]]:
    whoosh_index.create_in(str(building), build_schema(settings.stemmer)).close()
    writer = BulkWriter(building, _procs(settings, input_bytes), settings.limitmb)
    collections: Counter[str] = Counter()
    # tqdm turns itself off when stderr is not a terminal (disable=None).
    bar = tqdm(
        total=input_bytes,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        desc="indexing",
        file=sys.stderr,
        disable=None if progress else True,
    )
    try:
        with bar:
            for doc in iter_documents(paths, report, field_map):
                writer.add(document_fields(doc))
                collections[doc.collection] += 1
                if not bar.disable:  # formatting the bar costs even when nobody sees it
                    bar.update(report.bytes_read - bar.n)
                    bar.set_postfix(docs=collections.total(), refresh=False)
        vocabulary.merge(writer.commit())
    except BaseException:
        writer.cancel()
        raise
    return collections.total(), collections


def _procs(settings: Settings, input_bytes: int) -> int:
    if settings.procs:
        return settings.procs
    return min(os.cpu_count() or 1, 4) if input_bytes >= MULTIPROCESS_MIN_BYTES else 1


def _nothing_read(paths: list[Path], report: IngestReport) -> str:
    where = ", ".join(str(p) for p in paths)
    if not report.problems:
        return f"no documents found in {where}; nothing was indexed"
    shown = "; ".join(str(p) for p in report.problems[:3])
    more = f" (and {report.skipped - 3} more)" if report.skipped > 3 else ""
    return f"no documents could be read from {where}: {shown}{more}; nothing was indexed"
