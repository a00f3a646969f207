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
    data = file.path.read_bytes()
    report.bytes_read += len(data)
    text = data.decode("utf-8", "surrogateescape").removeprefix(BOM)
    if problem := utf8_error(text):
        report.skip(str(file.path), *problem)
        return None
    if not text.strip():
        report.skip(str(file.path), None, "empty file")
        return None
    return text


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


def record_document(file: SourceFile, line: int, record: Mapping[str, object], fields: Mapping[str, str]) -> Document:
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
    given = {name: _optional(record.get(fields[name])) for name in RECORD_FIELDS[1:]}
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


def _optional(value: object) -> str:
    """An optional field's value, stripped; absent, null and blank all mean ''."""
    return "" if value is None else as_string(value).strip()
