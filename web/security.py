"""Security headers, CORS for the JSON API, and a per-client limit on searches.

The pages load nothing from elsewhere and run no inline code, so the
Content-Security-Policy can allow only this origin.
"""

from __future__ import annotations

import threading
import time

from flask import Flask, Response, request

from indexer.settings import Settings

from .errors import ApiError
from .numbers import count_of

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
# Requests that run a search (the page with a query, the search and suggest API).
LIMITED_PATHS = ("/", "/api/search", "/api/suggest")


class RateLimiter:
    """A token bucket per client address: ``per_minute`` searches, with bursts of a sixth of that."""

    def __init__(self, per_minute: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = max(10.0, per_minute / 6)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> float:
        """0 when the request may go ahead, else the seconds to wait."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[client] = (tokens - 1, now)
                return 0.0
            self._buckets[client] = (tokens, now)
            if len(self._buckets) > 10_000:  # forget idle clients
                self._buckets = {c: v for c, v in self._buckets.items() if now - v[1] < 60}
            return (1 - tokens) / self.rate


def init_app(app: Flask, settings: Settings) -> None:
    limiter = RateLimiter(settings.rate_limit) if settings.rate_limit else None
    origins = {o.strip() for o in settings.cors_origins.split(",") if o.strip()}

    @app.before_request
    def limit() -> None:
        if limiter is None or request.path not in LIMITED_PATHS or (request.path == "/" and not request.args.get("q")):
            return
        wait = limiter.allow(request.remote_addr or "unknown")
        if wait:
            seconds = max(1, round(wait))
            raise ApiError(
                429,
                "rate_limited",
                f"too many searches from your address; try again in {seconds} s",
                f"بحوث كثيرة من عنوانك في وقت قصير؛ أعد المحاولة بعد {count_of(seconds, 'ثانية')}.",
                {"Retry-After": str(seconds)},
            )

    @app.after_request
    def headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        origin = request.headers.get("Origin")
        if origins and request.path.startswith("/api/") and origin:
            if "*" in origins:
                response.headers["Access-Control-Allow-Origin"] = "*"
            elif origin in origins:
                response.headers["Access-Control-Allow-Origin"] = origin
                response.headers["Vary"] = "Origin"
        return response
