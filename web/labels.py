"""Arabic labels for what the corpus names in other languages: collection names (a
folder called ``news``) and metadata keys (``book``, ``narrator``), shown on the page.

A corpus gives its own in a JSON file named by the ``labels`` setting
(``ARABIC_SEARCH_LABELS``): ``{"collection": {"news": "أخبار"}, "metadata": {"book": "الكتاب"}}``;
they are added to the built-in ones below and win over them. A name without a label is
shown as it is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from indexer.errors import ArabicSearchError

COLLECTIONS = {
    "news": "أخبار",
    "hadith": "حديث",
    "books": "كتب",
    "articles": "مقالات",
    "opinion": "رأي",
    "laws": "قوانين",
    "fatwas": "فتاوى",
    "quran": "القرآن",
}
METADATA = {
    "book": "الكتاب",
    "chapter": "الباب",
    "section": "القسم",
    "number": "الرقم",
    "hadith_number": "رقم الحديث",
    "narrator": "الراوي",
    "grade": "الدرجة",
    "source": "المصدر",
    "author": "المؤلف",
    "volume": "الجزء",
    "page": "الصفحة",
    "category": "التصنيف",
    "tags": "الوسوم",
    "language": "اللغة",
    "publisher": "الناشر",
    "year": "السنة",
}


@dataclass(frozen=True)
class Labels:
    collection: Mapping[str, str]
    metadata: Mapping[str, str]

    def of_collection(self, name: str) -> str:
        return self.collection.get(name, name)

    def of_key(self, key: str) -> str:
        return self.metadata.get(key, key)


def load_labels(path: str | Path | None) -> Labels:
    """The built-in labels, with those of the JSON file at ``path`` (if any) over them."""
    own = _read(Path(path)) if path else {}
    return Labels({**COLLECTIONS, **own.get("collection", {})}, {**METADATA, **own.get("metadata", {})})


def _read(path: Path) -> dict[str, dict[str, str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as error:
        raise _bad(path, f"cannot read it: {error.strerror or error}") from None
    except ValueError as error:
        raise _bad(path, f"it is not valid JSON: {error}") from None
    if not isinstance(data, dict) or set(data) - {"collection", "metadata"}:
        raise _bad(path, 'it must be an object with "collection" and/or "metadata"')
    for part, names in data.items():
        if not isinstance(names, dict) or not all(isinstance(v, str) for v in names.values()):
            raise _bad(path, f'"{part}" must map names to Arabic labels (texts)')
    return data


def _bad(path: Path, why: str) -> ArabicSearchError:
    return ArabicSearchError(
        f"the labels file {path} (ARABIC_SEARCH_LABELS) cannot be used: {why}",
        "ملف التسميات العربية غير صالح.",
    )
