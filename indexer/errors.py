"""Domain errors. The CLI turns them into one-line messages and exit code 2;
the web layer into one JSON error shape."""

from __future__ import annotations

from pathlib import Path


class ArabicSearchError(Exception):
    """Base class: every error a user can cause or fix.

    ``str(error)`` is the English message (the CLI, the API's ``message``);
    ``error.arabic`` is what the Arabic page shows, never English.
    """

    code = "error"
    default_arabic = "تعذّر تنفيذ الطلب."

    def __init__(self, message: str, arabic: str | None = None) -> None:
        super().__init__(message)
        self.arabic = arabic or self.default_arabic


class IndexNotFoundError(ArabicSearchError):
    code = "no_index"

    def __init__(self, index_dir: Path) -> None:
        super().__init__(
            f"no index at {index_dir}; run `arabic-search index` to build one",
            "لا يوجد فهرس بعد: ابنِ فهرسًا بالأمر arabic-search index.",
        )
        self.index_dir = index_dir


class SchemaVersionError(ArabicSearchError):
    code = "schema_version"

    def __init__(self, index_dir: Path, found: object, expected: int) -> None:
        super().__init__(
            f"the index at {index_dir} was built with schema version {found}, this program "
            f"uses version {expected}; rebuild it with `arabic-search index`",
            "الفهرس مبنيّ بإصدار آخر من البرنامج: أعد بناءه بالأمر arabic-search index.",
        )
        self.found = found
        self.expected = expected


class IndexDamagedError(ArabicSearchError):
    """An index that is there but cannot be read as it is (a file missing, cut
    short or overwritten): unlike a missing index, something is there to save."""

    code = "index_damaged"

    def __init__(self, index_dir: Path, problem: str) -> None:
        super().__init__(
            f"the index at {index_dir} is damaged: {problem}; `arabic-search check --repair` mends what can be"
            " derived again, else rebuild it with `arabic-search index`",
            "الفهرس تالف: أصلحه بالأمر arabic-search check --repair أو أعد بناءه بالأمر arabic-search index.",
        )
        self.index_dir = index_dir
        self.problem = problem


class IndexBusyError(ArabicSearchError):
    code = "index_busy"

    def __init__(self, index_dir: Path, writer: str = "") -> None:
        by = f" ({writer})" if writer else ""
        super().__init__(
            f"another process{by} is writing the index at {index_dir}; try again when it has finished",
            "عملية أخرى تكتب الفهرس الآن؛ أعد المحاولة بعد انتهائها.",
        )


class IndexWriteError(ArabicSearchError):
    """The machine refused to write the index (a full disk, a read-only file
    system, no permission); the live index is left as it was."""

    code = "cannot_write"

    def __init__(self, index_dir: Path, reason: str) -> None:
        super().__init__(
            f"{reason}: nothing was changed, the live index at {index_dir} is as it was",
            "تعذّرت كتابة الفهرس (لا مساحة على القرص أو لا إذن بالكتابة)؛ بقي الفهرس كما كان.",
        )
        self.reason = reason


class SettingsError(ArabicSearchError):
    """A setting out of range or unreadable (an environment variable, a flag)."""

    code = "bad_setting"
    default_arabic = "أحد الإعدادات غير صالح: راجع متغيرات البيئة وخيارات الأمر."


class SourceError(ArabicSearchError):
    """A source that cannot be read at all, or any problem when ``--strict`` is on."""

    code = "bad_source"


class BadQueryError(ArabicSearchError):
    """A query that cannot be run as typed; the message says how to write it."""

    code = "bad_query"
    default_arabic = "تعذّر فهم البحث كما كُتب."


class DocumentNotFoundError(ArabicSearchError):
    code = "not_found"

    def __init__(self, doc_id: str) -> None:
        super().__init__(f"no document with id {doc_id!r}", f"لا توجد وثيقة بالمعرّف «{doc_id}».")
        self.doc_id = doc_id
