"""The JSON API: search, suggestions, documents, health, and its OpenAPI description."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request

from indexer.errors import ArabicSearchError

from . import params
from .engine import engine
from .errors import ApiError

blueprint = Blueprint("api", __name__)


@blueprint.get("/search")
def search() -> Any:
    return _search(params.query_string())


@blueprint.post("/search")
def search_long() -> Any:
    """The same search with its parameters in a JSON body: a query pasted whole
    (a long hadith) does not fit in an address."""
    return _search(params.json_body())


def _search(values: dict[str, Any]) -> Any:
    wanted = params.search_params(values)
    if not wanted.q.strip():
        raise ApiError(400, "missing_parameter", "q is required: the words to search for", "اكتب كلمات البحث.")
    return jsonify(
        engine().search(
            wanted.q, page=wanted.page, per_page=wanted.per_page, filters=wanted.filters, correct=wanted.correct
        )
    )


@blueprint.get("/suggest")
def suggest() -> Any:
    q = request.args.get("q", "")
    limit = params.whole(request.args, "limit", 10, 1, 20)
    return jsonify({"query": q, "suggestions": engine().complete(q, limit) if q.strip() else []})


@blueprint.get("/documents/<path:doc_id>")
def document(doc_id: str) -> Any:
    return jsonify(engine().document(doc_id, q=request.args.get("q") or None))


@blueprint.get("/health")
def health() -> Any:
    try:
        info = engine().info()
    except ArabicSearchError as error:
        raise ApiError(503, error.code, str(error), error.arabic) from None
    return jsonify({"status": "ok", "index_loaded": True, **info})


@blueprint.get("/openapi.json")
def openapi() -> Any:
    return jsonify(current_app.extensions["openapi"])


@blueprint.route("/<path:anything>")
def unknown(anything: str) -> Any:
    raise ApiError(
        404,
        "not_found",
        f"there is no API endpoint /api/{anything}; see /api/openapi.json",
        "لا توجد واجهة برمجية بهذا العنوان.",
    )
