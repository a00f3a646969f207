"""The index on disk: generations, the pointer to the live one, metadata and the
writer lock.

Layout of an index directory::

    index_data/
      CURRENT              name of the live generation (replaced atomically)
      gen-20261129T130102-3fa9c1/   a complete Whoosh index + meta.json
      .building-.../       a build in progress (never read)
      write.lock           held by the one process that builds or updates

A build writes a new generation beside the live one and swaps ``CURRENT`` only
when it is complete, so a crash or Ctrl-C at any moment leaves the previous index
intact and searchable. The previous generation is kept until the next build, so
searchers that still read it are not pulled from under.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.index import FileIndex

from .errors import IndexBusyError, IndexNotFoundError, SchemaVersionError
from .schema import SCHEMA_VERSION

CURRENT = "CURRENT"
META = "meta.json"
LOCK = "write.lock"
GENERATION_PREFIX = "gen-"
BUILDING_PREFIX = ".building-"

_THREAD_LOCKS: dict[Path, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class IndexMeta:
    """What ``stats`` reports beside Whoosh's own numbers."""

    schema_version: int
    stemmer: str
    built_at: str
    updated_at: str
    build_seconds: float
    sources: list[str] = field(default_factory=list)

    def save(self, generation: Path) -> None:
        path = generation / META
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=2), encoding="utf-8")
        os.replace(tmp, path)

    @classmethod
    def load(cls, generation: Path) -> IndexMeta:
        data = json.loads((generation / META).read_text(encoding="utf-8"))
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def current_generation(index_dir: Path) -> Path:
    """The live generation's directory."""
    try:
        name = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        raise IndexNotFoundError(index_dir) from None
    generation = index_dir / name
    if not name or not (generation / META).is_file():
        raise IndexNotFoundError(index_dir)
    return generation


def open_generation(index_dir: Path) -> tuple[FileIndex, IndexMeta, Path]:
    """Open the live index, refusing one built with another schema version."""
    generation = current_generation(index_dir)
    try:
        meta = IndexMeta.load(generation)
    except (ValueError, TypeError, KeyError):
        raise SchemaVersionError(index_dir, "unknown", SCHEMA_VERSION) from None
    if meta.schema_version != SCHEMA_VERSION:
        raise SchemaVersionError(index_dir, meta.schema_version, SCHEMA_VERSION)
    try:
        ix = whoosh_index.open_dir(str(generation))
    except (ImportError, AttributeError, whoosh_index.IndexError):
        # The pickled schema names classes this version of the program no longer has.
        raise SchemaVersionError(index_dir, meta.schema_version, SCHEMA_VERSION) from None
    return ix, meta, generation


def check_index(index_dir: Path) -> None:
    """Fail as searching would (no index, another schema version), having read
    only its table of contents: ``serve`` checks before it starts its workers."""
    ix, _, _ = open_generation(index_dir)
    ix.close()


@contextmanager
def write_lock(index_dir: Path) -> Iterator[None]:
    """One writer (build or update) per index directory at a time.

    A POSIX record lock (``lockf``), not ``flock``: it belongs to this process
    alone, so the indexing workers it forks cannot keep it alive after it dies.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    # Record locks do not exclude threads of one process: a thread lock does.
    with _THREAD_LOCKS_GUARD:
        thread_lock = _THREAD_LOCKS.setdefault(index_dir.resolve(), threading.Lock())
    if not thread_lock.acquire(blocking=False):
        raise IndexBusyError(index_dir)
    try:
        with open(index_dir / LOCK, "a+") as handle:
            try:
                fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise IndexBusyError(index_dir) from None
            try:
                yield
            finally:
                fcntl.lockf(handle, fcntl.LOCK_UN)
    finally:
        thread_lock.release()


def new_building_dir(index_dir: Path) -> Path:
    """A fresh directory for a build; call with the write lock held. Leftovers of
    builds that were killed are removed first."""
    for stale in index_dir.glob(BUILDING_PREFIX + "*"):
        shutil.rmtree(stale, ignore_errors=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    building = index_dir / f"{BUILDING_PREFIX}{stamp}-{secrets.token_hex(3)}"
    building.mkdir()
    return building


def publish(index_dir: Path, building: Path) -> Path:
    """Make a complete build the live generation, atomically; drop generations
    older than the one it replaces."""
    generation = index_dir / (GENERATION_PREFIX + building.name[len(BUILDING_PREFIX) :])
    building.rename(generation)
    _fsync_dir(index_dir)
    try:
        previous: str | None = current_generation(index_dir).name
    except IndexNotFoundError:
        previous = None
    pointer = index_dir / (CURRENT + ".tmp")
    with open(pointer, "w", encoding="utf-8") as handle:
        handle.write(generation.name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(pointer, index_dir / CURRENT)
    _fsync_dir(index_dir)
    for old in index_dir.glob(GENERATION_PREFIX + "*"):
        if old.name not in (generation.name, previous):
            shutil.rmtree(old, ignore_errors=True)
    return generation


def directory_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
