"""Light stemming: the second indexed view, so a word matches its inflections.

The strategies are compared by ``bench/relevance.py`` (linguists' lemmas of the
Qur'an as the judgment); the default is the one that measured best.

``anchored`` wraps tashaphyne's light stemmer with guards:

* tashaphyne treats a bare word unlike the same word after the article
  (بيت -> يت but البيت -> بيت), so every word is stemmed *as if* it had the
  article: its own article group (ال، وال، بال، لل ...) is removed and ``ال`` put
  back. The word then reaches the same stem with or without the article, and the
  article soaks up tashaphyne's urge to cut a first letter (وزير stays وزير,
  أوستن stays اوستن instead of ست).
* when tashaphyne gives up on such a word (it returns the article itself), the
  Larkey light10 rules stem it instead (الاستراتيجية -> استراتيجي).
* a stem shorter than three letters is refused (للقوات stays قوات, not قو).
* a word without the article may carry a conjunction (و ف) or a pronoun suffix
  (ه ها هم ...) that tashaphyne keeps; the word then also yields the stem without
  them, at the same position: وقال finds قال, أمنهم finds أمن, yet وزير keeps وزير.
* a few words are protected: the name of God is never cut to له.

``union`` (the default) indexes the anchored stems and, beside them at the same
position, tashaphyne's own stem when it has at least three letters: its
aggressive cuts find inflections the anchored stem keeps apart (verbs above all:
يكتبون -> كتب). On the benchmark it raised MAP from 0.52 to 0.62 (lemma queries)
and recall@100 from 0.59 to 0.74; the exact view still ranks the typed form
first. Two-letter stems measured 0.008 MAP better but match nonsense (النيات ->
ني finds بني), so they are left out.

``tashaphyne`` (tashaphyne alone), ``light`` (light10 rules alone) and ``none``
(the stem view holds the normalized word: no stemming) are the other
alternatives measured. Every stemmer works on normalized words and returns
normalized stems; results are cached per word, so stemming costs a dictionary
lookup after the first sight of a word.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

from tashaphyne.stemming import ArabicLightStemmer

from .memo import word_cache
from .normalize import normalize

STRATEGIES = ("union", "anchored", "tashaphyne", "light", "none")
DEFAULT_STRATEGY = "anchored"

# Normalized forms that stemming must leave whole (value: the stem to index).
PROTECTED = {
    "الله": "الله",
    "لله": "الله",
    "بالله": "الله",
    "والله": "الله",
    "فالله": "الله",
    "تالله": "الله",
    "اللهم": "اللهم",
}

_ARABIC_WORD = re.compile("[\u0621-\u064a]+")
# The article with the conjunctions and prepositions that can precede it.
_ARTICLE_GROUP = re.compile("^(?:[وف]?[بكل]?ال|[وف]?لل)(?=..)")
_CONJUNCTIONS = ("و", "ف")
_PRONOUN_SUFFIXES = ("هما", "كما", "ها", "هم", "هن", "كم", "كن", "نا", "ه")
_LIGHT_PREFIXES = re.compile("^(?:[وف]?[بك]?ال|[وف]?لل)(?=..)|^و(?=...)")
_LIGHT_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي")

_local = threading.local()


@word_cache(share=0.15, entry_bytes=160)
def _tashaphyne(word: str) -> str:
    """tashaphyne's light stem. Its stemmer keeps results on the object, so each
    thread gets its own."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = ArabicLightStemmer()
    # light_stem(word) would also build the word's starred form (for roots),
    # which the stem does not use: segment() alone gives the same stem (checked
    # on the 122,000 words of the hadith benchmark) at a third of the cost.
    stemmer.segment(word)
    # Its affix tables hold hamza forms and ة; fold what it returns.
    return normalize(stemmer.get_stem())


def light10(word: str) -> str:
    """Larkey's light10: one prefix group, then each suffix once, keeping two letters."""
    word = _LIGHT_PREFIXES.sub("", word)
    for suffix in _LIGHT_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            word = word[: -len(suffix)]
    return word


def strip_article(word: str) -> str:
    """Remove the article and what precedes it. ``وبالكتاب`` -> ``كتاب``, ``للقوات`` -> ``قوات``."""
    return _ARTICLE_GROUP.sub("", word)


def _anchored_one(word: str) -> str:
    core = strip_article(word)
    stem = _tashaphyne("ال" + core)
    if stem.startswith("ال") or len(stem) < 3:
        stem = light10(core)
    return stem if len(stem) >= 3 else core


def _clitic_readings(word: str) -> list[str]:
    """The word, and the word without a conjunction and/or a pronoun suffix."""
    readings = [word]
    if word[0] in _CONJUNCTIONS and len(word) >= 4:
        readings.append(word[1:])
    for reading in list(readings):
        for suffix in _PRONOUN_SUFFIXES:
            if reading.endswith(suffix) and len(reading) - len(suffix) >= 3:
                readings.append(reading[: -len(suffix)])
                break
    return readings


def _anchored(word: str) -> tuple[str, ...]:
    if strip_article(word) != word:
        return (_anchored_one(word),)
    return tuple(dict.fromkeys(_anchored_one(reading) for reading in _clitic_readings(word)))


def _union(word: str) -> tuple[str, ...]:
    """The anchored stems, then tashaphyne's own stem when it differs: its
    aggressive cuts (كتبوا -> كتب) find inflections the anchored stem misses; the
    exact view and the anchored stem keep the closest forms ranked first."""
    stem = _tashaphyne(word)
    # The anchored stems through their cache: the stem view asked for them already.
    return tuple(dict.fromkeys(stems(word, "anchored") + ((stem,) if len(stem) >= 3 else ())))


def _single(stemmer: Callable[[str], str]) -> Callable[[str], tuple[str, ...]]:
    def stem(word: str) -> tuple[str, ...]:
        result = stemmer(word)
        return (result if len(result) >= 2 else word,)

    return stem


_STEMMERS: dict[str, Callable[[str], tuple[str, ...]]] = {
    "union": _union,
    "anchored": _anchored,
    "tashaphyne": _single(_tashaphyne),
    "light": _single(light10),
    "none": lambda word: (word,),
}


@word_cache(share=0.15, entry_bytes=200)
def stems(word: str, strategy: str = DEFAULT_STRATEGY) -> tuple[str, ...]:
    """The stems of one normalized word, most specific first.

    Words of fewer than three letters, non-Arabic words and protected words are
    their own stem.
    """
    if word in PROTECTED:
        return (PROTECTED[word],)
    if len(word) < 3 or not _ARABIC_WORD.fullmatch(word):
        return (word,)
    return _STEMMERS[strategy](word)
