"""Security headers, CORS for the JSON API, and a per-client limit on searches.

The pages load nothing from elsewhere and run no inline code, so the
Content-Security-Policy can allow only this origin.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address

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
# Requests that run a search or read a document (the page with a query, the
# search and suggest API, a document page or its JSON).
LIMITED_PATHS = ("/", "/api/search", "/api/suggest", "/doc")
LIMITED_PREFIXES = ("/doc/", "/api/documents/")


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


def client_address(peer: str, forwarded: str, trusted: Sequence[IPv4Network | IPv6Network]) -> str:
    """The address a request came from: the peer's, unless the peer is a trusted
    proxy; then the last address of X-Forwarded-For that is not a trusted proxy
    (each proxy appends the address it was called from, so whatever a client
    wrote itself stands to the left of what they appended)."""
    address = peer
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    while _is_trusted(address, trusted) and hops:
        address = hops.pop()
    return address


def _is_trusted(address: str, trusted: Sequence[IPv4Network | IPv6Network]) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def _limited(path: str) -> bool:
    return path in LIMITED_PATHS or path.startswith(LIMITED_PREFIXES)


def init_app(app: Flask, settings: Settings) -> None:
    limiter = RateLimiter(settings.rate_limit) if settings.rate_limit else None
    origins = {o.strip() for o in settings.cors_origins.split(",") if o.strip()}
    proxies = settings.proxy_networks()

    @app.before_request
    def limit() -> None:
        if limiter is None or not _limited(request.path) or (request.path == "/" and not request.args.get("q")):
            return
        peer = request.remote_addr or "unknown"
        wait = limiter.allow(client_address(peer, request.headers.get("X-Forwarded-For", ""), proxies))
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
