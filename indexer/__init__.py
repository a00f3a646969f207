"""Indexing: files on disk -> documents -> Arabic analysis -> a Whoosh index."""

from .build import BuildStats, build_index
from .documents import Document
from .errors import (
    ArabicSearchError,
    BadQueryError,
    DocumentNotFoundError,
    IndexBusyError,
    IndexDamagedError,
    IndexNotFoundError,
    SchemaVersionError,
    SettingsError,
    SourceError,
)
from .schema import SCHEMA_VERSION
from .settings import Settings
from .stats import index_stats
from .update import UpdateStats, update_index

__all__ = [
    "ArabicSearchError",
    "BadQueryError",
    "DocumentNotFoundError",
    "BuildStats",
    "Document",
    "IndexBusyError",
    "IndexDamagedError",
    "IndexNotFoundError",
    "SCHEMA_VERSION",
    "SchemaVersionError",
    "Settings",
    "SettingsError",
    "SourceError",
    "UpdateStats",
    "build_index",
    "index_stats",
    "update_index",
]
