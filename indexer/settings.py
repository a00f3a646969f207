"""All settings in one place: defaults, then environment variables, then
explicit values (CLI flags, test config). Every layer reads one ``Settings``."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Any

from .analysis import DEFAULT_STRATEGY, STRATEGIES
from .analysis.memo import BUILD_BUDGET_MB, DEFAULT_BUDGET_MB
from .errors import SettingsError


def _setting(default: Any, env: str, help: str) -> Any:
    return field(default=default, metadata={"env": env, "help": help})


@dataclass(frozen=True)
class Settings:
    index_dir: Path = _setting(Path("index_data"), "ARABIC_SEARCH_INDEX", "where the index lives")
    procs: int = _setting(
        0,
        "ARABIC_SEARCH_PROCS",
        "indexing processes; 0 picks one for small inputs and every core for large ones",
    )
    limitmb: int = _setting(1024, "ARABIC_SEARCH_LIMITMB", "memory per indexing process, in MB")
    stemmer: str = _setting(DEFAULT_STRATEGY, "ARABIC_SEARCH_STEMMER", f"stemming strategy: {', '.join(STRATEGIES)}")
    cache_mb: int = _setting(
        DEFAULT_BUDGET_MB,
        "ARABIC_SEARCH_CACHE_MB",
        "memory for the analyses of words remembered, per process, in MB (least recently used go first)",
    )
    build_cache_mb: int = _setting(
        BUILD_BUDGET_MB,
        "ARABIC_SEARCH_BUILD_CACHE_MB",
        "the same for each indexing process of a build or an update, which meets every word of its input",
    )
    host: str = _setting("127.0.0.1", "ARABIC_SEARCH_HOST", "address the web server listens on")
    port: int = _setting(5000, "ARABIC_SEARCH_PORT", "port the web server listens on")
    workers: int = _setting(
        os.cpu_count() or 2, "ARABIC_SEARCH_WORKERS", "web server worker processes (default: one per core)"
    )
    max_requests: int = _setting(
        20_000,
        "ARABIC_SEARCH_MAX_REQUESTS",
        "requests a web server worker answers before it is replaced by a fresh one (10% jitter); 0: never",
    )
    rate_limit: int = _setting(
        600, "ARABIC_SEARCH_RATE_LIMIT", "searches per minute per client address; 0 turns the limit off"
    )
    trusted_proxies: str = _setting(
        "",
        "ARABIC_SEARCH_TRUSTED_PROXIES",
        "addresses or networks (CIDR) of the proxies in front of the server, comma-separated: the rate limit"
        " takes the client's address from their X-Forwarded-For, and from no one else's",
    )
    cors_origins: str = _setting(
        "", "ARABIC_SEARCH_CORS_ORIGINS", "origins allowed to call the JSON API from a browser, comma-separated, or *"
    )
    labels: str = _setting(
        "",
        "ARABIC_SEARCH_LABELS",
        'a JSON file of Arabic labels for collections and metadata keys: {"collection": {...}, "metadata": {...}}',
    )

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        """Defaults, overridden by environment variables, overridden by the
        non-``None`` keyword arguments."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = os.environ.get(f.metadata["env"])
            if raw not in (None, ""):
                values[f.name] = _convert(f.name, type(f.default), raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        settings.validate()
        return settings

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def validate(self) -> None:
        if self.stemmer not in STRATEGIES:
            raise SettingsError(f"stemmer must be one of {', '.join(STRATEGIES)}, not {self.stemmer!r}")
        if self.procs < 0 or self.limitmb < 16 or self.cache_mb < 1 or self.build_cache_mb < 1:
            raise SettingsError("procs must be >= 0, limitmb >= 16, cache_mb and build_cache_mb >= 1")
        if not 0 < self.port < 65536 or self.workers < 1 or self.rate_limit < 0 or self.max_requests < 0:
            raise SettingsError("port must be 1-65535, workers at least 1, rate_limit and max_requests 0 or more")
        self.proxy_networks()

    def proxy_networks(self) -> list[IPv4Network | IPv6Network]:
        """``trusted_proxies`` read as networks (an address is a network of one)."""
        try:
            return [ip_network(p.strip(), strict=False) for p in self.trusted_proxies.split(",") if p.strip()]
        except ValueError as error:
            raise SettingsError(f"trusted_proxies: {error}") from None


def _convert(name: str, kind: type, raw: str) -> Any:
    if issubclass(kind, Path):
        return Path(raw)
    try:
        return kind(raw)
    except ValueError:
        env = next(f.metadata["env"] for f in fields(Settings) if f.name == name)
        raise SettingsError(f"{env}={raw!r} is not a valid {kind.__name__}") from None
