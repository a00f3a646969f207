"""``arabic-search check``: is the index whole, and are its parts in step?

Reads every part of the live generation: the pointer to it, its metadata, its
Whoosh segments (every posting, every stored document), the arrays derived from
them and the vocabulary; finds what killed builds and updates left behind.
With ``repair``, what is derived is derived again (arrays, vocabulary, the
pointer to the newest generation that opens) and leftovers are removed; what
only the sources hold (a segment's own files) needs a rebuild.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from whoosh.reading import IndexReader

from . import arrays
from .analysis.lemmas import LEXICON_FILE, kept_lexicon, save_lexicon, use_lexicon
from .errors import IndexBusyError, IndexDamagedError, IndexNotFoundError, IndexWriteError, SchemaVersionError
from .storage import (
    BUILDING_PREFIX,
    CURRENT,
    GENERATION_PREFIX,
    complete_generations,
    current_generation,
    damage_as_error,
    open_generation,
    point_at,
    write_lock,
)
from .vocabulary import Vocabulary


@dataclass
class CheckReport:
    """What ``check`` found: one line per problem, and what it repaired."""

    generation: str = ""
    documents: int = 0
    segments: int = 0
    problems: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check(index_dir: Path, repair: bool = False) -> CheckReport:
    """Check the index at ``index_dir``; with ``repair``, mend what can be
    derived again (holding the write lock: no build or update runs meanwhile)."""
    report = CheckReport()
    with write_lock(index_dir) if repair else nullcontext():
        generation = _pointer(index_dir, report, repair)
        if generation is not None:
            _generation(index_dir, generation, report, repair)
        _leftovers(index_dir, generation, report, repair)
    return report


def _pointer(index_dir: Path, report: CheckReport, repair: bool) -> Path | None:
    try:
        return current_generation(index_dir)
    except IndexNotFoundError:
        raise
    except IndexDamagedError as error:
        if not repair:
            report.problems.append(error.problem)
            return None
        for candidate in complete_generations(index_dir):
            try:
                ix, _, _ = open_generation(index_dir, candidate)
            except (IndexDamagedError, SchemaVersionError):
                continue
            ix.close()
            point_at(index_dir, candidate)
            report.repaired.append(f"{error.problem}: {CURRENT} now names {candidate.name}, the newest that opens")
            return candidate
        report.problems.append(f"{error.problem}, and no generation opens: rebuild with `arabic-search index`")
        return None


def _generation(index_dir: Path, generation: Path, report: CheckReport, repair: bool) -> None:
    report.generation = generation.name
    try:
        ix, meta, _ = open_generation(index_dir, generation)
    except (IndexDamagedError, SchemaVersionError) as error:
        report.problems.append(getattr(error, "problem", str(error)))
        return
    _lexicon(generation, report, repair)
    try:
        with damage_as_error(index_dir, generation), ix.reader() as reader:
            report.documents = reader.doc_count()
            report.segments = sum(1 for _ in reader.leaf_readers())
            _arrays(generation, reader, report, repair)
            vocabulary = _documents(reader, ix.schema["text"].analyzer, report)
    except IndexDamagedError as error:
        report.problems.append(f"{error.problem}: rebuild with `arabic-search index`")
        return
    finally:
        ix.close()
    if meta.documents is not None and meta.documents != report.documents:
        report.problems.append(f"meta.json counts {meta.documents:,} documents, the index holds {report.documents:,}")
    _vocabulary(generation, vocabulary, report, repair)


def _lexicon(generation: Path, report: CheckReport, repair: bool) -> None:
    """The lexicon kept beside the index, which documents are read with below."""
    use_lexicon(generation)
    try:
        kept_lexicon(generation)
        return
    except OSError:
        problem = f"{LEXICON_FILE} is missing"
    except ValueError as error:
        problem = str(error)
    if repair:
        save_lexicon(generation)
        report.repaired.append(f"{problem}: written again from the installed dictionary")
    else:
        report.problems.append(f"{problem}: searches read the dictionary as they start (about a second)")


def _arrays(generation: Path, reader: IndexReader, report: CheckReport, repair: bool) -> None:
    """Each segment's arrays file against what its segment says (reading every posting)."""
    for leaf, _ in reader.leaf_readers():
        path = arrays.path_of(generation, leaf.segment().segment_id())
        expected = arrays.derived(leaf)
        if not path.exists():
            problem = f"{path.name} is missing"
        elif not arrays.holds(path.read_bytes(), expected):
            problem = f"{path.name} differs from its segment"
        else:
            continue
        if repair:
            arrays.write(generation, leaf)
            report.repaired.append(f"{problem}: written again from the segment")
        else:
            report.problems.append(problem)


