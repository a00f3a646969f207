"""Reading the user's files and folders into documents (.txt, .md, .html, .jsonl, .csv).

A problem with one file or record is reported to the :class:`IngestReport` and the run
goes on. Only a source that does not exist, or a file type that cannot be read, raises
:class:`SourceError` at once: that is a typo, best caught before anything is indexed.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from ..documents import Document
from ..errors import SourceError
from ..report import IngestReport
from .csvfiles import read_csv
from .files import SkipRecord, SourceFile, read_whole_file, resolve_fields
from .htmlfiles import html_document
from .jsonl import read_jsonl
from .textfiles import markdown_document, text_document

__all__ = ["SUPPORTED_SUFFIXES", "iter_documents", "total_bytes"]

_WHOLE_FILE_READERS = {
    ".txt": text_document,
    ".md": markdown_document,
    ".html": html_document,
    ".htm": html_document,
}
_RECORD_READERS = {".jsonl": read_jsonl, ".csv": read_csv}
SUPPORTED_SUFFIXES = frozenset(_WHOLE_FILE_READERS) | frozenset(_RECORD_READERS)


def iter_documents(
    sources: Iterable[str | os.PathLike[str]],
    report: IngestReport,
    field_map: Mapping[str, str] | None = None,
) -> Iterator[Document]:
    """The documents of every file in ``sources`` (files or folders, folders walked in
    sorted order), in a deterministic order and with unique ids.

    ``field_map`` maps our field names to the keys/columns of JSONL and CSV files, e.g.
    ``{"text": "matn"}``. Missing sources, unsupported files and a bad field map raise
    :class:`SourceError` now; everything else is reported to ``report`` while reading.
    """
    fields = resolve_fields(field_map)
    roots = _check_sources(sources)
    return _documents(roots, report, fields)


def total_bytes(sources: Iterable[str | os.PathLike[str]]) -> int:
    """How many bytes :func:`iter_documents` will read from ``sources``: the total of the
    progress bar that follows ``IngestReport.bytes_read``."""
    files = _source_files(_check_sources(sources), IngestReport())
    return sum(file.size for file in files)


def _check_sources(sources: Iterable[str | os.PathLike[str]]) -> list[Path]:
    roots = []
    for source in sources:
        root = Path(os.path.abspath(source))
        if not root.exists():
            raise SourceError(f"{os.fspath(source)}: no such file or folder")
        if not root.is_dir() and root.suffix.lower() not in SUPPORTED_SUFFIXES:
            kind = f"'{root.suffix}' files" if root.suffix else "files without an extension"
            supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
            raise SourceError(f"{os.fspath(source)}: cannot index {kind} (supported: {supported})")
        roots.append(root)
    return roots


def _documents(roots: list[Path], report: IngestReport, fields: Mapping[str, str]) -> Iterator[Document]:
    first_seen: dict[str, str] = {}
    for file in _source_files(roots, report):
        start = report.bytes_read
        for document, line in _read(file, report, fields):
            if document.id in first_seen:
                message = f"duplicate id '{document.id}' (first seen in {first_seen[document.id]})"
                report.skip(str(file.path), line, message)
                continue
            first_seen[document.id] = f"{file.path}:{line}" if line else str(file.path)
            yield document
        # A file given up early (unreadable, no text column) is done all the same: the
        # progress bar must still reach its end.
        report.bytes_read = max(report.bytes_read, start + file.size)


def _read(file: SourceFile, report: IngestReport, fields: Mapping[str, str]) -> Iterator[tuple[Document, int | None]]:
    """A file's documents with their line numbers (None for a whole-file document)."""
    if file.suffix in _RECORD_READERS:
        documents = _RECORD_READERS[file.suffix](file, report, fields)
    else:
        documents = _whole_file(file, report)
    try:
        yield from documents
    except OSError as error:  # permissions, a dangling link, a disk error mid-file
        report.skip(str(file.path), None, f"cannot read the file: {error.strerror or error}")


def _whole_file(file: SourceFile, report: IngestReport) -> Iterator[tuple[Document, None]]:
    text = read_whole_file(file, report)
    if text is None:
        return
    try:
        document = _WHOLE_FILE_READERS[file.suffix](file, text)
    except SkipRecord as problem:
        report.skip(str(file.path), None, str(problem))
        return
    yield document, None


def _source_files(roots: list[Path], report: IngestReport) -> Iterator[SourceFile]:
    """Every file to read, each once even when sources overlap (a folder and a file in it)."""
    seen: set[str] = set()
    for root in roots:
        files = _folder_files(root, report) if root.is_dir() else [_single_file(root)]
        for file in files:
            real = os.path.realpath(file.path)
            if real in seen:
                continue
            seen.add(real)
            if problem := _not_a_file(file.path):
                report.skip(str(file.path), None, problem)
                continue
            yield file


def _not_a_file(path: Path) -> str | None:
    """Why ``path`` cannot be read as a document, for what is not a regular file:
    a FIFO would block the run forever, a link to /dev/zero fill the memory."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None  # reported, with its reason, when reading it fails
    if stat.S_ISREG(mode):
        return None
    kind = "a FIFO" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket"
    return f"not a regular file but {kind}: left out"


def _single_file(path: Path) -> SourceFile:
    """A file given by itself: its id is its name, its collection its folder's name."""
    return _source_file(path, path.name, path.parent.name)


def _folder_files(root: Path, report: IngestReport) -> Iterator[SourceFile]:
    """A folder's files, ids ``<folder>/<relative path>`` and the folder's name as
    collection, so documents keep their ids wherever the folder is moved."""
    found, problems = False, report.skipped
    for path in _walk(root, report, set()):
        found = True
        relative = path.relative_to(root).as_posix()
        yield _source_file(path, f"{root.name}/{relative}" if root.name else relative, root.name)
    if not found and report.skipped == problems:  # else the walk said what went wrong
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        report.skip(str(root), None, f"no files to index in this folder (looked for {supported})")


def _source_file(path: Path, doc_id: str, collection: str) -> SourceFile:
    """JSONL and CSV files are collections by themselves, so they are named after their stem."""
    if path.suffix.lower() in _RECORD_READERS:
        collection = path.stem
    try:
        size = path.stat().st_size
    except OSError:
        size = 0  # reported when reading it fails
    return SourceFile(path=path, doc_id=doc_id, collection=collection, size=size)


def _walk(folder: Path, report: IngestReport, visited: set[str]) -> Iterator[Path]:
    """Supported files under ``folder`` in sorted order, hidden names left out. Linked
    folders are followed, each real folder once, so a link loop ends."""
    real = os.path.realpath(folder)
    if real in visited:
        return
    visited.add(real)
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except OSError as error:
        report.skip(str(folder), None, f"cannot read the folder: {error.strerror or error}")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            is_dir = entry.is_dir()
        except OSError as error:  # a link that points at itself
            report.skip(entry.path, None, f"cannot read it: {error.strerror or error}")
            continue
        if is_dir:
            yield from _walk(Path(entry.path), report, visited)
        elif Path(entry.name).suffix.lower() in SUPPORTED_SUFFIXES:
            yield Path(entry.path)
