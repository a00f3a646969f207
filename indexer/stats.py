"""What an index holds: for ``arabic-search stats`` and the health check."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

from .settings import Settings
from .storage import damage_as_error, directory_size, open_generation


def index_stats(index_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    directory = Path(index_dir) if index_dir else Settings.load().index_dir
    ix, meta, generation = open_generation(directory)
    try:
        with damage_as_error(directory, generation), ix.searcher() as searcher:
            collections = Counter(f.get("collection", "") for f in searcher.all_stored_fields())
            documents = searcher.doc_count()
        fields = list(ix.schema.names())
    finally:
        ix.close()
    return {
        "index_dir": str(directory),
        "generation": generation.name,
        "documents": documents,
        "collections": dict(collections.most_common()),
        "fields": fields,
        "index_bytes": directory_size(generation),
        "schema_version": meta.schema_version,
        "stemmer": meta.stemmer,
        "built_at": meta.built_at,
        "updated_at": meta.updated_at,
        "build_seconds": meta.build_seconds,
        "sources": meta.sources,
    }
