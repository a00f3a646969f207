"""Serving the app: gunicorn, one worker process per core, or, with ``debug``,
Flask's development server with its reloader.

Searching is Python work that holds the GIL, so threads in one process only
take turns; processes use every core. Measured with wrk (8 connections, the
34,178-hadith index, 2 cores): waitress with 2 threads served 147 requests/s
(p50 52 ms); gunicorn with 2 sync workers 369 (p50 20 ms, p99 47 ms); 2 gthread
workers, whose kept-alive connections stay with one process, 304.
"""

from __future__ import annotations

import math
import socket
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.http import errors as http_errors
from gunicorn.workers.sync import SyncWorker

from indexer.errors import ArabicSearchError
from indexer.settings import Settings

from . import create_app
from .errors import http_error, respond
from .labels import load_labels

# gunicorn's largest request line (it lowers any larger setting to this). A query of
# 1,000 Arabic letters and marks (two bytes each in UTF-8, six percent-encoded) takes
# 6,000 bytes: the README's limit fits with room for the other parameters. Longer
# text goes in the body of POST /api/search.
LIMIT_REQUEST_LINE = 8190
# What gunicorn itself refuses before the app sees the request, with the status it
# would answer; we answer them in our own error shape instead of gunicorn's HTML.
REFUSED = {
    http_errors.LimitRequestLine: 414,
    http_errors.LimitRequestHeaders: 431,
    http_errors.InvalidRequestLine: 400,
    http_errors.InvalidRequestMethod: 400,
    http_errors.InvalidHTTPVersion: 400,
    http_errors.InvalidHeader: 400,
    http_errors.InvalidHeaderName: 400,
}


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        self.cfg.set("bind", f"{self.settings.host}:{self.settings.port}")
        self.cfg.set("workers", self.settings.workers)
        self.cfg.set("worker_class", Worker)
        self.cfg.set("limit_request_line", LIMIT_REQUEST_LINE)
        self.cfg.set("proc_name", "arabic-search")
        self.cfg.set("loglevel", "warning")
        # The safety net under the caches' budget: a worker is replaced, at a
        # moment of its own, after so many requests.
        self.cfg.set("max_requests", self.settings.max_requests)
        self.cfg.set("max_requests_jitter", self.settings.max_requests // 10)

    def load(self) -> Flask:
        # Each worker opens the index itself, after the fork: an open file
        # shared between processes would mix their reads.
        return create_app(worker_settings(self.settings))


class _RecordingSocket:
    """A client socket that keeps the first bytes it receives: the start of the
    request line, which tells an API request from a page when gunicorn refuses it."""

    HEAD = 64

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.head = b""

    def recv(self, size: int, *flags: int) -> bytes:
        data = self._sock.recv(size, *flags)
        if len(self.head) < self.HEAD:
            self.head += data[: self.HEAD - len(self.head)]
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def path(self) -> str:
        parts = self.head.split(b" ", 2)
        return urlsplit(parts[1].decode("latin-1")).path if len(parts) > 1 else "/"


class Worker(SyncWorker):  # type: ignore[misc]
    """gunicorn's sync worker, except that a request it refuses before the app sees
    it (a request line over 8,190 bytes, a malformed request) gets the app's error:
    JSON for the API, the Arabic page for people, never gunicorn's English HTML."""

    def handle(self, listener: Any, client: socket.socket, addr: Any) -> None:
        super().handle(listener, _RecordingSocket(client), addr)

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        status = REFUSED.get(type(exc))
        if status is None or not isinstance(client, _RecordingSocket):
            super().handle_error(req, client, addr, exc)
            return
        self.log.warning("Refused a request from %s: %s", (addr or ("",))[0], exc)
        try:
            client.sendall(error_response(self.wsgi, client.path(), status))
        except OSError:
            self.log.debug("Failed to send the error response.")


def error_response(app: Flask, path: str, status: int) -> bytes:
    """The whole HTTP response (security headers included) that the app gives for
    ``status`` at ``path``, for a request the app never saw."""
    with app.test_request_context(path if path.startswith("/") else "/"):
        response = app.process_response(respond(http_error(status)))
        body = response.get_data()
    head = [f"HTTP/1.1 {response.status}", *(f"{k}: {v}" for k, v in response.headers.items()), "Connection: close"]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def _check_address(host: str, port: int) -> None:
    """Say at once, in one line, what gunicorn would say after five retries."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as error:
        raise ArabicSearchError(
            f"cannot listen on {host}:{port}: {error.strerror or error}; is another server running there? "
            "Choose another --port."
        ) from None


def worker_settings(settings: Settings) -> Settings:
    """One worker's settings: requests are spread over the workers, so each
    allows its share of a client's searches per minute."""
    if not settings.rate_limit:
        return settings
    return settings.with_(rate_limit=math.ceil(settings.rate_limit / settings.workers))


def serve(settings: Settings, debug: bool = False) -> None:
    _check_address(settings.host, settings.port)
    load_labels(settings.labels)  # a broken labels file stops here, in one line, not in every worker
    if debug:
        create_app(settings).run(host=settings.host, port=settings.port, debug=True, use_reloader=True)
        return
    _Gunicorn(settings).run()
