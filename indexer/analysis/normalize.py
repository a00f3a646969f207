"""Orthographic normalization of one Arabic word: the rules that let a query typed
one way find a word written another way.

Each rule is a small function with its exact rule and an example; ``STEPS`` lists
them in the order they run and :func:`normalize` applies them all. Tokens repeat a
lot (Qur'an: 78k tokens, 15k forms), so :func:`normalize` is cached.

Most rules map each character on its own (a translation table, or pyarabic's
one-letter functions). Consecutive ones run as one table that sends each
character through all of them: one pass over the word instead of one per rule
(half the cost of normalizing a new word; a build normalizes every word it meets).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from operator import methodcaller

from pyarabic import araby

from .chars import DAGGER_ALEF, FORMAT_CHARS, HARAKAT, QURANIC_MARKS, TATWEEL, expand
from .memo import word_cache

Step = Callable[[str], str]

# The steps that map one character at a time, with the characters each changes.
_BY_CHARACTER: dict[Step, frozenset[str]] = {}


def _by_character(changed: Iterable[str]) -> Callable[[Step], Step]:
    """Mark a step that maps each character on its own and changes only the
    characters ``changed``: it can run inside a fused table (:func:`_fused`)."""

    def mark(step: Step) -> Step:
        _BY_CHARACTER[step] = frozenset(changed)
        return step

    return mark


def _deleting(ranges: str) -> dict[int, None]:
    return {ord(c): None for c in expand(ranges)}


def _presentation_table() -> dict[int, str]:
    """Presentation forms and ligatures -> base letters, from Unicode's own
    compatibility decompositions. Ligatures that stand for several words
    (ﷺ, the basmala) are left alone: one token cannot become a phrase."""
    table: dict[int, str] = {}
    for code in (*range(0xFB50, 0xFE00), *range(0xFE70, 0xFEFF)):
        base = unicodedata.normalize("NFKC", chr(code))
        if base != chr(code) and " " not in base.strip():
            table[code] = base.replace(" ", "")
    return table


_PRESENTATION = _presentation_table()
_FORMAT = _deleting(FORMAT_CHARS)
_DIACRITICS = _deleting(HARAKAT + DAGGER_ALEF + QURANIC_MARKS)
_PERSIAN = str.maketrans({"ک": "ك", "ڪ": "ك", "ی": "ي", "ے": "ي", "ۀ": "ه", "ە": "ه", "ھ": "ه", "ۃ": "ه"})
_WASLA = str.maketrans({"ٱ": "ا"})
_ALEF = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٲ": "ا", "ٳ": "ا", "ٵ": "ا"})
_ALEF_MAQSURA = str.maketrans({"ى": "ي"})
_TATWEEL = frozenset(TATWEEL)
_TEH_MARBUTA = frozenset(araby.TEH_MARBUTA)
_HAMZA_SEAT = re.compile("[ؤئ](?!ا)")
# A seat before an alef (سؤال, رئاسة) stays a seat, ya: a bare hamza there, "ءا",
# would read as the Uthmani madda on another pass, and normalizing twice would differ.
_SEAT_BEFORE_ALEF = re.compile("[ؤئ](?=ا)")
_FINAL_YA_HAMZA = re.compile("ي+ء$")
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫٬", "01234567890123456789.,")
_UTHMANI_MADDA = re.compile("ء+ا(?=.)")
_DAGGER_ALEF_OVER_WAW = re.compile("و\u0670")
_DAGGER_ALEF = re.compile("(?<!ى)\u0670")


def compose(word: str) -> str:
    """Canonical composition (NFC): a letter plus a combining hamza becomes one
    letter, so the later rules see it. ``و`` + U+0654 -> ``ؤ``."""
    return unicodedata.normalize("NFC", word)


@_by_character(map(chr, _PRESENTATION))
def fold_presentation_forms(word: str) -> str:
    """Presentation forms and lam-alef ligatures -> base letters. ``ﻻ`` -> ``لا``, ``ﺑ`` -> ``ب``."""
    return word.translate(_PRESENTATION)


@_by_character(map(chr, _FORMAT))
def remove_format_chars(word: str) -> str:
    """Remove invisible format characters (RLM, LRM, ZWJ, ZWNJ, bidi controls, BOM).
    ``مح\\u200fمد`` -> ``محمد``."""
    return word.translate(_FORMAT)


@_by_character(map(chr, _DIACRITICS))
def remove_diacritics(word: str) -> str:
    """Remove harakat, tanween, shadda, sukun, the superscript alef and Quranic
    annotation marks. ``الدِّفَاعِ`` -> ``الدفاع``, ``ٱلرَّحْمَٰنِ`` -> ``ٱلرحمن``."""
    return word.translate(_DIACRITICS)


@_by_character(_TATWEEL)
def remove_tatweel(word: str) -> str:
    """Remove tatweel (kashida). ``العـــراق`` -> ``العراق``. (pyarabic's, which does just this.)"""
    return araby.strip_tatweel(word)


@_by_character(map(chr, _WASLA))
def remove_wasla(word: str) -> str:
    """Alef wasla is an alef with a reading mark: ٱ -> ا. ``ٱلله`` -> ``الله``."""
    return word.translate(_WASLA)


@_by_character(map(chr, _PERSIAN))
def fold_persian_letters(word: str) -> str:
    """Persian/Urdu twins -> Arabic letters: ک ڪ -> ك, ی ے -> ي, ۀ ە ھ ۃ -> ه.
    ``الولایات`` -> ``الولايات``."""
    return word.translate(_PERSIAN)


@_by_character(map(chr, _ALEF))
def fold_alef(word: str) -> str:
    """Alef with hamza or madda -> bare alef: أ إ آ -> ا. ``إسلام`` -> ``اسلام``, ``آمن`` -> ``امن``."""
    return word.translate(_ALEF)


@_by_character(map(chr, _ALEF_MAQSURA))
def fold_alef_maqsura(word: str) -> str:
    """Alef maqsura -> ya (as Lucene does; pyarabic would fold it to alef instead).
    ``مستشفى`` -> ``مستشفي``."""
    return word.translate(_ALEF_MAQSURA)


@_by_character(_TEH_MARBUTA)
def fold_teh_marbuta(word: str) -> str:
    """Ta marbuta -> ha. ``مدرسة`` -> ``مدرسه``. (pyarabic's, which does just this.)"""
    return araby.normalize_teh(word)


def fold_hamza_seats(word: str) -> str:
    """Make the seats of hamza match.

    1. Uthmani ``ءا`` inside a word is the madda alef: ``قرءان`` -> ``قران`` (as ``قرآن``).
    2. Hamza on waw or ya -> bare hamza: ``مسؤول``, ``مسئول``, ``مسءول`` -> ``مسءول``;
       before an alef, hamza on ya: ``سؤال``, ``سئال`` -> ``سئال`` (a bare hamza
       there would be the madda of rule 1).
    3. A final ``يء`` -> ``ء``, since ``شيء`` is also written ``شئ``: both -> ``شء``.
    """
    word = _UTHMANI_MADDA.sub("ا", word)
    word = _SEAT_BEFORE_ALEF.sub("ئ", _HAMZA_SEAT.sub("ء", word))
    return _FINAL_YA_HAMZA.sub("ء", word)


@_by_character(map(chr, _DIGITS))
def fold_digits(word: str) -> str:
    """Arabic-Indic and Persian digits and separators -> ASCII. ``٢٠٢٣`` -> ``2023``, ``٣٫٥`` -> ``3.5``."""
    return word.translate(_DIGITS)


def lowercase(word: str) -> str:
    """Lowercase other scripts. ``JSCD`` -> ``jscd``."""
    return word.lower()


# Steps that only remove what a reader does not see as spelling: the result is
# still the word as written (what autocomplete shows).
CLEANING_STEPS: tuple[Step, ...] = (
    compose,
    fold_presentation_forms,
    remove_format_chars,
    remove_diacritics,
    remove_wasla,
    remove_tatweel,
)
# Steps that merge spellings: the result may look misspelled (مسءول).
FOLDING_STEPS: tuple[Step, ...] = (
    fold_persian_letters,
    fold_alef,
    fold_alef_maqsura,
    fold_teh_marbuta,
    fold_hamza_seats,
    fold_digits,
    lowercase,
)
STEPS = CLEANING_STEPS + FOLDING_STEPS


def _fused(steps: tuple[Step, ...]) -> tuple[Step, ...]:
    """``steps`` as they run: each run of consecutive steps that map one
    character at a time as one translation table, made by sending each
    character they change through the whole run (tests/test_normalize.py
    checks the result against the steps one by one)."""
    fused: list[Step] = []
    run: list[Step] = []
    for step in (*steps, None):
        if step in _BY_CHARACTER:
            run.append(step)  # type: ignore[arg-type]
            continue
        if run:
            table = {}
            for char in frozenset().union(*map(_BY_CHARACTER.__getitem__, run)):
                text = char
                for each in run:
                    text = each(text)
                table[ord(char)] = text
            fused.append(methodcaller("translate", table))
            run = []
        if step is not None:
            fused.append(step)
    return tuple(fused)


_CLEANING = _fused(CLEANING_STEPS)
_FOLDING = _fused(FOLDING_STEPS)


@word_cache(share=0.05, entry_bytes=200)
def clean(word: str) -> str:
    """The word as written, without diacritics, tatweel or invisible marks. ``الدِّفَاعِ`` -> ``الدفاع``."""
    for step in _CLEANING:
        word = step(word)
    return word


def uthmani_alef(word: str) -> str:
    """The superscript alef of Uthmani spelling written as a full alef, as modern
    spelling has it in most words: ``ٱلْعَٰلَمِينَ`` -> ``ٱلْعَالَمِينَ``, ``ٱلصَّلَوٰةَ`` -> ``ٱلصَّلَاةَ``;
    over alef maqsura it stays silent (``مُوسَىٰ``)."""
    return _DAGGER_ALEF.sub("ا", _DAGGER_ALEF_OVER_WAW.sub("ا", word))


@word_cache(share=0.05, entry_bytes=200)
def normalize_forms(word: str) -> tuple[str, ...]:
    """The normalized forms a word stands for: one, or two for a word with a
    superscript alef, which modern spelling drops in some words (ٱلرَّحْمَٰنِ ->
    الرحمن) and writes in full in others (ٱلْعَٰلَمِينَ -> العالمين)."""
    first = normalize(word)
    if "\u0670" not in word:
        return (first,)
    second = normalize(uthmani_alef(word))
    return (first,) if second == first else (first, second)


@word_cache(share=0.15, entry_bytes=200)
def normalize(word: str) -> str:
    """All of ``STEPS`` in order: the form that is indexed and searched as "exact"."""
    word = clean(word)
    for step in _FOLDING:
        word = step(word)
    return word
