"""One error shape for the API, friendly Arabic pages for people, never a traceback.

API: ``{"error": {"code": "bad_query", "message": "..."}}`` with the status of
its kind (400 bad input, 404 unknown, 405 wrong method, 414 too long, 429 too many
requests, 503 no index), codes and messages in English. The page shows the Arabic
text of the same error, never the English one.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from indexer.errors import (
    ArabicSearchError,
    BadQueryError,
    DocumentNotFoundError,
    IndexBusyError,
    IndexDamagedError,
    IndexNotFoundError,
    SchemaVersionError,
)

STATUS: dict[type[ArabicSearchError], int] = {
    BadQueryError: 400,
    DocumentNotFoundError: 404,
    IndexNotFoundError: 503,
    SchemaVersionError: 503,
    IndexBusyError: 503,
    IndexDamagedError: 503,
}
# What the server itself says, in both languages: (code, English, Arabic) by status.
HTTP_ERRORS = {
    400: ("bad_request", "the request is malformed", "الطلب غير صالح."),
    404: ("not_found", "there is no page at this address", "لا توجد صفحة بهذا العنوان."),
    405: (
        "method_not_allowed",
        "this address does not accept that method",
        "هذا العنوان لا يقبل هذا النوع من الطلبات.",
    ),
    413: ("too_large", "the request is too large", "الطلب أكبر من المسموح."),
    414: (
        "uri_too_long",
        "the address is too long; send long queries with POST /api/search",
        "عنوان الطلب أطول من المسموح: البحث ألف حرف على الأكثر.",
    ),
    431: ("headers_too_large", "the request's headers are too large", "ترويسات الطلب أكبر من المسموح."),
    500: ("internal_error", "something went wrong on our side; the error was logged", "حدث خطأ من جهتنا، وسُجِّل لنصلحه."),
}


class ApiError(Exception):
    """A bad request parameter, a rate limit: raised by views, shown in the one shape,
    with ``arabic`` for the page."""

    def __init__(
        self, status: int, code: str, message: str, arabic: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.arabic = arabic
        self.headers = headers or {}

    def to_dict(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code, "message": self.message}}


def http_error(status: int, headers: dict[str, str] | None = None) -> ApiError:
    """The error the server answers with ``status`` (404, 405, 414, 500...)."""
    code, english, arabic = HTTP_ERRORS.get(
        status, ("http_error", "the request cannot be answered", "تعذّر تنفيذ الطلب.")
    )
    return ApiError(status, code, english, arabic, headers)


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def respond(error: ApiError) -> Response:
    """The error as JSON for the API, as an Arabic page for people."""
    if _wants_json():
        response = jsonify(error.to_dict())
    else:
        page = render_template("error.html", status=error.status, message=error.arabic)
        response = Response(page, mimetype="text/html")
    response.status_code = error.status
    response.headers.update(error.headers)
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(error: ApiError) -> Response:
        return respond(error)

    @app.errorhandler(ArabicSearchError)
    def domain_error(error: ArabicSearchError) -> Response:
        return respond(ApiError(STATUS.get(type(error), 400), error.code, str(error), error.arabic))

    @app.errorhandler(HTTPException)
    def http_exception(error: HTTPException) -> Response:
        allow = {"Allow": error.get_response().headers["Allow"]} if error.code == 405 else None
        return respond(http_error(error.code or 500, allow))

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        app.logger.exception("unexpected error on %s", request.path)
        return respond(http_error(500))
