"""Reading query-string parameters, with messages that say what was expected."""

from __future__ import annotations

from flask import request

from search import MAX_PER_PAGE
from search.engine import MAX_PAGE

from .errors import ApiError


def whole(name: str, default: int, lowest: int, highest: int) -> int:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = lowest - 1
    if not lowest <= value <= highest:
        raise ApiError(400, "bad_parameter", f"{name} must be a whole number from {lowest} to {highest:,}")
    return value


def flag(name: str, default: bool) -> bool:
    """A yes/no parameter: true/false, 1/0 or yes/no."""
    raw = request.args.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in ("true", "1", "yes", "false", "0", "no"):
        raise ApiError(400, "bad_parameter", f"{name} must be true or false")
    return raw in ("true", "1", "yes")


def page_and_size(default_size: int = 10) -> tuple[int, int]:
    return whole("page", 1, 1, MAX_PAGE), whole("per_page", default_size, 1, MAX_PER_PAGE)


def collections() -> dict[str, list[str]] | None:
    chosen = [c for c in request.args.getlist("collection") if c.strip()]
    return {"collection": chosen} if chosen else None
