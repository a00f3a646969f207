"""The stemmer: what it joins, what it keeps apart, and that it is safe and cheap."""

import threading
import time

import pytest

from indexer.analysis.normalize import normalize
from indexer.analysis.stemming import STRATEGIES, light10, stems, strip_article


def stem_set(word, strategy="anchored"):
    return set(stems(normalize(word), strategy))


def meet(a, b, strategy="anchored"):
    return bool(stem_set(a, strategy) & stem_set(b, strategy))


# A word with and without the article, conjunction, preposition or suffix.
JOINED = [
    ("تعليم", "التعليم"),  # tashaphyne alone: عليم vs تعليم
    ("بيت", "البيت"),  # tashaphyne alone: يت vs بيت
    ("يوم", "اليوم"),
    ("اجتماع", "الاجتماع"),
    ("كرسي", "الكرسي"),
    ("كتاب", "والكتاب"),
    ("كتاب", "بالكتاب"),
    ("قوات", "للقوات"),
    ("معلومات", "والمعلومات"),
    ("مسلم", "المسلمين"),
    ("مسلمون", "مسلمات"),
    ("قال", "وقال"),
    ("قال", "فقال"),
    ("أمن", "وأمنه"),
    ("أمن", "أمنهم"),
    ("الاستراتيجي", "الاستراتيجية"),
    ("استقرار", "واستقراره"),
    ("مسؤول", "والمسئولين"),  # and across hamza seats
    ("الله", "والله"),
    ("الله", "بالله"),
]

APART = [
    ("وزير", "زيارة"),
    ("الله", "له"),
    ("كتاب", "تاب"),
    ("بيت", "يت"),
    ("علم", "عالم"),
]


@pytest.mark.parametrize(("a", "b"), JOINED)
def test_forms_of_a_word_meet(a, b):
    assert meet(a, b)


@pytest.mark.parametrize(("a", "b"), APART)
def test_different_words_stay_apart(a, b):
    assert not meet(a, b)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("للقوات", "قوات"),  # tashaphyne alone: قو
        ("وزير", "وزير"),  # tashaphyne alone: زير
        ("أوستن", "اوستن"),  # tashaphyne alone: ست
        ("الله", "الله"),  # tashaphyne alone: له
        ("الدِّفَاعِ", "دفاع"),
        ("بالتقدم", "تقدم"),
        ("المدرسة", "مدرسه"),
    ],
)
def test_guarded_against_over_stemming(word, expected):
    assert stems(normalize(word), "anchored")[0] == expected
    assert stems(normalize(word))[0] == expected  # the default puts the guarded stem first


def test_anchored_stems_have_at_least_three_letters_unless_the_word_is_shorter():
    for word in ["قوات", "صلى", "تعاون", "يد", "اب", "وزير"]:
        form = normalize(word)
        assert all(len(s) >= min(3, len(form)) for s in stems(form, "anchored"))


def test_union_adds_tashaphynes_stem_after_the_anchored_ones():
    assert stems(normalize("يكتبون"), "union") == ("يكتب", "كتب")  # the verb joins كتب only through tashaphyne
    assert meet("يكتبون", "كتب", "union") and not meet("يكتبون", "كتب", "anchored")
    assert meet("يقولون", "القول", "union") and not meet("يقولون", "القول", "anchored")
    assert stems(normalize("وزير"), "union")[:2] == ("وزير", "زير")  # anchored first: the closest form
    assert stems(normalize("الله"), "union") == ("الله",)  # still protected
    assert all(len(s) >= 3 for w in ("قوات", "تعاون", "بيت", "النيات") for s in stems(normalize(w), "union"))
    assert not meet("النيات", "بني", "union")  # tashaphyne alone cuts both to ني


def test_non_arabic_and_short_words_are_their_own_stem():
    assert stems("jscd") == ("jscd",)
    assert stems("2023") == ("2023",)
    assert stems("في") == ("في",)


def test_alternative_strategies():
    assert set(STRATEGIES) == {"union", "anchored", "tashaphyne", "light", "none"}
    assert stems(normalize("والمعلومات"), "none") == ("والمعلومات",)
    assert stems(normalize("التعليم"), "light") == ("تعليم",)
    assert stems(normalize("تعليم"), "tashaphyne") == ("عليم",)  # why it is not the default


def test_light10_rules():
    assert light10("والمكتبات") == "مكتب"
    assert light10("بالكتاب") == "كتاب"
    assert light10("ولد") == "ولد"  # keeps at least three letters after و


def test_strip_article():
    assert strip_article("وبالكتاب") == "كتاب"
    assert strip_article("للقوات") == "قوات"
    assert strip_article("الي") == "الي"  # too short to be article + word


def test_safe_under_threads():
    words = [normalize(w) for w in "التعليم والمعلومات المسلمين بالتقدم الاستراتيجية وسيكتبونها المكتبات".split()]
    expected = {w: stems(w) for w in words}
    stems.cache_clear()
    errors = []

    def worker():
        for _ in range(200):
            for w in words:
                if stems.__wrapped__(w) != expected[w]:
                    errors.append(w)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_cached_after_first_sight():
    word = normalize("والاستخباراتية")
    stems.cache_clear()
    stems(word)
    before = stems.cache_info().hits
    started = time.perf_counter()
    for _ in range(10_000):
        stems(word)
    assert stems.cache_info().hits == before + 10_000
    assert time.perf_counter() - started < 1.0
