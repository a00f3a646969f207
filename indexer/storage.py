"""The index on disk: generations, the pointer to the live one, metadata and the
writer lock.

Layout of an index directory::

    index_data/
      CURRENT              name of the live generation (replaced atomically)
      gen-20261129T130102-3fa9c1/   a complete Whoosh index + meta.json
      .building-.../       a build or update in progress (never read)
      write.lock           held by the one process that builds or updates

A build or an update writes a new generation beside the live one and swaps
``CURRENT`` only when it is complete (index, vocabulary and metadata), so a crash
or Ctrl-C at any moment leaves the previous index intact and searchable. An
update starts from hard links to the live generation's segment files (Whoosh
never rewrites one once written), so it costs what it changes, not a copy of
the index. The previous generation is kept until the next publish, so searchers
that still read it are not pulled from under.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import pickle
import re
import secrets
import shutil
import struct
import threading
import traceback
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.index import TOC, EmptyIndexError, FileIndex
from whoosh.index import IndexError as WhooshIndexError

from .errors import IndexBusyError, IndexDamagedError, IndexNotFoundError, IndexWriteError, SchemaVersionError
from .schema import SCHEMA_VERSION

CURRENT = "CURRENT"
META = "meta.json"
LOCK = "write.lock"
GENERATION_PREFIX = "gen-"
BUILDING_PREFIX = ".building-"
# Whoosh's segment files (MAIN_<segment id>.<ext>): written once, never changed
# after; deletions are recorded in the TOC (_MAIN_<n>.toc), rewritten at each commit.
_SEGMENT_FILE = re.compile(r"MAIN_[0-9a-z]+\.[A-Za-z0-9_.]+")
_WHOOSH_LOCK = "MAIN_WRITELOCK"

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
    #: Live documents when it was written: ``check`` compares the index with it.
    documents: int | None = None

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
    """The live generation's directory. No index at all is IndexNotFoundError;
    a pointer that cannot be followed where generations exist is IndexDamagedError."""
    pointer = index_dir / CURRENT
    try:
        raw = pointer.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        _unless_generations(index_dir, f"{CURRENT} (which names the live generation) is missing")
        raise IndexNotFoundError(index_dir) from None
    except OSError as error:  # a folder, unreadable
        raise IndexDamagedError(index_dir, f"cannot read {CURRENT}: {error.strerror or error}") from None
    try:
        name = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        name = ""
    if not re.fullmatch(re.escape(GENERATION_PREFIX) + r"[\w.-]+", name):
        _unless_generations(index_dir, f"{CURRENT} does not hold a generation's name")
        raise IndexNotFoundError(index_dir)
    generation = index_dir / name
    if not (generation / META).is_file():
        problem = f"{CURRENT} names {name}, which " + ("has no " + META if generation.is_dir() else "is missing")
        _unless_generations(index_dir, problem)
        raise IndexNotFoundError(index_dir)
    return generation


def complete_generations(index_dir: Path) -> list[Path]:
    """The generations with their metadata written (a publish renames a finished
    build into one), newest first."""
    try:
        found = [p for p in index_dir.glob(GENERATION_PREFIX + "*") if (p / META).is_file()]
    except OSError:
        return []
    return sorted(found, key=lambda p: p.name, reverse=True)


def _unless_generations(index_dir: Path, problem: str) -> None:
    """Raise IndexDamagedError for ``problem`` when the folder holds generations:
    there is an index to save, not none to build."""
    try:
        found = any(p.is_dir() for p in index_dir.glob(GENERATION_PREFIX + "*"))
    except OSError:
        found = False
    if found:
        raise IndexDamagedError(index_dir, problem)


def open_generation(index_dir: Path, generation: Path | None = None) -> tuple[FileIndex, IndexMeta, Path]:
    """Open the live index (or ``generation``, one being updated), refusing one
    built with another schema version."""
    generation = generation or current_generation(index_dir)
    try:
        meta = IndexMeta.load(generation)
    except OSError as error:
        raise IndexDamagedError(index_dir, f"cannot read {generation.name}/{META}: {error.strerror}") from None
    except (ValueError, TypeError, KeyError):
        raise SchemaVersionError(index_dir, "unknown", SCHEMA_VERSION) from None
    if meta.schema_version != SCHEMA_VERSION:
        raise SchemaVersionError(index_dir, meta.schema_version, SCHEMA_VERSION)
    try:
        with damage_as_error(index_dir, generation):
            ix = whoosh_index.open_dir(str(generation))
    except (ImportError, AttributeError, IndexDamagedError) as error:
        cause = error.__cause__ if isinstance(error, IndexDamagedError) else error
        if cause is None or not _in_schema_unpickling(cause):
            raise
        # The pickled schema names classes this version of the program no longer has.
        raise SchemaVersionError(index_dir, meta.schema_version, SCHEMA_VERSION) from None
    return ix, meta, generation


@contextmanager
def damage_as_error(index_dir: Path, generation: Path) -> Iterator[None]:
    """Failures to read a generation's files as IndexDamagedError, naming the
    generation and what broke: a file deleted, cut short or overwritten shows
    up as any of these, raised from deep inside Whoosh or numpy."""
    try:
        yield
    except EmptyIndexError:
        raise IndexDamagedError(index_dir, f"{generation.name} has no table of contents (_MAIN_*.toc)") from None
    except WhooshIndexError as error:
        problem = f"the table of contents of {generation.name} cannot be read ({error})"
        raise IndexDamagedError(index_dir, problem) from error
    except _DAMAGE as error:
        detail = (
            f"{error.strerror}: {Path(error.filename).name}" if isinstance(error, OSError) and error.filename else error
        )
        raise IndexDamagedError(index_dir, f"{generation.name} cannot be read ({detail})") from error


# What reading a damaged file raises (struct.error for a short read, EOFError and
# UnpicklingError for a cut pickle, zlib.error for a cut compressed block, IndexError and ValueError for garbage, Whoosh's
# own IndexError for a table of contents that is not one). Not AttributeError or
# ImportError: those are bugs (or, unpickling a schema, another version).
_DAMAGE = (
    WhooshIndexError,
    OSError,
    EOFError,
    ValueError,
    IndexError,
    KeyError,
    struct.error,
    pickle.UnpicklingError,
    zlib.error,
)


def _in_schema_unpickling(error: BaseException) -> bool:
    """Whether ``error`` came from unpickling the schema in Whoosh's ``TOC.read``:
    the TOC's header had been read (``version`` set) and its schema not yet
    (``schema`` still None). Any other failure there is not about the schema."""
    for frame, _ in traceback.walk_tb(error.__traceback__):
        if frame.f_code is TOC.read.__func__.__code__:
            return "version" in frame.f_locals and frame.f_locals.get("schema") is None
    return False


def check_index(index_dir: Path) -> None:
    """Fail as searching would (no index, another schema version), having read
    only its table of contents: ``serve`` checks before it starts its workers."""
    ix, _, _ = open_generation(index_dir)
    ix.close()


@contextmanager
def machine_refusals(index_dir: Path) -> Iterator[None]:
    """A full disk, a read-only file system or a missing permission while
    writing the index, as one IndexWriteError naming the folder."""
    try:
        yield
    except OSError as error:
        reason = _REFUSALS.get(error.errno or 0)
        if reason is None:
            raise
        raise IndexWriteError(index_dir, reason.format(index_dir)) from error


_REFUSALS = {
    errno.ENOSPC: "no space left on {}",
    errno.EDQUOT: "no space left on {} (disk quota exceeded)",
    errno.EROFS: "{} is on a read-only file system",
    errno.EACCES: "no permission to write in {}",
    errno.EPERM: "no permission to write in {}",
}


@contextmanager
def write_lock(index_dir: Path) -> Iterator[None]:
    """One writer (build or update) per index directory at a time.

    A POSIX record lock (``lockf``), not ``flock``: it belongs to this process
    alone, so the indexing workers it forks cannot keep it alive after it dies.
    """
    # Record locks do not exclude threads of one process: a thread lock does.
    with _THREAD_LOCKS_GUARD:
        thread_lock = _THREAD_LOCKS.setdefault(index_dir.resolve(), threading.Lock())
    if not thread_lock.acquire(blocking=False):
        raise IndexBusyError(index_dir)
    try:
        with machine_refusals(index_dir):
            index_dir.mkdir(parents=True, exist_ok=True)
            handle = open(index_dir / LOCK, "a+")  # noqa: SIM115 - closed below
        with handle:
            try:
                fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.seek(0)
                raise IndexBusyError(index_dir, _writer(handle.read().strip())) from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n")  # for a second writer to name this one
            handle.flush()
            try:
                yield
            finally:
                fcntl.lockf(handle, fcntl.LOCK_UN)
    finally:
        thread_lock.release()


def _writer(pid: str) -> str:
    """The process that holds the write lock, as ``PID 123: arabic-search index ...``."""
    if not pid.isdigit():
        return ""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")
    except OSError:
        return f"PID {pid}"
    words = [os.path.basename(w) if i == 0 else w for i, w in enumerate(c.decode(errors="replace") for c in command)]
    if len(words) > 2 and words[1] == "-m":  # python -m arabic_search ...
        words = words[2:]
    return f"PID {pid}: {' '.join(' '.join(words).split())}"[:200]  # on one line


def new_building_dir(index_dir: Path) -> Path:
    """A fresh directory for a build or an update; call with the write lock held.
    Leftovers of builds and updates that were killed are removed first."""
    for stale in index_dir.glob(BUILDING_PREFIX + "*"):
        shutil.rmtree(stale, ignore_errors=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    building = index_dir / f"{BUILDING_PREFIX}{stamp}-{secrets.token_hex(3)}"
    building.mkdir()
    return building


def link_generation(generation: Path, building: Path) -> None:
    """Fill ``building`` with the index of ``generation``, for an update to change.

    Segment files are hard-linked: Whoosh never opens one for writing again, so
    the two generations can share them, and an update costs what it changes.
    The rest (the TOC, which holds the deletions, the vocabulary and the metadata)
    is small and copied.
    """
    for path in generation.iterdir():
        target = building / path.name
        if path.name == _WHOOSH_LOCK:
            continue
        if _SEGMENT_FILE.fullmatch(path.name):
            try:
                os.link(path, target)
                continue
            except OSError:  # a file system without hard links
                pass
        shutil.copy2(path, target)


def publish(index_dir: Path, building: Path) -> Path:
    """Make a complete build or update the live generation, atomically; drop
    generations older than the one it replaces."""
    generation = index_dir / (GENERATION_PREFIX + building.name[len(BUILDING_PREFIX) :])
    building.rename(generation)
    _fsync_dir(index_dir)
    try:
        previous: str | None = current_generation(index_dir).name
    except (IndexNotFoundError, IndexDamagedError):  # the new generation mends a broken pointer
        previous = None
    point_at(index_dir, generation)
    for old in index_dir.glob(GENERATION_PREFIX + "*"):
        if old.name not in (generation.name, previous):
            shutil.rmtree(old, ignore_errors=True)
    return generation


def point_at(index_dir: Path, generation: Path) -> None:
    """Make ``generation`` the live one: ``CURRENT`` names it, replaced atomically."""
    pointer = index_dir / (CURRENT + ".tmp")
    with open(pointer, "w", encoding="utf-8") as handle:
        handle.write(generation.name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    if (index_dir / CURRENT).is_dir():  # a folder in its place: nothing to keep in it
        shutil.rmtree(index_dir / CURRENT)
    os.replace(pointer, index_dir / CURRENT)
    _fsync_dir(index_dir)


def directory_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
