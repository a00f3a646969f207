"""Helpers every reader shares: the file being read, UTF-8 decoding that says where
it broke, line streaming that counts bytes for the progress bar, and turning a
JSONL object or CSV row into a :class:`Document`."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..documents import Document, title_from_text
from ..errors import SourceError
from ..report import IngestReport

BOM = "\ufeff"
# The most of one document that is indexed, in bytes of UTF-8 (about two million
# Arabic letters, a book of a thousand pages): longer text is cut at a word
# boundary and the cut reported. Every query that finds a document tokenizes it
# for its snippet, and its page shows it whole; a 200 MB file would cost each of
# them seconds and gigabytes.
MAX_DOCUMENT_BYTES = 4_000_000
RECORD_FIELDS = ("text", "id", "title", "collection", "date", "url")

# Decoding with ``surrogateescape`` turns each byte that is not UTF-8 into one of these,
# so a single pass both decodes and finds the first bad byte.
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


class SkipRecord(Exception):
    """One document cannot be used; the message tells the user why."""


@dataclass(frozen=True)
class SourceFile:
    """A file to read, with the id and collection its documents inherit.

    ``doc_id`` is the whole file's id, and the prefix of ``<doc_id>:<line>`` ids of
    JSONL/CSV records; ``size`` is what the progress bar expects to be read.
    """

    path: Path
    doc_id: str
    collection: str
    size: int

    @property
    def suffix(self) -> str:
        return self.path.suffix.lower()


def utf8_error(text: str, first_line: int = 1) -> tuple[int, str] | None:
    """The line and message of the first byte that was not UTF-8, in text decoded with
    ``surrogateescape`` starting at ``first_line``; None when it all was UTF-8."""
    match = _ESCAPED_BYTE.search(text)
    if match is None:
        return None
    line = first_line + text.count("\n", 0, match.start())
    byte = ord(match[0]) - 0xDC00
    return line, f"not valid UTF-8 (byte 0x{byte:02x} at line {line}); save it as UTF-8"


def read_whole_file(file: SourceFile, report: IngestReport) -> str | None:
    """The file's text exactly as stored, minus a BOM; None once the reason it is
    unusable (not UTF-8, empty) has been reported."""
    with open(file.path, "rb") as stream:
        data = stream.read(MAX_DOCUMENT_BYTES + 1)
    report.bytes_read += len(data)
    if len(data) > MAX_DOCUMENT_BYTES:
        data = _cut(data)
        report.shorten(str(file.path), None, _shortened(len(data), file.size))
    text = data.decode("utf-8", "surrogateescape").removeprefix(BOM)
    if problem := utf8_error(text):
        report.skip(str(file.path), *problem)
        return None
    if not text.strip():
        report.skip(str(file.path), None, "empty file")
        return None
    return text


def _cut(data: bytes) -> bytes:
    """The first MAX_DOCUMENT_BYTES of ``data``, ending before the last space or
    line break in them (a whole word, and a whole character: in UTF-8 these bytes
    stand for themselves only); at a character's end if there is none."""
    head = data[:MAX_DOCUMENT_BYTES]
    space = max(head.rfind(b" "), head.rfind(b"\n"))
    if space > MAX_DOCUMENT_BYTES // 2:
        return head[:space]
    lead = len(head) - 1
    while lead > 0 and head[lead] & 0xC0 == 0x80:  # back over continuation bytes
        lead -= 1
    length = 1 if head[lead] < 0xC0 else 2 if head[lead] < 0xE0 else 3 if head[lead] < 0xF0 else 4
    return head if lead + length <= len(head) else head[:lead]


def _shortened(kept: int, total: int) -> str:
    return (
        f"too long ({total / 1e6:,.1f} MB): only its first {kept / 1e6:,.1f} MB are indexed, up to a word"
        f" (at most {MAX_DOCUMENT_BYTES / 1e6:g} MB per document: split it into smaller files to index the rest)"
    )


def iter_lines(file: SourceFile, report: IngestReport) -> Iterator[tuple[int, str]]:
    """The file's numbered lines with their line endings, BOM removed, counting each
    line's bytes as read. Bytes that are not UTF-8 stay as surrogate escapes so the
    caller can reject just the record that holds them (see :func:`utf8_error`)."""
    with open(file.path, encoding="utf-8", errors="surrogateescape", newline="") as stream:
        for number, line in enumerate(stream, 1):
            report.bytes_read += len(line.encode("utf-8", "surrogateescape"))
            yield number, line.removeprefix(BOM) if number == 1 else line


def resolve_fields(field_map: Mapping[str, str] | None) -> dict[str, str]:
    """Our field name -> key or column name in the files; a typo in the map fails now."""
    field_map = dict(field_map or {})
    unknown = sorted(set(field_map) - set(RECORD_FIELDS))
    if unknown:
        raise SourceError(
            f"unknown field {', '.join(map(repr, unknown))} in the field map; "
            f"the fields are: {', '.join(RECORD_FIELDS)}"
        )
    blank = sorted(name for name, key in field_map.items() if not isinstance(key, str) or not key)
    if blank:
        raise SourceError(f"the field map gives no column name for {', '.join(map(repr, blank))}")
    return {name: field_map.get(name, name) for name in RECORD_FIELDS}


def json_type(value: object) -> str:
    """The JSON name of a parsed value's type, for messages a user can match to the file."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    names = {dict: "an object", list: "an array", str: "a string", type(None): "null"}
    return names[type(value)]


def as_string(value: object) -> str:
    """Strings as they are; anything else (numbers, lists...) as its JSON text."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def record_document(
    file: SourceFile, line: int, record: Mapping[str, object], fields: Mapping[str, str], report: IngestReport
) -> Document:
    """The document of one JSONL object or CSV row; raises :class:`SkipRecord` when it
    has no usable text. Keys that are not our fields are kept in ``metadata``."""
    key = fields["text"]
    if key not in record:
        raise SkipRecord(f'no "{key}" field')
    text = record[key]
    if not isinstance(text, str):
        raise SkipRecord(f'"{key}" is {json_type(text)}, not a string')
    if not text.strip():
        raise SkipRecord(f'"{key}" is empty')
    if len(text) * 4 > MAX_DOCUMENT_BYTES and len(data := text.encode("utf-8")) > MAX_DOCUMENT_BYTES:
        text = _cut(data).decode("utf-8")
        report.shorten(str(file.path), line, f'"{key}" is {_shortened(len(text.encode("utf-8")), len(data))}')
    given = {name: _optional(fields[name], record.get(fields[name])) for name in RECORD_FIELDS[1:]}
    used = set(fields.values())
    return Document(
        id=given["id"] or f"{file.doc_id}:{line}",
        title=given["title"] or title_from_text(text),
        text=text,
        collection=given["collection"] or file.collection,
        date=given["date"],
        url=given["url"],
        source=str(file.path),
        metadata={name: as_string(value) for name, value in record.items() if name not in used},
    )


def _optional(key: str, value: object) -> str:
    """An optional field's value, stripped; absent, null and blank all mean ''.
    A number is taken as written (``"id": 17``); an array, an object or a
    boolean is a mistake in the file, and the record is skipped saying so,
    rather than indexed under an id or title made of its JSON."""
    if value is None:
        return ""
    if isinstance(value, bool | list | dict):
        raise SkipRecord(f'"{key}" is {json_type(value)}, not a string')
    return as_string(value).strip()
