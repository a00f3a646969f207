"""One error shape for the API, friendly pages for people, never a traceback.

API: ``{"error": {"code": "bad_query", "message": "..."}}`` with the status of
its kind (400 bad input, 404 unknown, 429 too many requests, 503 no index).
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from indexer.errors import (
    ArabicSearchError,
    BadQueryError,
    DocumentNotFoundError,
    IndexBusyError,
    IndexNotFoundError,
    SchemaVersionError,
)

STATUS: dict[type[ArabicSearchError], int] = {
    BadQueryError: 400,
    DocumentNotFoundError: 404,
    IndexNotFoundError: 503,
    SchemaVersionError: 503,
    IndexBusyError: 503,
}


class ApiError(Exception):
    """A bad request parameter, a rate limit: raised by views, shown in the one shape."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def to_dict(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code, "message": self.message}}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _respond(error: ApiError) -> Response | tuple[str, int, dict[str, str]]:
    if _wants_json():
        response = jsonify(error.to_dict())
        response.status_code = error.status
        response.headers.update(error.headers)
        return response
    page = render_template("error.html", status=error.status, code=error.code, message=error.message)
    return page, error.status, error.headers


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(error: ApiError):  # type: ignore[no-untyped-def]
        return _respond(error)

    @app.errorhandler(ArabicSearchError)
    def domain_error(error: ArabicSearchError):  # type: ignore[no-untyped-def]
        return _respond(ApiError(STATUS.get(type(error), 400), error.code, str(error)))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.code or 500, "http_error")
        messages = {404: "there is no page at this address", 405: "this address does not accept that method"}
        return _respond(ApiError(error.code or 500, code, messages.get(error.code or 500, error.description or "")))

    @app.errorhandler(Exception)
    def unexpected(error: Exception):  # type: ignore[no-untyped-def]
        app.logger.exception("unexpected error on %s", request.path)
        return _respond(ApiError(500, "internal_error", "something went wrong on our side; the error was logged"))
