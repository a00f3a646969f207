"""Each normalization rule alone, then the whole chain, on real words."""

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from indexer.analysis import normalize as n


@pytest.mark.parametrize(
    ("step", "word", "expected"),
    [
        (n.compose, "و\u0654", "ؤ"),
        (n.fold_presentation_forms, "ﻻ", "لا"),
        (n.fold_presentation_forms, "ﺑﺴﻢ", "بسم"),
        (n.fold_presentation_forms, "ﷲ", "الله"),
        (n.fold_presentation_forms, "ﷺ", "ﷺ"),  # a whole phrase: left alone
        (n.remove_format_chars, "مح\u200fمد", "محمد"),
        (n.remove_format_chars, "\ufeffكتاب\u200e", "كتاب"),
        (n.remove_format_chars, "مي\u200cخواهم", "ميخواهم"),
        (n.remove_format_chars, "\u202bنص\u202c", "نص"),
        (n.remove_diacritics, "الدِّفَاعِ", "الدفاع"),
        (n.remove_diacritics, "كِتَابًا", "كتابا"),
        (n.remove_diacritics, "ٱلرَّحْمَٰنِ", "ٱلرحمن"),
        (n.remove_diacritics, "إِلَٰهِهِۦ", "إلهه"),
        (n.remove_diacritics, "ٱلصِّرَٰطَ", "ٱلصرط"),
        (n.remove_diacritics, "عَلَيۡهِمۡ", "عليهم"),
        (n.remove_diacritics, "ﷺ", "ﷺ"),
        (n.remove_tatweel, "العـــراق", "العراق"),
        (n.fold_persian_letters, "الولایات", "الولايات"),
        (n.fold_persian_letters, "کتاب", "كتاب"),
        (n.fold_persian_letters, "مدرسۀ", "مدرسه"),
        (n.fold_alef, "أحمد", "احمد"),
        (n.fold_alef, "إسلام", "اسلام"),
        (n.fold_alef, "آمن", "امن"),
        (n.remove_wasla, "ٱلله", "الله"),
        (n.fold_alef_maqsura, "مستشفى", "مستشفي"),
        (n.fold_alef_maqsura, "على", "علي"),
        (n.fold_teh_marbuta, "مدرسة", "مدرسه"),
        (n.fold_hamza_seats, "مسؤول", "مسءول"),
        (n.fold_hamza_seats, "مسئول", "مسءول"),
        (n.fold_hamza_seats, "شيء", "شء"),
        (n.fold_hamza_seats, "شئ", "شء"),
        (n.fold_hamza_seats, "قرءان", "قران"),
        (n.fold_hamza_seats, "جزءا", "جزءا"),  # a final ءا is tanween, not madda
        (n.fold_hamza_seats, "سؤال", "سئال"),  # before an alef a seat stays: ءا would be the madda
        (n.fold_hamza_seats, "رءاسه", "راسه"),
        (n.fold_hamza_seats, "ييء", "ء"),
        (n.fold_digits, "٢٠٢٣", "2023"),
        (n.fold_digits, "۱۴۰۲", "1402"),
        (n.fold_digits, "٣٫٥", "3.5"),
        (n.lowercase, "JSCD", "jscd"),
        (n.lowercase, "", ""),
    ],
)
def test_each_rule_alone(step, word, expected):
    assert step(word) == expected


# Pairs a user types differently but means the same: both sides must normalize alike.
SAME = [
    ("الدِّفَاعِ", "الدفاع"),
    ("مسؤول", "مسئول"),
    ("مسؤول", "مسءول"),
    ("شيء", "شئ"),
    ("إسلام", "اسلام"),
    ("أمريكا", "امريكا"),
    ("آمنة", "امنه"),
    ("مستشفى", "مستشفي"),
    ("مدرسة", "مدرسه"),
    ("العـــراق", "العراق"),
    ("الولایات", "الولايات"),
    ("ٱلرَّحْمَٰنِ", "الرحمن"),
    ("ٱلْقُرْءَانَ", "القرآن"),
    ("مح\u200fمد", "محمد"),
    ("ﻻ", "لا"),
    ("٢٠٢٣", "2023"),
    ("JSCD", "jscd"),
    ("مُوسَىٰ", "موسى"),
]

DIFFERENT = [
    ("علم", "عالم"),
    ("سأل", "سؤال"),
    ("كتاب", "كتب"),
    ("مات", "مئات"),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_variants_meet(a, b):
    assert n.normalize(a) == n.normalize(b)


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_words_stay_apart(a, b):
    assert n.normalize(a) != n.normalize(b)


def test_empty_and_marks_only():
    assert n.normalize("") == ""
    assert n.normalize("ـــ") == ""
    assert n.normalize("\u064b\u0650") == ""


def test_huge_word():
    word = "بِسْمِ" * 20_000
    assert n.normalize(word) == "بسم" * 20_000


@given(st.text(alphabet=st.characters(min_codepoint=0x600, max_codepoint=0x6FF) | st.sampled_from("\u200f\u200c ـa1")))
@example("ؤٱ1")  # a seat before a wasla: once ءا, twice ا
@example("ييء")
def test_normalize_is_idempotent(text):
    once = n.normalize(text)
    assert n.normalize(once) == once


# Every character some step changes, Arabic letters, and what surrounds them in real text.
_CHANGED = sorted(frozenset().union(*n._BY_CHARACTER.values()))
_TEXT = st.text(
    alphabet=st.sampled_from(_CHANGED)
    | st.characters(min_codepoint=0x600, max_codepoint=0x6FF)
    | st.sampled_from("\u0654\u0655\u0670 aZ1")
)


@given(st.text())
def test_chain_is_the_steps_in_order(text):
    expected = text
    for step in n.STEPS:
        expected = step(expected)
    assert n.normalize(text) == expected


@given(_TEXT)
@example("ﻷ\u0654ـة٣")
def test_fused_tables_are_the_steps_one_by_one(text):
    """Runs of one-character steps are fused into one table (indexer/analysis/normalize.py)."""
    cleaned = text
    for step in n.CLEANING_STEPS:
        cleaned = step(cleaned)
    folded = cleaned
    for step in n.FOLDING_STEPS:
        folded = step(folded)
    assert n.clean.__wrapped__(text) == cleaned
    assert n.normalize.__wrapped__(text) == folded


@pytest.mark.parametrize(
    ("word", "forms"),
    [
        ("ٱلرَّحْمَٰنِ", ("الرحمن", "الرحمان")),
        ("ٱلْعَٰلَمِينَ", ("العلمين", "العالمين")),
        ("ٱلصَّلَوٰةَ", ("الصلوه", "الصلاه")),
        ("مُوسَىٰ", ("موسي",)),
        ("الدِّفَاعِ", ("الدفاع",)),
    ],
)
def test_superscript_alef_has_two_spellings(word, forms):
    assert n.normalize_forms(word) == forms