def _documents(reader: IndexReader, analyzer: object, report: CheckReport) -> Vocabulary:
    """Every live document readable, findable by its id and by the first word of
    its text; returns the vocabulary of their words."""
    vocabulary = Vocabulary()
    lost: dict[int, str] = {}
    first_words: dict[str, list[int]] = {}
    ids: dict[int, str] = {}
    for docnum, stored in reader.iter_docs():
        ids[docnum] = doc_id = stored.get("id", "")
        vocabulary.add(stored.get("title", ""))
        vocabulary.add(stored.get("text", ""))
        if not doc_id or ("id", doc_id) not in reader or reader.first_id("id", doc_id) != docnum:
            lost[docnum] = "by its id"
        first = next((token.text for token in analyzer(stored.get("text", "")[:1000])), None)  # type: ignore[operator]
        if first is not None:
            first_words.setdefault(first, []).append(docnum)
    for word, docnums in first_words.items():  # each word's postings read once
        posted = (
            np.fromiter(reader.postings("text", word).all_ids(), dtype=np.int64) if ("text", word) in reader else []
        )
        for docnum in np.asarray(docnums)[~np.isin(docnums, posted)].tolist():
            lost.setdefault(docnum, "by its first word")
    if lost:
        shown = ", ".join(f"{ids[d]!r} ({how})" for d, how in sorted(lost.items())[:5])
        more = f" and {len(lost) - 5:,} more" if len(lost) > 5 else ""
        report.problems.append(f"{len(lost):,} documents cannot be found: {shown}{more}")
    return vocabulary


def _vocabulary(generation: Path, vocabulary: Vocabulary, report: CheckReport, repair: bool) -> None:
    try:
        saved = {k: c for k, c in Vocabulary.load(generation).counts.items() if c > 0}
        problem = "vocabulary.json is not in step with the documents"
    except (OSError, ValueError) as error:
        saved, problem = None, f"vocabulary.json cannot be read ({error})"
    if saved == {k: c for k, c in vocabulary.counts.items() if c > 0}:
        return
    if repair:
        vocabulary.save(generation)
        report.repaired.append(f"{problem}: counted again from the documents")
    else:
        report.problems.append(problem)


def remove_leftovers(index_dir: Path) -> list[str]:
    """Remove what killed builds and updates left (unless one is running now);
    returns what was removed. ``serve`` calls it as it starts."""
    report = CheckReport()
    try:
        with write_lock(index_dir):
            _leftovers(index_dir, current_generation(index_dir), report, repair=True)
    except (IndexBusyError, IndexNotFoundError, IndexDamagedError, IndexWriteError):
        pass
    return report.repaired


def _leftovers(index_dir: Path, live: Path | None, report: CheckReport, repair: bool) -> None:
    """What killed builds and updates left: their folders, a half-written pointer,
    generations older than the one the live one replaced, half-written arrays."""
    if not repair:
        try:  # a build or update that is running now owns its folder
            with write_lock(index_dir):
                pass
        except (IndexBusyError, IndexWriteError):  # running, or nothing could be removed anyway
            return
    for path in _left_over(index_dir, live):
        if repair:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
            report.repaired.append(f"{path.name}: left over, removed")
        else:
            report.problems.append(f"{path.name} is left over from a build or update that did not finish")


def _left_over(index_dir: Path, live: Path | None) -> Iterator[Path]:
    yield from sorted(index_dir.glob(BUILDING_PREFIX + "*"))
    yield from sorted(index_dir.glob(CURRENT + ".tmp"))
    if live is None:
        return
    older = sorted((g for g in index_dir.glob(GENERATION_PREFIX + "*") if g.name < live.name), reverse=True)
    yield from older[1:]  # the one just before the live one is kept for searchers still reading it
    yield from sorted(live.glob("*.partial"))
