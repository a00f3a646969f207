"""Plain text and Markdown files: one document each.

A .txt file's text is kept exactly as written. A .md file is indexed as the text a
reader of the rendered page sees: markup (``**``, link targets, code fences, raw HTML
tags) would otherwise show in snippets and be searched as words.
"""

from __future__ import annotations

from itertools import pairwise

from markdown_it import MarkdownIt
from markdown_it.token import Token
from selectolax.lexbor import LexborHTMLParser

from ..documents import Document
from .files import SkipRecord, SourceFile
from .htmlfiles import visible_text

MAX_TITLE_LINE = 200

# CommonMark, the specification every Markdown tool agrees on; raw HTML is let through
# to the HTML reader, which drops scripts and styles like in any .html file. Lines stay
# lines (``breaks``), as in a .txt file: the first one can be the title.
_MARKDOWN = MarkdownIt("commonmark", {"breaks": True})


def text_document(file: SourceFile, text: str) -> Document:
    """A .txt file: titled by its first line when that line is short enough to be one."""
    return _document(file, text, _first_line_title(file, text))


def markdown_document(file: SourceFile, text: str) -> Document:
    """A .md file: its rendered text, titled by its first ``#`` heading, else like a .txt file."""
    tokens = _MARKDOWN.parse(text)
    root = LexborHTMLParser(_MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {})).root
    plain = visible_text(root) if root is not None else ""
    if not plain:
        raise SkipRecord("no text (only markup)")
    return _document(file, plain, _first_heading(tokens) or _first_line_title(file, plain))


def _document(file: SourceFile, text: str, title: str) -> Document:
    return Document(id=file.doc_id, title=title, text=text, collection=file.collection, source=str(file.path))


def _first_line_title(file: SourceFile, text: str) -> str:
    """The first non-empty line; a long first line is a paragraph, so the file name
    makes a better title then."""
    first = next(line.strip() for line in text.splitlines() if line.strip())
    return first if len(first) <= MAX_TITLE_LINE else file.path.stem


def _first_heading(tokens: list[Token]) -> str | None:
    """The text of the first non-empty ``#`` (ATX) heading; a ``#`` inside fenced code
    is a comment, and underlined (setext) headings do not count."""
    for opening, inline in pairwise(tokens):
        if opening.type == "heading_open" and opening.markup.startswith("#"):
            words = "".join(_inline_text(child) for child in inline.children or [])
            if title := " ".join(words.split()):
                return title
    return None


def _inline_text(token: Token) -> str:
    """What a reader sees of one inline token: its text, an image's description, no markup."""
    if token.type in ("text", "code_inline"):
        return token.content
    if token.type in ("softbreak", "hardbreak"):
        return " "
    return "".join(_inline_text(child) for child in token.children or [])
