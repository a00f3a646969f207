"""The document: what every source reader produces and what the index stores."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Document:
    """One searchable unit, with its original text kept exactly as read.

    ``source`` is the file the document came from (used by ``update --prune``);
    ``metadata`` holds any further keys of a JSONL object or CSV row, as strings.
    """

    id: str
    title: str
    text: str
    collection: str = ""
    date: str = ""
    url: str = ""
    source: str = ""
    metadata: dict[str, str] = field(default_factory=dict)

    def content_hash(self) -> str:
        """A digest of everything that is indexed, so ``update`` can skip unchanged documents."""
        payload = json.dumps(
            [self.title, self.text, self.collection, self.date, self.url, self.metadata],
            ensure_ascii=False,
            sort_keys=True,
        )
        return hashlib.blake2b(payload.encode("utf-8"), digest_size=16).hexdigest()


def title_from_text(text: str, words: int = 8) -> str:
    """A title for a document that has none: its first few words."""
    first = text.split()[:words]
    title = " ".join(first)
    return title + " …" if len(text.split(maxsplit=words)) > words else title
