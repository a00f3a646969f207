"""The judged query sets beyond the Qur'an's lemmas, built from data alone, never
from an engine's output; bench/relevance.py says how each is built and runs them.
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from indexer.analysis.normalize import clean, normalize
from indexer.analysis.stopwords import is_stop_word
from indexer.analysis.tokenizer import iter_words

NAME_MARKERS = {"بن", "ابن", "ابو", "ابي", "ام", "عن"}
# A word of saying after which the matn (the text after the chain of narrators) begins,
# unless another word of transmission follows it (قال حدثنا ... is still the chain).
SAYING = {"قال", "قالت", "يقول", "فقال"}
TRANSMISSION = SAYING | {"حدثنا", "حدثني", "اخبرنا", "اخبرني", "انبانا", "سمعت", "عن"}
# Words that follow those as often as names do but are not names.
NOT_NAMES = NAME_MARKERS | {"عبد", "ابيه", "النبي", "رسول", "جده", "امه"}
PROCLITICS = "وفبل"


@dataclass(frozen=True)
class Query:
    text: str
    relevant: frozenset[str]


def broken_plurals(words: list[dict], modern: dict[tuple[int, int, int], str]) -> dict[str, list[Query]]:
    """Per confirmed pair (in lemma order) a "broken-plural" query, the plural as
    printed, and a "broken-singular" query, the lemma's citation form; both find
    every verse holding any form of the lemma."""
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
    pairs = sorted(chosen.items())
    return {
        "broken-plural": [Query(printed, frozenset(verses[lemma])) for lemma, printed in pairs],
        "broken-singular": [Query(clean(lemma), frozenset(verses[lemma])) for lemma, _ in pairs],
    }


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
    ids, written, texts, starts = [], [], [], []
    offset = 0
    with hadith.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            words = [m.group() for m in iter_words(record["text"])]
            ids.append(record["id"])
            written.append(words)
            texts.append(" " + " ".join(normalize(w) for w in words) + " ")
            starts.append(offset)
            offset += len(texts[-1]) + 1
    corpus = "\n".join(texts)
    rng = random.Random(seed)
    queries: list[Query] = []
    while len(queries) < count:
        k = rng.randrange(len(ids))
        words, size = written[k], rng.choice((3, 4))
        first = _matn_start([normalize(w) for w in words])
        if len(words) - first < size:
            continue
        start = rng.randrange(first, len(words) - size + 1)
        typed = [clean(w) for w in words[start : start + size]]
        if any(len(normalize(w)) < 3 for w in typed):
            continue
        needle = " " + " ".join(normalize(w) for w in typed) + " "
        # Its first and last occurrences in one hadith: it occurs in that one alone.
        if bisect_right(starts, corpus.find(needle)) != bisect_right(starts, corpus.rfind(needle)):
            continue
        queries.append(Query(" ".join(_slip(typed, rng)), frozenset({ids[k]})))
    return queries


def _matn_start(words: list[str]) -> int:
    """Where the matn begins: after the first word of saying not followed by another
    word of transmission; the whole text where there is none."""
    for i, word in enumerate(words[:-1]):
        if word in SAYING and words[i + 1] not in TRANSMISSION:
            return i + 1
    return 0


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
    """The ``count`` names that most often follow a word of lineage or transmission,
    each typed as the hadith most often write it (without diacritics)."""
    following: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    holders: dict[str, set[str]] = defaultdict(set)
    for doc_id, written, words in _written_words(hadith):
        for before, word, spelled in zip(words, words[1:], written[1:], strict=False):
            if before in NAME_MARKERS:
                following[word] += 1
                spellings[word][spelled] += 1
        for word in set(words):
            holders[word].add(doc_id)
    chosen = [n for n, _ in following.most_common() if len(n) >= 3 and n not in NOT_NAMES and not is_stop_word(n)]
    return [
        Query(
            spellings[name].most_common(1)[0][0],
            frozenset(holders[name].union(*(holders[c + name] for c in PROCLITICS))),
        )
        for name in chosen[:count]
    ]


def full_names(hadith: Path, count: int = 50) -> list[Query]:
    """Names in full, "عبد الله بن عمر": the ``count`` most frequent sequences
    "[عبد|عبيد] A بن B" whose B has a sibling one letter away after the same A
    (عمر and عمرو, حسن and حسين: two men, whom stems and lemmas can confuse). Typed
    as the hadith most often write the sequence; relevant, the hadith holding it
    word for word, its first word alone or after و (ومحمد بن بشار)."""
    holders: dict[tuple[str, ...], set[str]] = defaultdict(set)
    spellings: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    for doc_id, written, words in _written_words(hadith):
        for i in range(1, len(words) - 1):
            first, last = words[i - 1], words[i + 1]
            if words[i] != "بن" or not _a_name(first) or not _a_name(last):
                continue
            start = i - 2 if i >= 2 and words[i - 2] in ("عبد", "عبيد") else i - 1
            if words[start] == "الله":  # the end of a compound name whose start is cut off
                continue
            sequence, spelled = words[start : i + 2], written[start : i + 2]
            if sequence[0].startswith("و") and len(sequence[0]) >= 4:
                sequence, spelled = [sequence[0][1:], *sequence[1:]], [spelled[0][1:], *spelled[1:]]
            holders[tuple(sequence)].add(doc_id)
            spellings[tuple(sequence)][" ".join(spelled)] += 1
    lasts: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for sequence in holders:
        lasts[sequence[:-1]].add(sequence[-1])
    chosen = [
        sequence
        for sequence in sorted(holders, key=lambda s: (-len(holders[s]), s))
        if any(Levenshtein.distance(sequence[-1], other) == 1 for other in lasts[sequence[:-1]])
    ]
    return [Query(spellings[s].most_common(1)[0][0], frozenset(holders[s])) for s in chosen[:count]]


def _written_words(hadith: Path) -> Iterator[tuple[str, list[str], list[str]]]:
    """Each hadith's id, its words as written (cleaned) and normalized."""
    with hadith.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            written = [clean(m.group()) for m in iter_words(record["text"])]
            yield record["id"], written, [normalize(w) for w in written]


def _a_name(word: str) -> bool:
    return len(word) >= 3 and word not in NOT_NAMES and not is_stop_word(word)
