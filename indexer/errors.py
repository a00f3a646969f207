"""Domain errors. The CLI turns them into one-line messages and exit code 2;
the web layer into one JSON error shape."""

from __future__ import annotations

from pathlib import Path


class ArabicSearchError(Exception):
    """Base class: every error a user can cause or fix."""

    code = "error"


class IndexNotFoundError(ArabicSearchError):
    code = "no_index"

    def __init__(self, index_dir: Path) -> None:
        super().__init__(f"no index at {index_dir}; run `arabic-search index` to build one")
        self.index_dir = index_dir


class SchemaVersionError(ArabicSearchError):
    code = "schema_version"

    def __init__(self, index_dir: Path, found: object, expected: int) -> None:
        super().__init__(
            f"the index at {index_dir} was built with schema version {found}, this program "
            f"uses version {expected}; rebuild it with `arabic-search index`"
        )
        self.found = found
        self.expected = expected


class IndexBusyError(ArabicSearchError):
    code = "index_busy"

    def __init__(self, index_dir: Path) -> None:
        super().__init__(f"another process is writing the index at {index_dir}; try again when it has finished")


class SourceError(ArabicSearchError):
    """A source that cannot be read at all, or any problem when ``--strict`` is on."""

    code = "bad_source"


class BadQueryError(ArabicSearchError):
    """A query that cannot be run as typed; the message says how to write it."""

    code = "bad_query"


class DocumentNotFoundError(ArabicSearchError):
    code = "not_found"

    def __init__(self, doc_id: str) -> None:
        super().__init__(f"no document with id {doc_id!r}")
        self.doc_id = doc_id
