"""CSV files: a header row naming the fields, then one document per row."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping

from ..documents import Document
from ..report import IngestReport
from .files import SkipRecord, SourceFile, iter_lines, record_document, utf8_error

# The default limit (128 KiB) is smaller than a book chapter stored in one cell.
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))

# The csv module's words for the two mistakes people make, and what they mean.
_HINTS = {
    "unexpected end of data": "a quoted field that starts on this row is never closed",
    "',' expected after '\"'": ('text after a closing quote (write a quote inside a quoted field as "")'),
}


def read_csv(file: SourceFile, report: IngestReport, fields: Mapping[str, str]) -> Iterator[tuple[Document, int]]:
    """Each good row's document with the line the row starts on (quoted fields may span
    lines); each bad row is reported and skipped, the rest of the file still read."""
    rows = _rows(file, report)
    columns = _header(file, report, rows, fields["text"])
    if columns is None:
        return
    empty = True
    for number, values, problem in rows:
        empty = False
        try:
            document = _row_document(file, number, columns, values, problem, fields, report)
        except SkipRecord as error:
            report.skip(str(file.path), number, str(error))
            continue
        yield document, number
    if empty:
        report.skip(str(file.path), None, "no rows after the header")


def _header(
    file: SourceFile,
    report: IngestReport,
    rows: Iterator[tuple[int, list[str], str | None]],
    text_column: str,
) -> list[str] | None:
    """The column names, or None once the reason the file cannot be used is reported."""
    first = next(rows, None)
    if first is None:
        report.skip(str(file.path), None, "empty file")
        return None
    line, header, problem = first
    columns = _columns(header)
    problem = f"header row: {problem}" if problem else _header_problem(columns, text_column)
    if problem:
        report.skip(str(file.path), line, problem)
        return None
    return columns


def _rows(file: SourceFile, report: IngestReport) -> Iterator[tuple[int, list[str], str | None]]:
    """Non-blank rows with the line each starts on and, for a row that is not UTF-8 or
    not well-formed CSV, what is wrong with it."""
    consumed: list[tuple[int, str]] = []  # the physical lines of the row being parsed

    def lines() -> Iterator[str]:
        for number, line in iter_lines(file, report):
            consumed.append((number, line))
            yield line

    reader = csv.reader(lines(), strict=True)
    while True:
        try:
            values, problem = next(reader), None
        except StopIteration:
            return
        except csv.Error as error:
            values, problem = [], f"malformed CSV: {_HINTS.get(str(error), error)}"
        start = consumed[0][0]
        problem = _utf8_problem(consumed) or problem
        consumed.clear()
        if values or problem:
            yield start, values, problem


def _utf8_problem(lines: list[tuple[int, str]]) -> str | None:
    problem = utf8_error("".join(line for _, line in lines), lines[0][0])
    return problem[1] if problem else None


def _row_document(
    file: SourceFile,
    number: int,
    columns: list[str],
    values: list[str],
    problem: str | None,
    fields: Mapping[str, str],
    report: IngestReport,
) -> Document:
    if problem:
        raise SkipRecord(problem)
    return record_document(file, number, _record(columns, values), fields, report)


def _columns(header: list[str]) -> list[str]:
    """Column names, stripped; an unnamed column is named by its position so its values
    are kept in the metadata rather than lost."""
    return [name.strip() or f"column {position}" for position, name in enumerate(header, 1)]


def _header_problem(columns: list[str], text_column: str) -> str | None:
    duplicates = sorted({name for name in columns if columns.count(name) > 1})
    if duplicates:
        return f"the header names these columns more than once: {', '.join(duplicates)}"
    if text_column not in columns:
        return f'no "{text_column}" column; the columns are: {", ".join(columns)}'
    return None


def _record(columns: list[str], values: list[str]) -> dict[str, str]:
    """The row as column -> value. Missing trailing cells are empty; cells beyond the
    header are an error unless empty, because their data would have no column."""
    extra = values[len(columns) :]
    if any(cell.strip() for cell in extra):
        raise SkipRecord(f"the row has {len(values)} fields but the header has {len(columns)}")
    return {name: values[i] if i < len(values) else "" for i, name in enumerate(columns)}
