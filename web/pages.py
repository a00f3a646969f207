"""The pages people see: search (with results), a document, and the site's icon."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, render_template, request, send_from_directory
from werkzeug.exceptions import NotFound

from indexer.errors import BadQueryError, IndexDamagedError, IndexNotFoundError, SchemaVersionError

from . import params
from .engine import engine

blueprint = Blueprint("pages", __name__)

PAGE_WINDOW = 2  # page links shown on each side of the current one


@blueprint.get("/")
def search() -> Any:
    wanted = params.search_params(params.query_string())
    q = wanted.q.strip()
    chosen = request.args.getlist("collection")
    context: dict[str, Any] = {"q": q, "chosen": chosen}
    try:
        searcher = engine()
    except (IndexNotFoundError, IndexDamagedError, SchemaVersionError) as error:
        return render_template("search.html", no_index=error.arabic, **context), 503
    if not q:
        return render_template("search.html", info=searcher.info(), **context)
    try:
        result = searcher.search(
            q, page=wanted.page, per_page=wanted.per_page, filters=wanted.filters, correct=wanted.correct
        )
    except BadQueryError as error:
        return render_template("search.html", error=error.arabic, **context), 400
    context.update(result=result, pages=_page_links(result["page"], result["pages"]), per_page=wanted.per_page)
    return render_template("search.html", **context)


@blueprint.url_defaults
def _keep_uncorrected(endpoint: str, values: dict[str, Any]) -> None:
    """Links from a search asked without correction (its pages, its facets) to
    the same query stay without correction; a new query is corrected again."""
    if endpoint == "pages.search" and "correct" not in values and request.args.get("correct") is not None:
        if values.get("q") == request.args.get("q", "").strip() and not params.flag(request.args, "correct", True):
            values["correct"] = "false"


@blueprint.get("/doc")
@blueprint.get("/doc/<path:doc_id>")
def document(doc_id: str | None = None) -> Any:
    """A document by ``/doc?id=<id>`` (the links the pages make: any id survives
    a query string, where ``/``, ``..`` or a line break in a path would not) or
    by ``/doc/<id>``, kept for addresses already shared."""
    if doc_id is None:
        doc_id = request.args.get("id", "")
        if not doc_id:
            raise NotFound()
    q = request.args.get("q", "").strip()
    try:
        doc = engine().document(doc_id, q=q or None)
    except BadQueryError:  # a query that cannot be read still shows the document, unmarked
        doc = engine().document(doc_id)
    url = doc.get("url", "")
    safe_url = url if urlsplit(url).scheme in ("http", "https") else ""
    return render_template("document.html", doc=doc, q=q, url=safe_url)


@blueprint.get("/favicon.ico")
def favicon() -> Any:
    """Browsers ask for /favicon.ico whatever the page says: the same SVG icon."""
    return send_from_directory(current_app.static_folder or "", "favicon.svg", mimetype="image/svg+xml")


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
