"""JSON Lines files: one document per object, read line by line so large files stream."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping

from ..documents import Document
from ..report import IngestReport
from .files import SkipRecord, SourceFile, iter_lines, json_type, record_document, utf8_error

# A ``\ud800``-``\udfff`` escape; json.loads pairs them up, so any left alone is half a
# character that cannot be stored or shown (the precise check runs only when this matches).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def read_jsonl(file: SourceFile, report: IngestReport, fields: Mapping[str, str]) -> Iterator[tuple[Document, int]]:
    """Each good line's document with its line number; each bad line is reported and
    skipped, so one broken record never costs the rest of the file."""
    empty = True
    for number, line in iter_lines(file, report):
        if not line.strip():
            continue
        empty = False
        try:
            document = record_document(file, number, _parse(line, number), fields, report)
        except SkipRecord as problem:
            report.skip(str(file.path), number, str(problem))
            continue
        yield document, number
    if empty:
        report.skip(str(file.path), None, "empty file")


def _parse(line: str, number: int) -> dict[str, object]:
    if problem := utf8_error(line, number):
        raise SkipRecord(problem[1])
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise SkipRecord(f"malformed JSON: {error.msg} (column {error.colno})") from None
    except (ValueError, RecursionError) as error:  # a number of 5000 digits, nesting 1000 deep
        raise SkipRecord(f"unreadable JSON: {error}") from None
    if not isinstance(record, dict):
        raise SkipRecord(f"not a JSON object but {json_type(record)}; each line must be {{...}}")
    if _SURROGATE_ESCAPE.search(line) and (lone := _SURROGATE.search(json.dumps(record, ensure_ascii=False))):
        escape = f"\\u{ord(lone[0]):04x}"
        raise SkipRecord(f"the escape {escape} is half of a surrogate pair, not a character")
    return record
