"""Plain text and Markdown files: one document each, the text kept exactly as written."""

from __future__ import annotations

import re

from ..documents import Document
from .files import SourceFile

MAX_TITLE_LINE = 200

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_ATX_HEADING = re.compile(r" {0,3}#{1,6}(?:[ \t]+|$)(.*)")
_CLOSING_HASHES = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")


def text_document(file: SourceFile, text: str) -> Document:
    """A .txt file: titled by its first line when that line is short enough to be one."""
    return _document(file, text, _first_line_title(file, text))


def markdown_document(file: SourceFile, text: str) -> Document:
    """A .md file: titled by its first ``#`` heading, else like a .txt file."""
    return _document(file, text, _first_heading(text) or _first_line_title(file, text))


def _document(file: SourceFile, text: str, title: str) -> Document:
    return Document(id=file.doc_id, title=title, text=text, collection=file.collection, source=str(file.path))


def _first_line_title(file: SourceFile, text: str) -> str:
    """The first non-empty line; a long first line is a paragraph, so the file name
    makes a better title then."""
    first = next(line.strip() for line in text.splitlines() if line.strip())
    return first if len(first) <= MAX_TITLE_LINE else file.path.stem


def _first_heading(text: str) -> str | None:
    """The first non-empty ATX heading outside fenced code (where ``#`` is a comment)."""
    fence = None
    for line in text.splitlines():
        if marker := _FENCE.match(line):
            if fence is None:
                fence = marker[1][0]
            elif marker[1][0] == fence:
                fence = None
            continue
        heading = _ATX_HEADING.match(line) if fence is None else None
        if heading and (title := _CLOSING_HASHES.sub("", heading[1]).strip()):
            return title
    return None
