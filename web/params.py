"""Reading request parameters (a query string, or the JSON body of POST /api/search),
with messages that say what was expected, in English for the API and Arabic for the page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import request

from search import MAX_PER_PAGE
from search.engine import MAX_PAGE

from .errors import ApiError

# How the page names each number it reads, for its Arabic messages.
ARABIC_NAMES = {"page": "رقم الصفحة", "per_page": "عدد النتائج في الصفحة", "limit": "عدد الاقتراحات"}
SEARCH_FIELDS = ("q", "page", "per_page", "collection", "correct")
MAX_BODY_BYTES = 64 * 1024  # a POST body: a 1,000-character query and its filters fit many times over


@dataclass(frozen=True)
class SearchParams:
    q: str
    page: int
    per_page: int
    filters: dict[str, list[str]] | None
    correct: bool  # show the spelling correction's results when it finds clearly more


def bad_parameter(english: str, arabic: str) -> ApiError:
    return ApiError(400, "bad_parameter", english, arabic)


def whole(values: Mapping[str, Any], name: str, default: int, lowest: int, highest: int) -> int:
    """A whole number from ``lowest`` to ``highest``: a JSON number, or its digits in a
    query string; ``default`` when the parameter is absent (given empty or null, it is wrong)."""
    if name not in values:
        return default
    raw = values[name]
    value = raw if isinstance(raw, int) and not isinstance(raw, bool) else _digits(raw)
    if value is None or not lowest <= value <= highest:
        raise bad_parameter(
            f"{name} must be a whole number from {lowest} to {highest:,}",
            f"{ARABIC_NAMES.get(name, name)} يجب أن يكون عددًا صحيحًا من {lowest} إلى {highest:,}.",
        )
    return value


def query_string() -> dict[str, Any]:
    """The search parameters of the query string, ``collection`` repeatable."""
    values: dict[str, Any] = {k: request.args[k] for k in ("q", "page", "per_page", "correct") if k in request.args}
    if "collection" in request.args:
        values["collection"] = request.args.getlist("collection")
    return values


def json_body() -> dict[str, Any]:
    """The JSON object of a POST body, with only the search fields."""
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict):
        raise bad_parameter(
            'the body must be a JSON object, sent with "Content-Type: application/json"',
            "جسم الطلب يجب أن يكون كائن JSON.",
        )
    unknown = sorted(set(body) - set(SEARCH_FIELDS))
    if unknown:
        raise bad_parameter(
            f"unknown field {unknown[0]!r}: the fields are {', '.join(SEARCH_FIELDS)}", "في الطلب حقل غير معروف."
        )
    return body


def search_params(values: Mapping[str, Any]) -> SearchParams:
    """What a search needs, checked: the query, the page and its size, the collections."""
    q = values.get("q", "")
    if not isinstance(q, str):  # null too
        raise bad_parameter("q must be a text", "نص البحث يجب أن يكون نصًا.")
    return SearchParams(
        q=q,
        page=whole(values, "page", 1, 1, MAX_PAGE),
        per_page=whole(values, "per_page", 10, 1, MAX_PER_PAGE),
        filters=_collections(values.get("collection", [])),
        correct=flag(values, "correct", True),
    )


def flag(values: Mapping[str, Any], name: str, default: bool) -> bool:
    """A yes/no parameter: a JSON boolean, or true/false, 1/0, yes/no in a query string."""
    if name not in values:
        return default
    raw = values[name]
    if isinstance(raw, bool):
        return raw
    text = raw.strip().lower() if isinstance(raw, str) else ""
    if text not in ("true", "1", "yes", "false", "0", "no"):
        raise bad_parameter(f"{name} must be true or false", f"القيمة {name} يجب أن تكون true أو false.")
    return text in ("true", "1", "yes")


def _collections(raw: object) -> dict[str, list[str]] | None:
    chosen = [raw] if isinstance(raw, str) else raw
    if not isinstance(chosen, list) or not all(isinstance(c, str) for c in chosen):
        raise bad_parameter("collection must be a text or a list of texts", "المجموعة يجب أن تكون نصًا أو قائمة نصوص.")
    chosen = [c for c in chosen if c.strip()]
    return {"collection": chosen} if chosen else None


def _digits(raw: object) -> int | None:
    text = raw.strip() if isinstance(raw, str) else ""
    return int(text) if text.isascii() and text.isdigit() else None
