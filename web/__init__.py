"""The web front end and JSON API, built by an app factory over one shared search engine."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from indexer.analysis import memo
from indexer.settings import Settings

from . import api, errors, pages, params, security
from .engine import EngineHolder
from .labels import load_labels
from .numbers import count_of


def create_app(config: Settings | Mapping[str, Any] | None = None) -> Flask:
    """Build the app. ``config`` is a :class:`Settings`, or overrides of the
    settings read from the environment (``{"index_dir": ..., "rate_limit": 0}``)."""
    settings = config if isinstance(config, Settings) else Settings.load(**dict(config or {}))
    memo.set_budget(settings.cache_mb)
    app = Flask(__name__)
    app.config["SETTINGS"] = settings
    app.config["MAX_CONTENT_LENGTH"] = params.MAX_BODY_BYTES
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Arabic stays readable in JSON
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["arabic_search"] = EngineHolder(settings.index_dir)
    app.extensions["openapi"] = json.loads((Path(__file__).parent / "openapi.json").read_text(encoding="utf-8"))
    labels = load_labels(settings.labels)
    app.jinja_env.filters.update(count_of=count_of, collection_label=labels.of_collection, key_label=labels.of_key)
    security.init_app(app, settings)
    errors.init_app(app)
    app.register_blueprint(pages.blueprint)
    app.register_blueprint(api.blueprint, url_prefix="/api")
    return app
