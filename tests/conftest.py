"""Shared fixtures: a small real corpus on disk and a way to query a real index."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from whoosh.qparser import QueryParser

from indexer import build_index
from indexer.storage import open_generation

ROOT = Path(__file__).parent.parent

# What every search response and every hit hold (the JSON API's structure).
RESULT_KEYS = {
    "query",
    "total",
    "page",
    "per_page",
    "pages",
    "took_ms",
    "hits",
    "suggestion",
    "corrected",
    "facets",
    "interpretation",
}
HIT_KEYS = {"id", "title", "title_html", "score", "snippet", "collection", "metadata"}

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


HOSTILE_TEXT = (
    'نص فيه <script>document.title="pwned"</script> و <img src=x onerror="document.title=\'pwned\'"> كلمة خطرة'
)


# A hadith pasted whole, in quotes (one phrase: a query holds at most 32 words and
# phrases), exactly 1,000 characters long: the most a query may have.
PASTED_HADITH = '"' + ("قَالَ رَسُولُ اللَّهِ صَلَّى اللَّهُ عَلَيْهِ وَسَلَّمَ إِنَّمَا الْأَعْمَالُ بِالنِّيَّاتِ " * 20)[:998] + '"'


def write_web_corpus(root: Path) -> Path:
    """A JSONL corpus for the web tests: two collections, 25 documents sharing a
    word (three pages of results), a diacritized hadith and a hostile document."""
    root.mkdir(parents=True, exist_ok=True)
    docs = [
        {
            "id": f"news-{n:02d}",
            "collection": "أخبار",
            "title": f"خبر رقم {n} عن التعاون الأمني",
            "text": f"بحث الوزير في الخبر {n} التعاون الأمني المشترك مع الجانب الآخر، وأكد أهمية الاستقرار.",
            "url": f"https://example.org/news/{n}",
        }
        for n in range(1, 21)
    ]
    docs += [
        {
            "id": f"opinion-{n}",
            "collection": "رأي",
            "title": f"مقال رأي {n}",
            "text": f"الأمن الداخلي مسؤولية جماعية، والتعاون بين المؤسسات ضروري. مقال {n}.",
        }
        for n in range(1, 6)
    ]
    docs += [
        {
            "id": "h1",
            "collection": "حديث",
            "title": "حديث النية",
            "text": "قَالَ رَسُولُ اللَّهِ صَلَّى اللَّهُ عَلَيْهِ وَسَلَّمَ: إِنَّمَا الْأَعْمَالُ بِالنِّيَّاتِ",
        },
        {
            "id": "hostile",
            "collection": "اختبار",
            "title": "<b>عنوان</b> <script>alert(1)</script>",
            "text": HOSTILE_TEXT,
        },
    ]
    return write_jsonl(root / "web.jsonl", docs)


def write_jsonl(path: Path, docs: list[dict]) -> Path:
    """``docs`` as a JSON Lines source file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    return path


def index_of(docs: list[dict], root: Path) -> Path:
    """A real index of ``docs``, built from a JSONL file in ``root``; its directory."""
    build_index([write_jsonl(root / "docs.jsonl", docs)], root / "index")
    return root / "index"


@contextmanager
def live_server(index_dir: Path | None, cwd: Path, env: dict[str, str] | None = None, timeout: float = 60):
    """``arabic-search serve`` in a real process on a free port; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "arabic_search", "serve", "--port", str(port)]
    if index_dir is not None:
        command += ["--index-dir", str(index_dir)]
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "ARABIC_SEARCH_RATE_LIMIT": "0", **(env or {})}
    process = subprocess.Popen(
        command, cwd=cwd, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited: {process.stdout.read()}")
            try:
                with urllib.request.urlopen(base + "/api/health", timeout=2):
                    break
            except urllib.error.HTTPError:
                break  # it answers (maybe 503: no index); the caller decides
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the server did not answer in time") from None
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def web_index(tmp_path_factory) -> Path:
    """A real index of the web corpus, built once."""
    from indexer import build_index

    root = tmp_path_factory.mktemp("web-index")
    build_index([write_web_corpus(root / "corpus")], root / "index")
    return root / "index"
