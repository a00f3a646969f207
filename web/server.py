"""Serving the app: waitress (a production WSGI server, several threads) or,
with ``debug``, Flask's development server with its reloader."""

from __future__ import annotations

import logging

import waitress

from indexer.settings import Settings

from . import create_app


def serve(settings: Settings, debug: bool = False) -> None:
    app = create_app(settings)
    if debug:
        app.run(host=settings.host, port=settings.port, debug=True, use_reloader=True)
        return
    logging.getLogger("waitress").setLevel(logging.INFO)
    waitress.serve(app, host=settings.host, port=settings.port, threads=settings.threads, ident="arabic-search")
