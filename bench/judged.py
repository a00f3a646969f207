"""Judged query sets beyond the Qur'an's lemmas, each built from data alone, never
from an engine's output (bench/relevance.py runs them).

* broken plurals (Qur'an): a plural that light stemming cannot join to its singular
  (رجال / رجل). Candidate pairs come from the broken-plural column of arramooz's
  dictionary; a pair is kept when the Quranic Arabic Corpus confirms it: a lemma
  whose citation form is the singular has an occurrence whose stem segment is the
  plural. The query is that occurrence as printed; relevant, every verse holding
  any form of the lemma (as in the lemma set).
* hadith known-item: three or four consecutive words of one hadith (each of three
  letters or more), typed without diacritics and with one slip people make: a
  different hamza seat, the article dropped (or added to a noun in ة), ة typed ه,
  ى typed ي. Kept
  only when the words, normalized, occur in that hadith alone (the six collections
  share many texts); the relevant document is that hadith.
* names: the 50 words that most often follow بن، ابن، أبو، أبي، أم or عن in the
  hadith (narrators' names), stop words, words under three letters and a few
  kinship and title words (عبد، أبيه، النبي) left out;
  relevant, the hadith holding the name as a word, alone or after one of و ف ب ل
  (عمر is not in عمرو or عمران).
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from indexer.analysis.normalize import clean, normalize
from indexer.analysis.stopwords import is_stop_word
from indexer.analysis.tokenizer import iter_words

NAME_MARKERS = {"بن", "ابن", "ابو", "ابي", "ام", "عن"}
# Words that follow those as often as names do but are not names.
NOT_NAMES = NAME_MARKERS | {"عبد", "ابيه", "النبي", "رسول", "جده", "امه"}
PROCLITICS = "وفبل"


@dataclass(frozen=True)
class Query:
    text: str
    relevant: frozenset[str]


def broken_plurals(words: list[dict], modern: dict[tuple[int, int, int], str]) -> list[Query]:
    """One query per confirmed pair (the plural as printed), in lemma order."""
    plurals = _dictionary_plurals()
    verses: dict[str, set[str]] = defaultdict(set)
    for word in words:
        if word["lemma"]:
            verses[word["lemma"]].add(f"q-{word['surah']}-{word['ayah']}")
    chosen: dict[str, str] = {}
    for word in words:
        lemma = word["lemma"]
        singular = normalize(clean(lemma)) if lemma else ""
        if not singular or lemma in chosen or singular not in plurals:
            continue
        stem = "".join(s["ar"] for s in word["segments"] or [] if s["type"] == "STEM")
        if normalize(clean(stem)) in plurals[singular]:
            chosen[lemma] = modern.get((word["surah"], word["ayah"], word["word_position"]), word["word_plain"])
    return [Query(printed, frozenset(verses[lemma])) for lemma, printed in sorted(chosen.items())]


def _dictionary_plurals() -> dict[str, set[str]]:
    """Singular -> its broken plurals, normalized, from arramooz's nouns."""
    marks = re.compile("[\u064b-\u0652]")
    path = resources.files("arramooz") / "data" / "arabicdictionary.sqlite"
    with resources.as_file(path) as file:
        db = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        try:
            rows = db.execute("SELECT unvocalized, broken_plural FROM nouns WHERE broken_plural != ''").fetchall()
        finally:
            db.close()
    found: dict[str, set[str]] = defaultdict(set)
    for singular, listed in rows:
        for plural in listed.replace("+ات", "").split(";"):
            plural = normalize(marks.sub("", plural.strip()))
            if plural and plural != normalize(singular):
                found[normalize(singular)].add(plural)
    return found


def known_items(hadith: Path, count: int = 300, seed: int = 7) -> list[Query]:
    """``count`` known-item queries, each naming one hadith."""
    ids, texts, written = [], [], []
    with hadith.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            words = [m.group() for m in iter_words(record["text"])]
            ids.append(record["id"])
            written.append(words)
            texts.append(" " + " ".join(normalize(w) for w in words) + " ")
    rng = random.Random(seed)
    queries: list[Query] = []
    while len(queries) < count:
        k = rng.randrange(len(ids))
        words, size = written[k], rng.choice((3, 4))
        if len(words) < size + 10:
            continue
        start = rng.randrange(len(words) - size)
        typed = [clean(w) for w in words[start : start + size]]
        if any(len(normalize(w)) < 3 for w in typed):
            continue
        needle = " " + " ".join(normalize(w) for w in typed) + " "
        if sum(needle in text for text in texts) != 1:
            continue
        queries.append(Query(" ".join(_slip(typed, rng)), frozenset({ids[k]})))
    return queries


def _slip(words: list[str], rng: random.Random) -> list[str]:
    """The words with one slip of typing, where one applies."""
    slips = []
    for i, word in enumerate(words):
        if re.search("[أإآ]", word):
            slips.append((i, re.sub("[أإآ]", "ا", word, count=1)))
        elif word.startswith("ا") and not word.startswith("ال"):
            slips.append((i, "أ" + word[1:]))
        if word.startswith("ال") and len(word) > 4:
            slips.append((i, word[2:]))
        elif word.endswith("ة") and word[0] not in PROCLITICS + "ك":  # a noun without the article
            slips.append((i, "ال" + word))
        if word.endswith("ة"):
            slips.append((i, word[:-1] + "ه"))
        if word.endswith("ى"):
            slips.append((i, word[:-1] + "ي"))
    if slips:
        i, slipped = rng.choice(slips)
        words = [*words[:i], slipped, *words[i + 1 :]]
    return words


def names(hadith: Path, count: int = 50) -> list[Query]:
    """The ``count`` names that most often follow a word of lineage or transmission."""
    following: Counter[str] = Counter()
    holders: dict[str, set[str]] = defaultdict(set)
    with hadith.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            words = [normalize(m.group()) for m in iter_words(record["text"])]
            following.update(b for a, b in zip(words, words[1:], strict=False) if a in NAME_MARKERS)
            for word in set(words):
                holders[word].add(record["id"])
    chosen = [n for n, _ in following.most_common() if len(n) >= 3 and n not in NOT_NAMES and not is_stop_word(n)]
    chosen = chosen[:count]
    return [Query(name, frozenset(holders[name].union(*(holders[c + name] for c in PROCLITICS)))) for name in chosen]
