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

from flask import Flask
from gunicorn.app.base import BaseApplication

from indexer.errors import ArabicSearchError
from indexer.settings import Settings

from . import create_app


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        self.cfg.set("bind", f"{self.settings.host}:{self.settings.port}")
        self.cfg.set("workers", self.settings.workers)
        self.cfg.set("worker_class", "sync")
        self.cfg.set("proc_name", "arabic-search")
        self.cfg.set("loglevel", "warning")

    def load(self) -> Flask:
        # Each worker opens the index itself, after the fork: an open file
        # shared between processes would mix their reads.
        return create_app(worker_settings(self.settings))


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
    if debug:
        create_app(settings).run(host=settings.host, port=settings.port, debug=True, use_reloader=True)
        return
    _Gunicorn(settings).run()
