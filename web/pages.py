"""The pages people see: search (with results) and a document."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, render_template, request

from indexer.errors import BadQueryError, IndexNotFoundError, SchemaVersionError

from . import params
from .engine import engine

blueprint = Blueprint("pages", __name__)

PAGE_WINDOW = 2  # page links shown on each side of the current one


@blueprint.get("/")
def search() -> Any:
    q = request.args.get("q", "").strip()
    chosen = request.args.getlist("collection")
    context: dict[str, Any] = {"q": q, "chosen": chosen}
    try:
        searcher = engine()
    except (IndexNotFoundError, SchemaVersionError) as error:
        return render_template("search.html", no_index=str(error), **context), 503
    if not q:
        return render_template("search.html", info=searcher.info(), **context)
    page, per_page = params.page_and_size()
    try:
        result = searcher.search(
            q, page=page, per_page=per_page, filters=params.collections(), correct=params.flag("correct", True)
        )
    except BadQueryError as error:
        return render_template("search.html", error=str(error), **context), 400
    context.update(result=result, pages=_page_links(result["page"], result["pages"]), per_page=per_page)
    return render_template("search.html", **context)


@blueprint.url_defaults
def _keep_uncorrected(endpoint: str, values: dict[str, Any]) -> None:
    """Links from a search asked without correction (its pages, its facets) to
    the same query stay without correction; a new query is corrected again."""
    if endpoint == "pages.search" and "correct" not in values and request.args.get("correct") is not None:
        if values.get("q") == request.args.get("q", "").strip() and not params.flag("correct", True):
            values["correct"] = "false"


@blueprint.get("/doc/<path:doc_id>")
def document(doc_id: str) -> Any:
    q = request.args.get("q", "").strip()
    try:
        doc = engine().document(doc_id, q=q or None)
    except BadQueryError:  # a query that cannot be read still shows the document, unmarked
        doc = engine().document(doc_id)
    url = doc.get("url", "")
    safe_url = url if urlsplit(url).scheme in ("http", "https") else ""
    return render_template("document.html", doc=doc, q=q, url=safe_url)


def _page_links(current: int, last: int) -> list[int | None]:
    """Page numbers to show: the first, the last, and a window around the
    current one; ``None`` stands for a gap."""
    shown = sorted({1, last, *range(max(1, current - PAGE_WINDOW), min(last, current + PAGE_WINDOW) + 1)})
    links: list[int | None] = []
    for number in shown:
        if number < 1:
            continue
        if links and links[-1] is not None and number - links[-1] > 1:  # type: ignore[operator]
            links.append(None)
        links.append(number)
    return links
