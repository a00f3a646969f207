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
    q = request.args.get("q", "")
    if not q.strip():
        raise ApiError(400, "missing_parameter", "q is required: the words to search for")
    page, per_page = params.page_and_size()
    correct = params.flag("correct", True)
    return jsonify(engine().search(q, page=page, per_page=per_page, filters=params.collections(), correct=correct))


@blueprint.get("/suggest")
def suggest() -> Any:
    q = request.args.get("q", "")
    limit = params.whole("limit", 10, 1, 20)
    return jsonify({"query": q, "suggestions": engine().complete(q, limit) if q.strip() else []})


@blueprint.get("/documents/<path:doc_id>")
def document(doc_id: str) -> Any:
    return jsonify(engine().document(doc_id, q=request.args.get("q") or None))


@blueprint.get("/health")
def health() -> Any:
    try:
        info = engine().info()
    except ArabicSearchError as error:
        raise ApiError(503, error.code, str(error)) from None
    return jsonify({"status": "ok", "index_loaded": True, **info})


@blueprint.get("/openapi.json")
def openapi() -> Any:
    return jsonify(current_app.extensions["openapi"])


@blueprint.route("/<path:anything>")
def unknown(anything: str) -> Any:
    raise ApiError(404, "not_found", f"there is no API endpoint /api/{anything}; see /api/openapi.json")
