"""HTML files: the text a reader sees, never scripts, styles or markup."""

from __future__ import annotations

import re
from collections.abc import Iterator

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..documents import Document
from .files import SkipRecord, SourceFile

# Elements whose content is not visible text (code, metadata, embedded documents).
_HIDDEN = frozenset(
    {"-comment", "head", "title", "script", "style", "noscript", "template", "iframe", "object",
     "svg", "canvas"}
)  # fmt: skip
# Elements that start a new line, as a browser lays them out.
_BLOCKS = frozenset(
    {"address", "article", "aside", "blockquote", "body", "br", "caption", "center", "dd",
     "details", "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer",
     "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "legend", "li",
     "listing", "main", "menu", "nav", "ol", "option", "p", "plaintext", "pre", "section",
     "summary", "table", "tbody", "textarea", "tfoot", "thead", "tr", "ul", "xmp"}
)  # fmt: skip
# Table cells sit on one line but must not glue their words together.
_CELLS = frozenset({"td", "th"})
# Elements whose whitespace is shown as written.
_PREFORMATTED = frozenset({"pre", "textarea", "listing", "plaintext", "xmp"})
_HEADINGS = "h1, h2, h3, h4, h5, h6"
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")

_Piece = tuple[str, bool]  # a run of text and whether it is preformatted


def html_document(file: SourceFile, html: str) -> Document:
    """One document per page, titled by ``<title>``, else its first heading, else the file name."""
    tree = LexborHTMLParser(html)
    text = visible_text(tree.root) if tree.root is not None else ""
    if not text:
        raise SkipRecord("no visible text (only markup, scripts or styles)")
    return Document(
        id=file.doc_id,
        title=_title(tree) or file.path.stem,
        text=text,
        collection=file.collection,
        source=str(file.path),
    )


def visible_text(root: LexborNode) -> str:
    """The text under ``root`` with one line per block and no blank lines; whitespace is
    collapsed as a browser does, except in ``<pre>`` and the like."""
    lines = (_line(block) for block in _blocks(root))
    return "\n".join(line for line in lines if line)


def _title(tree: LexborHTMLParser) -> str:
    title = tree.css_first("title")
    if title is not None and (text := _one_line(title.text())):
        return text
    headings = (_one_line(visible_text(heading)) for heading in tree.css(_HEADINGS))
    return next((text for text in headings if text), "")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _line(block: list[_Piece]) -> str:
    text = "".join(piece for piece, _ in block)
    if any(preformatted for _, preformatted in block):
        return text.strip("\n") if text.strip() else ""
    return _HTML_SPACE.sub(" ", text).strip(" ")


def _blocks(root: LexborNode) -> Iterator[list[_Piece]]:
    """The text pieces under ``root`` grouped by the block boundaries between them."""
    block: list[_Piece] = []
    for piece in _pieces(root):
        if piece is None:
            yield block
            block = []
        else:
            block.append(piece)
    yield block


def _pieces(root: LexborNode) -> Iterator[_Piece | None]:
    """Text pieces in document order, None at each block boundary. Iterative, so a
    hostile page nested thousands of levels deep cannot exhaust the call stack."""
    stack: list[tuple[LexborNode | None, bool]] = [(root, False)]
    while stack:
        node, preformatted = stack.pop()
        if node is None:
            yield None
            continue
        tag = node.tag
        if tag == "-text":
            yield node.text_content or "", preformatted
            continue
        if tag in _HIDDEN:
            continue
        if tag in _BLOCKS:
            yield None
            stack.append((None, preformatted))
        elif tag in _CELLS:
            yield " ", False
        preformatted = preformatted or tag in _PREFORMATTED
        children = list(node.iter(include_text=True))
        stack.extend((child, preformatted) for child in reversed(children))
