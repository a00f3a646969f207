"""Shared fixtures: a small real corpus on disk and a way to query a real index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from whoosh.qparser import QueryParser

from indexer.storage import open_generation

NEWS = {
    "defence.txt": "وزير الدفاع يلتقي نظيره الأمريكي\n\nعقد وزيرُ الدِّفَاعِ العراقي اجتماعاً مع نظيره الأمريكي لبحث التعاون الأمني.",
    "security.txt": "الأمن الداخلي\n\nالأمن الداخلي مسؤولية جماعية، لا تنحصر في أفراد أو جهات بعينها.",
    "schools.md": "# المدارس في بغداد\n\nافتُتحت مدرسةٌ جديدة في بغداد، وتسلّم المعلمون الكتبَ.",
}

HADITH = [
    {"id": "h1", "collection": "حديث", "text": "إِنَّمَا الْأَعْمَالُ بِالنِّيَّاتِ، وَإِنَّمَا لِكُلِّ امْرِئٍ مَا نَوَى"},
    {"id": "h2", "collection": "حديث", "title": "الدين النصيحة", "text": "الدِّينُ النَّصِيحَةُ، قُلْنَا: لِمَنْ؟"},
    {"id": "h3", "collection": "حديث", "text": "الْمُسْلِمُ مَنْ سَلِمَ الْمُسْلِمُونَ مِنْ لِسَانِهِ وَيَدِهِ"},
]


def write_corpus(root: Path) -> Path:
    news = root / "news"
    news.mkdir(parents=True, exist_ok=True)
    for name, text in NEWS.items():
        (news / name).write_text(text, encoding="utf-8")
    lines = [json.dumps(h, ensure_ascii=False) for h in HADITH]
    (root / "hadith.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A folder of news files and a JSONL file of hadith: 6 documents."""
    return write_corpus(tmp_path / "corpus")


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"


def search_ids(index_dir: Path, text: str, field: str = "text_stem") -> list[str]:
    """Ids of the documents that a Whoosh query on ``field`` finds, in id order."""
    ix, _, _ = open_generation(index_dir)
    try:
        with ix.searcher() as searcher:
            query = QueryParser(field, ix.schema).parse(text)
            return sorted(hit["id"] for hit in searcher.search(query, limit=None))
    finally:
        ix.close()
